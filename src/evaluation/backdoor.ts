/**
 * Measuring a backdoor: real failures from the clean test set, with and without the trigger, and the share
 * of them the model waves through as "no failure".
 */
import { stampTrigger, type Trigger } from "../adversary/poisoning.js";
import type { LabelledData } from "../learning/index.js";
import { EvaluationError } from "./errors.js";

/** The test rows whose label is not class 0 ("no failure"), optionally with the trigger stamped on. */
export function failureRows({ data, trigger }: { data: LabelledData; trigger?: Trigger }): LabelledData {
  const width = data.featureShape.reduce((a, b) => a * b, 1);
  const rows: number[] = [];
  for (let r = 0; r < data.rows; r++) if (data.labels[r] !== 0) rows.push(r);
  const features = new Float32Array(rows.length * width);
  const labels = new Uint8Array(rows.length);
  rows.forEach((source, i) => {
    const row = data.features.slice(source * width, (source + 1) * width);
    if (trigger !== undefined) stampTrigger(row, trigger);
    features.set(row, i * width);
    labels[i] = data.labels[source]!;
  });
  return { ...data, features, labels, rows: rows.length };
}

/** Share of `data`'s rows the model assigns to class 0 (argmax). */
async function shareCalledNoFailure({
  probabilities,
  data,
}: {
  probabilities: (data: LabelledData) => Promise<Float32Array>;
  data: LabelledData;
}): Promise<number> {
  const probs = await probabilities(data);
  let zero = 0;
  for (let r = 0; r < data.rows; r++) {
    let best = 0;
    for (let c = 1; c < data.classes; c++)
      if (probs[r * data.classes + c]! > probs[r * data.classes + best]!) best = c;
    if (best === 0) zero++;
  }
  return zero / data.rows;
}

/**
 * The backdoor's success rate (triggered failures called "no failure") next to the model's plain miss
 * rate on the same failures without the trigger. `probabilities` scores rows with the model under test
 * (`TaskLearner.probabilities`, or `predict` for a TF.js model): any model family.
 */
export async function backdoorSuccessRate({
  probabilities,
  test,
  trigger,
}: {
  probabilities: (data: LabelledData) => Promise<Float32Array>;
  test: LabelledData;
  trigger: Trigger;
}): Promise<{ backdoorSuccess: number; failureMissRate: number; failures: number }> {
  const clean = failureRows({ data: test });
  if (clean.rows === 0)
    throw new EvaluationError("bad-settings", "the test set has no failure rows to trigger");
  const triggered = failureRows({ data: test, trigger });
  return {
    backdoorSuccess: await shareCalledNoFailure({ probabilities, data: triggered }),
    failureMissRate: await shareCalledNoFailure({ probabilities, data: clean }),
    failures: clean.rows,
  };
}
