/**
 * Types of the adversarial evaluation: which attacks malicious members mount, which defenses the
 * aggregation applies, and what one cell of the attack × defense × malicious-fraction matrix measures.
 */
import type { TrainingPolicy } from "../learning/index.js";

/**
 * What the members under the attacker's control do each round.
 * - `scaling`: model replacement, their honest delta times 20;
 * - `signflip`: their honest delta negated;
 * - `noise`: Gaussian noise (σ = 0.5) instead of a delta;
 * - `labelflip`: they train on their data with every label flipped;
 * - `backdoor`: they train on their data plus failure rows stamped with a trigger and labelled "no failure";
 * - `freeride-zero`: no training, an empty update (zero entries);
 * - `freeride-stale`: no training, the last global change passed off as their own update;
 * - `scaling-adaptive`: the strongest update the proof admits, aligned: every attacker sends the same
 *   update, the first attacker's honest delta negated and scaled to 99% of the policy's L2 bound (without
 *   a bound, 20 times its norm).
 */
export const ATTACKS = [
  "none",
  "scaling",
  "signflip",
  "noise",
  "labelflip",
  "backdoor",
  "freeride-zero",
  "freeride-stale",
  "scaling-adaptive",
] as const;
export type AttackName = (typeof ATTACKS)[number];

/**
 * How the round's updates are combined.
 * - `mean-unbounded`: the baseline without the proof: no norm bounds (nothing clips), plain mean;
 * - `mean-bounded`: plain mean, every update within the policy's L2 / L∞ bounds, as the proof enforces;
 * - `trimmed-mean`, `median`, `clipped-mean`: the robust rules, also on bounded updates;
 * - `server-clip`: what an aggregator alone could do without any proof: no bounds on what members send,
 *   the aggregator clips each update to `clipL2` and takes the mean (the baseline the proofs are judged by);
 * - `screened-mean`: the defense (src/aggregation/rules/screened-mean.ts) on bounded updates: free riders
 *   and opposing updates excluded, the rest clipped to the median norm.
 */
export const DEFENSES = [
  "mean-unbounded",
  "mean-bounded",
  "trimmed-mean",
  "median",
  "clipped-mean",
  "server-clip",
  "screened-mean",
] as const;
export type DefenseName = (typeof DEFENSES)[number];

/** The federation every cell runs: the task policy's fixed-point bounds and rule parameters, and training. */
export interface FederationSettings {
  readonly rounds: number;
  readonly training: TrainingPolicy;
  /** Entries per update (top-k with error feedback). */
  readonly k: number;
  /** Fixed-point scale: real value = integer / scale. */
  readonly scale: number;
  /** The proof's L2 bound, in fixed-point units. */
  readonly l2Bound: number;
  /** The proof's L∞ bound, in fixed-point units. */
  readonly lInfBound: number;
  /** Values trimmed at each end per coordinate by `trimmed-mean`. */
  readonly trim: number;
  /** `clipped-mean`'s and `server-clip`'s clip, in fixed-point units. */
  readonly clipL2: number;
  /** `screened-mean`'s cosine threshold in thousandths (default: the rule's drafting default). */
  readonly minCosinePerMille?: number;
  readonly seed: number;
}

/** What one simulated federation ends with. */
export interface CellResult {
  readonly attack: AttackName;
  readonly defense: DefenseName;
  readonly members: number;
  readonly malicious: number;
  /** Macro-F1 on the clean test set after the last round. */
  readonly macroF1: number;
  readonly balancedAccuracy: number;
  /** Mean cross-entropy on the clean test set after the last round. */
  readonly loss: number;
  /** Macro-F1 after each round. */
  readonly macroF1PerRound: readonly number[];
  /** Share of real test failures, with the trigger stamped on, that the model calls "no failure". */
  readonly backdoorSuccess: number;
  /** The same share without the trigger: the baseline the backdoor's figure is read against. */
  readonly failureMissRate: number;
  /** Median real-valued L2 norm of the updates honest members sent (over rounds). */
  readonly honestNormMedian: number;
  /** Median real-valued L2 norm of the updates malicious members sent (0 when there are none). */
  readonly maliciousNormMedian: number;
  /** Share of the malicious members the rule's screen flagged at least once in rounds 1–5. */
  readonly maliciousFlaggedByRound5: number;
  /** Share of honest member-rounds the screen flagged (false positives). */
  readonly honestFlaggedRate: number;
  /** The screen's verdicts per round: `[round][i] = { member, reason }`. */
  readonly flaggedPerRound: readonly (readonly { readonly member: number; readonly reason: string }[])[];
}
