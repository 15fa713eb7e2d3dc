/**
 * Types of the aggregation rules a task policy can name, and of the inputs they aggregate.
 *
 * Every rule works on integer fixed-point values (the task's scale) and is bit-exact: the same
 * inputs give the same output on every machine, so auditors can replay the aggregator.
 */
import type { SparseUpdate } from "../sparse/types.js";

/**
 * A deterministic aggregation rule over the n updates included in a round.
 *
 * - `mean`: coordinate-wise mean, every included member counts once.
 * - `weighted-mean`: coordinate-wise weighted mean; weights are set by governance per member address
 *   (never self-reported by members, because nobody could verify a sample count).
 * - `trimmed-mean`: per coordinate, drop the `trim` smallest and `trim` largest of the n values, then mean.
 * - `median`: coordinate-wise median (even n: mean of the two middle values, rounded half away from zero).
 * - `clipped-mean`: scale each update down to integer L2 norm at most `clipL2`, then mean.
 */
export type AggregationRule =
  | { readonly kind: "mean" }
  | { readonly kind: "weighted-mean"; readonly weights: Readonly<Record<string, bigint>> }
  | { readonly kind: "trimmed-mean"; readonly trim: number }
  | { readonly kind: "median" }
  | { readonly kind: "clipped-mean"; readonly clipL2: bigint };

/** The name of a rule, as used in `AggregationRule.kind`. */
export type AggregationRuleKind = AggregationRule["kind"];

/** The numeric rule ids stored in a task policy on chain. Stable: never renumber. */
export const RULE_IDS = {
  mean: 0,
  "weighted-mean": 1,
  "trimmed-mean": 2,
  median: 3,
  "clipped-mean": 4,
} as const satisfies Record<AggregationRuleKind, number>;

/** A rule id as stored on chain. */
export type AggregationRuleId = (typeof RULE_IDS)[AggregationRuleKind];

/** The rule as a task policy stores it: a numeric id and one integer parameter. */
export interface PolicyRule {
  /** One of `RULE_IDS`. */
  readonly ruleId: number;
  /** Rule parameter: the trim count for `trimmed-mean`, the L2 clip (fixed-point units) for `clipped-mean`, else 0. */
  readonly param: bigint;
}

/** One member's update included in a round. */
export interface MemberUpdate {
  /** The member's address (0x + 40 hex digits; compared case-insensitively). */
  readonly member: string;
  /** The member's sparse fixed-point delta. */
  readonly update: SparseUpdate;
  /**
   * Optional: the governance-set weight the caller resolved for this member. Only meaningful for
   * `weighted-mean`, where it must equal the rule's weight for the member (a consistency check, the
   * rule stays the single source of truth).
   */
  readonly weight?: bigint;
}

/** Arguments of `aggregate`. */
export interface AggregateParams {
  /** The included updates (at least one, at most `MAX_UPDATES`, distinct members). */
  readonly updates: readonly MemberUpdate[];
  /** The task's rule. */
  readonly rule: AggregationRule;
  /** The model dimension d; every update must have this dimension. */
  readonly dimension: number;
}

/** Codes of `AggregationError`. */
export type AggregationErrorCode =
  | "no-updates"
  | "too-many-updates"
  | "bad-dimension"
  | "dimension-mismatch"
  | "bad-update"
  | "bad-member"
  | "duplicate-member"
  | "bad-rule"
  | "unknown-rule-id"
  | "bad-rule-param"
  | "missing-weight"
  | "bad-weight"
  | "weight-conflict"
  | "weight-not-applicable"
  | "trim-too-large"
  | "bad-round";
