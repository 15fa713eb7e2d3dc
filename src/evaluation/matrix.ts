/**
 * The attack × defense × malicious-fraction matrix, simulated off-chain: each cell is a federation of
 * members training with the same `trainLocal` the member role runs, sending top-k fixed-point updates
 * (`sparsifyUpdate`, whose clipping to the policy's bounds is exactly what an honest proof allows) and
 * aggregated by the same bit-exact `aggregate` the aggregator and auditors run. The chain and the proofs
 * are left out because they do not change the arithmetic: a commit is accepted only if its update obeys
 * the bounds, which the simulation applies to every update, malicious ones included; the
 * `mean-unbounded` baseline shows what happens without them.
 */
import { aggregate, type AggregationRule, type MemberUpdate } from "../aggregation/index.js";
import { AI4I_TRIGGER, poisonData, poisonDelta } from "../adversary/poisoning.js";
import {
  evaluate,
  initialParams,
  paramCount,
  trainLocal,
  type FederatedDataset,
  type LabelledData,
} from "../learning/index.js";
import { sparsifyUpdate, type FixedPointPolicy, type SparseUpdate } from "../sparse/index.js";
import { backdoorSuccessRate } from "./backdoor.js";
import { EvaluationError } from "./errors.js";
import {
  ATTACKS,
  DEFENSES,
  type AttackName,
  type CellResult,
  type DefenseName,
  type FederationSettings,
} from "./types.js";

const INT32_MAX = 0x7fffffff;

/** Synthetic, distinct member addresses (aggregation keys updates by address). */
const memberAddress = (i: number): string => `0x${(i + 1).toString(16).padStart(40, "0")}`;

function median(xs: readonly number[]): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function realNorm(update: SparseUpdate, scale: number): number {
  let sum = 0;
  for (const v of update.values) sum += (v / scale) ** 2;
  return Math.sqrt(sum);
}

function ruleFor(defense: DefenseName, settings: FederationSettings): AggregationRule {
  switch (defense) {
    case "mean-unbounded":
    case "mean-bounded":
      return { kind: "mean" };
    case "trimmed-mean":
      return { kind: "trimmed-mean", trim: settings.trim };
    case "median":
      return { kind: "median" };
    case "clipped-mean":
      return { kind: "clipped-mean", clipL2: BigInt(settings.clipL2) };
  }
}

/** The fixed-point policy updates are quantized under: the proof's bounds, or none for the baseline. */
function fixedPointFor(defense: DefenseName, settings: FederationSettings): FixedPointPolicy {
  return defense === "mean-unbounded"
    ? { scale: settings.scale, l2Bound: Number.MAX_SAFE_INTEGER, lInfBound: INT32_MAX }
    : { scale: settings.scale, l2Bound: settings.l2Bound, lInfBound: settings.lInfBound };
}

export function validateSettings(settings: FederationSettings): FederationSettings {
  const positive = (name: string, v: number): void => {
    if (!Number.isSafeInteger(v) || v < 1) {
      throw new EvaluationError("bad-settings", `${name} must be a positive integer, got ${v}`);
    }
  };
  positive("rounds", settings.rounds);
  positive("k", settings.k);
  positive("scale", settings.scale);
  positive("l2Bound", settings.l2Bound);
  positive("lInfBound", settings.lInfBound);
  positive("clipL2", settings.clipL2);
  if (!Number.isSafeInteger(settings.trim) || settings.trim < 0) {
    throw new EvaluationError("bad-settings", `trim must be a non-negative integer, got ${settings.trim}`);
  }
  return settings;
}

/**
 * One federation: `malicious` of the dataset's members (the last ones) mount `attack` every round, the
 * rest train honestly; `defense` aggregates. Deterministic for the settings' seed (on a given backend):
 * honest members use the same training seeds in every cell, so cells differ only by attack and defense.
 */
