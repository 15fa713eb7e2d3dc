/**
 * The histogram forest federated through the product's round arithmetic: each round every member counts
 * its rows at the level being grown (`forestMemberUpdate`), updates outside the policy's bounds are left
 * out as the chain would refuse their commits, and `computeRoundModel` adds the rest under the policy's
 * rule (`sum`) into the global model whose hash an aggregator publishes. The forest is then derived from
 * that model (`deriveForest`), as every auditor and member would.
 */
import {
  computeRoundModel,
  screenRound,
  type AggregationRule,
  type MemberUpdate,
} from "../aggregation/index.js";
import { createRng, type Rng } from "../data/rng.js";
import type { SparseUpdate } from "../sparse/index.js";
import {
  deriveForest,
  forestDimension,
  forestMemberUpdate,
  macroF1,
  metricsFromProbabilities,
  predictForest,
  validateForestSpec,
  type EvaluationMetrics,
  type HistogramForest,
  type HistogramForestSpec,
  type LabelledData,
} from "../learning/index.js";
import { initialGlobalModel, type GlobalModel } from "../model/index.js";
import { ResearchError } from "./errors.js";
import {
  MAX_SIMULATED_MEMBERS,
  simulatedMemberAddress,
  simulatedMemberIndex,
  wireSize,
  withinPolicyBounds,
} from "./federation.js";

/** The policy of a forest task: the proof's bounds on one member's counts and the rule (`sum`). */
export interface ForestFederationPolicy {
  readonly maxNonZeros: number;
  readonly l2Bound: number;
  readonly lInfBound: number;
  readonly rule: AggregationRule;
}

/** One round of a forest federation. */
export interface ForestRoundRecord {
  readonly round: number;
  readonly modelHash: string;
  readonly evaluation: EvaluationMetrics;
  /** Per member: entries sent, wire bytes, whether the update was within the bounds (else left out). */
  readonly sent: readonly { member: number; entries: number; wireBytes: number; included: boolean }[];
  /** Members the rule's screen left out (a supported sum's free riders), with the reason. */
  readonly flagged: readonly { member: number; reason: string; detail: string }[];
}

/**
 * What a free-riding member sends instead of its counts (the attack matrix's free riders): nothing, random
 * counts as many as an honest update of its rows would hold, or last round's global change again.
 */
export type ForestFreeRider = "freeride-zero" | "noise" | "freeride-stale";

export interface ForestFederationResult {
  readonly model: GlobalModel;
  readonly forest: HistogramForest;
  readonly history: readonly ForestRoundRecord[];
  readonly final: EvaluationMetrics;
}

/**
 * Grows `spec`'s forest over `rounds` rounds (one level each; rounds past the depth send nothing) among
 * `members`, scoring the derived forest on `evaluation` after every round. Deterministic: no seed beyond
 * the spec's, and the same rows give the same model bytes however they are split between members.
 */
