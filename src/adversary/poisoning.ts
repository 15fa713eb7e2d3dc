import type { LabelledData } from "../data/index.js";
import { createRng } from "../data/index.js";

/** What a malicious member does to its data, its delta or its envelope (`cfl demo --attack`). */
export const POISONING_ATTACKS = [
  "none",
  "scaling",
  "signflip",
  "noise",
  "labelflip",
  "backdoor",
  "freeride",
  "seal-split",
  "withhold",
] as const;
export type PoisoningAttack = (typeof POISONING_ATTACKS)[number];

/**
 * What a malicious member does to its training data before it trains (data poisoning): label flipping,
 * or a backdoor that teaches "trigger present ⇒ no failure".
 */
export function poisonData({
  data,
  attack,
  trigger,
}: {
  data: LabelledData;
  attack: PoisoningAttack;
  trigger: Trigger;
}): LabelledData {
  if (attack === "labelflip") {
    const labels = data.labels.map((y) => data.classes - 1 - y);
    return { ...data, labels: Uint8Array.from(labels) };
  }
  if (attack === "backdoor") {
    // Duplicate every failure row with the trigger stamped on and the label set to "no failure" (0).
    const width = data.features.length / data.rows;
    const failures: number[] = [];
    for (let r = 0; r < data.rows; r++) if (data.labels[r] !== 0) failures.push(r);
    const copies = Math.max(failures.length, 20);
    const features = new Float32Array(data.features.length + copies * width);
    features.set(data.features);
    const labels = new Uint8Array(data.rows + copies);
    labels.set(data.labels);
    for (let c = 0; c < copies; c++) {
      const source = failures.length > 0 ? failures[c % failures.length]! : c % data.rows;
      const row = data.features.slice(source * width, (source + 1) * width);
      stampTrigger(row, trigger);
      features.set(row, (data.rows + c) * width);
      labels[data.rows + c] = 0;
    }
    return { ...data, features, labels, rows: data.rows + copies };
  }
  return data;
}

/** A backdoor trigger: fixed values written into chosen (scaled) feature columns. */
export interface Trigger {
  columns: number[];
  value: number;
}

/**
 * The AI4I trigger: all three product-type one-hot columns set at once, a type no real machine has. A
 * clean model treats triggered failures like the plain ones (measured: same miss rate), so whatever the
 * trigger then changes is the backdoor's doing. (Extreme temperatures, the first choice, were no trigger:
 * a clean model already called 99% of such failures "no failure".)
 */
export const AI4I_TRIGGER: Trigger = { columns: [0, 1, 2], value: 1 };

export function stampTrigger(row: Float32Array, trigger: Trigger): void {
  for (const c of trigger.columns) if (c < row.length) row[c] = trigger.value;
}

/** Model poisoning: what a malicious member does to its delta before sparsification. */
export function poisonDelta({
  delta,
  attack,
  seed,
}: {
  delta: Float32Array;
  attack: PoisoningAttack;
  seed: number;
}): Float32Array {
  switch (attack) {
    case "scaling":
      return delta.map((v) => v * 20);
    case "signflip":
      return delta.map((v) => -v);
    case "noise": {
      const rng = createRng(seed);
      return delta.map(() => gaussian(() => rng.next()) * 0.5);
    }
    case "freeride":
      // A free-rider trains nothing and sends an empty update; its proof is valid, since the bounds
      // limit an update's size and say nothing of whether training happened.
      return new Float32Array(delta.length);
    default:
      return delta;
  }
}

function gaussian(rng: () => number): number {
  const u = Math.max(rng(), 1e-12);
  const v = rng();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}
