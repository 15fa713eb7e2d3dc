/**
 * The attack × defense × malicious-fraction matrix, simulated off-chain with the federation simulation of
 * src/research: members train with the same `trainLocal` the member role runs, build their updates the
 * way the member role does (`sparsifyUpdate`, whose clipping to the policy's bounds is exactly what an
 * honest proof allows), and every round is `computeRoundModel` under the defense's rule, the bit-exact
 * aggregation the aggregator and auditors run. Attacks plug in as member behaviours: poisoned data, a
 * transformed delta (src/adversary/poisoning.ts), or no training at all. The chain and the proofs are
 * left out because they do not change the arithmetic: a commit is accepted only if its update obeys the
 * bounds, which the simulation applies to every update, malicious ones included; the `mean-unbounded`
 * baseline shows what happens without them.
 */
import { DEFAULT_MIN_COSINE_PER_MILLE, type AggregationRule } from "../aggregation/index.js";
import { AI4I_TRIGGER, poisonData, poisonDelta } from "../adversary/poisoning.js";
import { predict, type FederatedDataset, type LabelledData } from "../learning/index.js";
import { simulateFederation, type FederationPolicy, type MemberBehaviour } from "../research/index.js";
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

function median(xs: readonly number[]): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
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
    case "server-clip":
      return { kind: "clipped-mean", clipL2: BigInt(settings.clipL2) };
    case "screened-mean":
      return {
        kind: "screened-mean",
        minCosinePerMille: settings.minCosinePerMille ?? DEFAULT_MIN_COSINE_PER_MILLE,
      };
  }
}

/** The policy a cell's federation runs: the proof's bounds, or none (beyond int32) for the baseline. */
function policyFor(defense: DefenseName, settings: FederationSettings): FederationPolicy {
  const bounds =
    defense === "mean-unbounded" || defense === "server-clip"
      ? { l2Bound: Number.MAX_SAFE_INTEGER, lInfBound: INT32_MAX }
      : { l2Bound: settings.l2Bound, lInfBound: settings.lInfBound };
  return {
    training: settings.training,
    maxNonZeros: settings.k,
    scale: settings.scale,
    ...bounds,
    rule: ruleFor(defense, settings),
  };
}

/** The same update for every attacker of a round (see `scaling-adaptive`), built by the first of them. */
function alignedAtBound({ boundReal, k }: { boundReal: number | undefined; k: number }): MemberBehaviour {
  const shared = new Map<number, Float32Array>();
  return {
    transformDelta: ({ delta, round }) => {
      let out = shared.get(round);
      if (!out) {
        // All the mass on the k largest coordinates, which top-k then sends whole.
        const top = Array.from(delta.keys())
          .sort((a, b) => Math.abs(delta[b]!) - Math.abs(delta[a]!) || a - b)
          .slice(0, k);
        const norm = Math.sqrt(top.reduce((a, i) => a + delta[i]! * delta[i]!, 0));
        const target = boundReal === undefined ? 20 * norm : 0.99 * boundReal;
        const factor = norm === 0 ? 0 : -target / norm;
        out = new Float32Array(delta.length);
        for (const i of top) out[i] = delta[i]! * factor;
        shared.set(round, out);
      }
      return out;
    },
  };
}

/** What a malicious member does under `attack`, beyond poisoning its data. */
function behaviourFor(
  attack: AttackName,
  seed: number,
  boundReal: number | undefined,
  k: number,
): MemberBehaviour | undefined {
  switch (attack) {
    case "scaling-adaptive":
      return alignedAtBound({ boundReal, k });
    case "scaling":
    case "signflip":
    case "noise":
      return {
        transformDelta: ({ delta, round, member }) =>
          poisonDelta({ delta, attack, seed: seed + round * 31 + member }),
      };
    case "freeride-zero":
      return { trains: false };
    case "freeride-stale":
      // No training: last round's global change, which anyone reading the chain can compute.
      return { trains: false, transformDelta: ({ lastGlobalChange }) => lastGlobalChange };
    default:
      return undefined;
  }
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
  const isMalicious = (i: number): boolean => attack !== "none" && i >= n - malicious;
  const members: LabelledData[] = dataset.members.map((data, i) =>
    isMalicious(i) && (attack === "labelflip" || attack === "backdoor")
      ? poisonData({ data, attack, trigger: AI4I_TRIGGER })
      : data,
  );
  const unbounded = defense === "mean-unbounded" || defense === "server-clip";
  const behaviour = behaviourFor(
    attack,
    settings.seed,
    unbounded ? undefined : settings.l2Bound / settings.scale,
    settings.k,
  );
  const run = await simulateFederation({
    spec,
    members,
    evaluation: test,
    rounds: settings.rounds,
    policy: policyFor(defense, settings),
    seed: settings.seed,
    behaviours: members.map((_, i) => (isMalicious(i) ? behaviour : undefined)),
  });
  const norms = (bad: boolean): number[] =>
    run.history.flatMap((r) => r.sent.filter((s) => isMalicious(s.member) === bad).map((s) => s.norm));
  const backdoor = await backdoorSuccessRate({
    probabilities: (data) => predict({ spec, params: run.params, data }),
    test,
    trigger: AI4I_TRIGGER,
  });
  const maliciousMembers = members.map((_, i) => i).filter(isMalicious);
  const flaggedEarly = new Set(run.history.slice(0, 5).flatMap((r) => r.flagged.map((f) => f.member)));
  const honestRounds = run.history.reduce(
    (t, r) => t + r.sent.filter((s) => !isMalicious(s.member)).length,
    0,
  );
  const honestFlagged = run.history.reduce(
    (t, r) => t + r.flagged.filter((f) => !isMalicious(f.member)).length,
    0,
  );
  return {
    attack,
    defense,
    members: n,
    malicious: attack === "none" ? 0 : malicious,
    macroF1: run.final.macroF1,
    balancedAccuracy: run.final.balancedAccuracy,
    loss: run.final.loss,
    macroF1PerRound: run.history.map((r) => r.evaluation.macroF1),
    backdoorSuccess: backdoor.backdoorSuccess,
    failureMissRate: backdoor.failureMissRate,
    honestNormMedian: median(norms(false)),
    maliciousNormMedian: median(norms(true)),
    maliciousFlaggedByRound5:
      maliciousMembers.length === 0
        ? 0
        : maliciousMembers.filter((m) => flaggedEarly.has(m)).length / maliciousMembers.length,
    honestFlaggedRate: honestRounds === 0 ? 0 : honestFlagged / honestRounds,
    flaggedPerRound: run.history.map((r) => r.flagged.map((f) => ({ member: f.member, reason: f.reason }))),
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