export function simulateForestFederation({
  spec,
  members,
  evaluation,
  rounds,
  policy,
  task = 1,
  freeRiders = [],
  seed = 1,
}: {
  spec: HistogramForestSpec;
  members: readonly LabelledData[];
  evaluation: LabelledData;
  rounds: number;
  policy: ForestFederationPolicy;
  task?: number;
  /** Per member, what it sends instead of its counts; undefined: honest. */
  freeRiders?: readonly (ForestFreeRider | undefined)[];
  /** Seed of the noise free riders' random counts. */
  seed?: number;
}): ForestFederationResult {
  validateForestSpec(spec);
  if (members.length === 0) throw new ResearchError("no-members", "a federation needs at least one member");
  if (members.length > MAX_SIMULATED_MEMBERS)
    throw new ResearchError("too-many-members", `at most ${MAX_SIMULATED_MEMBERS} members`);
  if (!Number.isSafeInteger(rounds) || rounds < 1)
    throw new ResearchError("bad-rounds", `rounds must be ≥ 1, got ${rounds}`);
  let model = initialGlobalModel({ task, dimension: forestDimension(spec), scale: 1 });
  // The forest of the current model: every member counts against it, then it is scored, then replaced.
  let forest = deriveForest({ spec, counts: model.params });
  const history: ForestRoundRecord[] = [];
  const rng = createRng(seed);
  const dimension = forestDimension(spec);
  let lastChange: SparseUpdate = { dimension, indices: new Uint32Array(0), values: new Int32Array(0) };
  for (let round = 1; round <= rounds; round++) {
    const updates: MemberUpdate[] = [];
    const sent = members.map((data, m) => {
      if (data.rows === 0) return { member: m, entries: 0, wireBytes: 0, included: false };
      const honest = forestMemberUpdate({ forest, data, level: round - 1, counts: model.params });
      const update = freeRide({ behaviour: freeRiders[m], honest, lastChange, rng });
      const included = withinPolicyBounds({ update, policy, dimension: update.dimension });
      if (included) updates.push({ member: simulatedMemberAddress({ member: m }), update });
      return {
        member: m,
        entries: update.indices.length,
        wireBytes: wireSize(update, 1).wireBytes,
        included,
      };
    });
    // The rule's screen (a supported sum's free riders) leaves updates out first, as the roles' inputs do.
    const screened = screenRound({ updates, rule: policy.rule, dimension, previous: model.params });
    const next = computeRoundModel({ previous: model, updates: screened.kept, rule: policy.rule, round });
    lastChange = next.delta;
    model = next.model;
    forest = deriveForest({ spec, counts: model.params });
    const probs = predictForest({ forest, data: evaluation });
    history.push({
      round,
      modelHash: next.hash,
      evaluation: metricsFromProbabilities({ probs, data: evaluation }),
      sent,
      flagged: screened.flagged.map((f) => ({
        member: simulatedMemberIndex(f.member),
        reason: f.reason,
        detail: f.detail,
      })),
    });
  }
  return {
    model,
    forest,
    history,
    final: history.at(-1)!.evaluation,
  };
}

/** What a member sends: its counts, or a free rider's stand-in for them. */
function freeRide({
  behaviour,
  honest,
  lastChange,
  rng,
}: {
  behaviour: ForestFreeRider | undefined;
  honest: SparseUpdate;
  lastChange: SparseUpdate;
  rng: Rng;
}): SparseUpdate {
  switch (behaviour) {
    case undefined:
      return honest;
    case "freeride-zero":
      return { dimension: honest.dimension, indices: new Uint32Array(0), values: new Int32Array(0) };
    case "freeride-stale":
      return lastChange;
    case "noise": {
      // As many cells as its honest counts would fill, anywhere, each a count of 1 to 4.
      const cells = new Set<number>();
      while (cells.size < Math.min(honest.indices.length, honest.dimension))
        cells.add(rng.int(honest.dimension));
      const indices = Uint32Array.from([...cells].sort((a, b) => a - b));
      return { dimension: honest.dimension, indices, values: Int32Array.from(indices, () => 1 + rng.int(4)) };
    }
  }
}

/** Binary macro-F1 when class 1 is called at probability ≥ `threshold`. */
export function macroF1AtThreshold({
  probs,
  data,
  threshold,
}: {
  probs: Float32Array;
  data: LabelledData;
  threshold: number;
}): number {
  if (data.classes !== 2) throw new ResearchError("bad-options", "thresholds apply to two classes");
  const predictions = new Uint8Array(data.rows);
  for (let r = 0; r < data.rows; r++) predictions[r] = probs[2 * r + 1]! >= threshold ? 1 : 0;
  return macroF1({ labels: data.labels, predictions, classes: 2 });
}

/** Candidate decision thresholds: 0.05, 0.075, …, 0.95. */
export const THRESHOLD_GRID: readonly number[] = Array.from(
  { length: 37 },
  (_, i) => Math.round((0.05 + 0.025 * i) * 1000) / 1000,
);

/** The threshold with the best macro-F1 on validation rows (the lowest among equals). */
export function chooseThreshold({ probs, data }: { probs: Float32Array; data: LabelledData }): {
  threshold: number;
  macroF1: number;
} {
  let best = { threshold: 0.5, macroF1: -1 };
  for (const threshold of THRESHOLD_GRID) {
    const f = macroF1AtThreshold({ probs, data, threshold });
    if (f > best.macroF1) best = { threshold, macroF1: f };
  }
  return best;
}