export async function runAttackCell({
  dataset,
  attack,
  defense,
  malicious,
  settings,
}: {
  dataset: Pick<FederatedDataset, "spec" | "members" | "test">;
  attack: AttackName;
  defense: DefenseName;
  malicious: number;
  settings: FederationSettings;
}): Promise<CellResult> {
  validateSettings(settings);
  if (!ATTACKS.includes(attack))
    throw new EvaluationError("bad-attack", `unknown attack "${String(attack)}"`);
  if (!DEFENSES.includes(defense))
    throw new EvaluationError("bad-defense", `unknown defense "${String(defense)}"`);
  const n = dataset.members.length;
  if (!Number.isInteger(malicious) || malicious < 0 || malicious >= n) {
    throw new EvaluationError(
      "bad-fraction",
      `malicious must be an integer from 0 to ${n - 1}, got ${malicious}`,
    );
  }
  if (attack !== "none" && malicious === 0) {
    throw new EvaluationError("bad-fraction", `attack "${attack}" needs at least one malicious member`);
  }
  if (defense === "trimmed-mean" && 2 * settings.trim >= n) {
    throw new EvaluationError(
      "bad-settings",
      `trimming ${settings.trim} at each end leaves nothing of ${n} updates`,
    );
  }
  const { spec, test } = dataset;
  const d = paramCount(spec);
  const rule = ruleFor(defense, settings);
  const fixedPoint = fixedPointFor(defense, settings);
  const isMalicious = (i: number): boolean => attack !== "none" && i >= n - malicious;
  const dataFor: LabelledData[] = dataset.members.map((data, i) =>
    isMalicious(i) && (attack === "labelflip" || attack === "backdoor")
      ? poisonData({ data, attack, trigger: AI4I_TRIGGER })
      : data,
  );

  const params = initialParams({ spec, seed: settings.seed });
  let lastGlobalChange = new Float32Array(d);
  const residuals: (Float32Array | undefined)[] = dataset.members.map(() => undefined);
  const honestNorms: number[] = [];
  const maliciousNorms: number[] = [];
  const macroF1PerRound: number[] = [];
  let finalMetrics = await evaluate({ spec, params, data: test });

  for (let round = 1; round <= settings.rounds; round++) {
    const updates: MemberUpdate[] = [];
    for (let i = 0; i < n; i++) {
      const bad = isMalicious(i);
      let update: SparseUpdate;
      if (bad && attack === "freeride-zero") {
        update = { dimension: d, indices: new Uint32Array(0), values: new Int32Array(0) };
      } else if (bad && attack === "freeride-stale") {
        // No training: last round's global change, which anyone reading the chain can compute.
        update = sparsifyUpdate({ delta: lastGlobalChange, policy: { ...fixedPoint, k: settings.k } }).update;
      } else {
        const trained = await trainLocal({
          spec,
          globalParams: params,
          data: dataFor[i]!,
          policy: settings.training,
          seed: settings.seed * 10_000 + round * 100 + i,
        });
        const delta =
          bad && (attack === "scaling" || attack === "signflip" || attack === "noise")
            ? poisonDelta({ delta: trained.delta, attack, seed: settings.seed + round * 31 + i })
            : trained.delta;
        const sent = sparsifyUpdate({
          delta,
          residual: residuals[i],
          policy: { ...fixedPoint, k: settings.k },
        });
        residuals[i] = sent.residual;
        update = sent.update;
      }
      (bad ? maliciousNorms : honestNorms).push(realNorm(update, settings.scale));
      updates.push({ member: memberAddress(i), update });
    }
    const delta = aggregate({ updates, rule, dimension: d });
    lastGlobalChange = new Float32Array(d);
    delta.indices.forEach((index, j) => {
      const change = delta.values[j]! / settings.scale;
      params[index] = params[index]! + change;
      lastGlobalChange[index] = change;
    });
    finalMetrics = await evaluate({ spec, params, data: test });
    macroF1PerRound.push(finalMetrics.macroF1);
  }
  const backdoor = await backdoorSuccessRate({ spec, params, test, trigger: AI4I_TRIGGER });
  return {
    attack,
    defense,
    members: n,
    malicious: attack === "none" ? 0 : malicious,
    macroF1: finalMetrics.macroF1,
    balancedAccuracy: finalMetrics.balancedAccuracy,
    loss: finalMetrics.loss,
    macroF1PerRound,
    backdoorSuccess: backdoor.backdoorSuccess,
    failureMissRate: backdoor.failureMissRate,
    honestNormMedian: median(honestNorms),
    maliciousNormMedian: median(maliciousNorms),
  };
}

/**
 * Every cell of the matrix: for each defense, the clean federation (no malicious member) once, then every
 * attack at every non-zero malicious count. `onCell` sees each result as it is ready (progress).
 */
export async function runAttackMatrix({
  dataset,
  settings,
  attacks = ATTACKS.filter((a) => a !== "none"),
  defenses = DEFENSES,
  maliciousCounts,
  onCell,
}: {
  dataset: Pick<FederatedDataset, "spec" | "members" | "test">;
  settings: FederationSettings;
  attacks?: readonly AttackName[];
  defenses?: readonly DefenseName[];
  maliciousCounts: readonly number[];
  onCell?: (cell: CellResult) => void;
}): Promise<CellResult[]> {
  validateSettings(settings);
  const cells: CellResult[] = [];
  const record = (cell: CellResult): void => {
    cells.push(cell);
    onCell?.(cell);
  };
  for (const defense of defenses) {
    record(await runAttackCell({ dataset, attack: "none", defense, malicious: 0, settings }));
    for (const attack of attacks) {
      if (attack === "none") continue;
      for (const malicious of maliciousCounts) {
        if (malicious === 0) continue;
        record(await runAttackCell({ dataset, attack, defense, malicious, settings }));
      }
    }
  }
  return cells;
}
