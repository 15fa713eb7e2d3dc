/**
 * Types of the aggregation rules a task policy can name, and of the inputs they aggregate.
 *
 * Every rule works on integer fixed-point values (the task's scale) and is bit-exact: the same
 * inputs give the same output on every machine, so auditors can replay the aggregator.
 */
import type { SparseUpdate } from "../sparse/types.js";
import type { AggregationRule } from "./rules/registry.js";

export type { AggregationRule, AggregationRuleKind } from "./rules/registry.js";
export { RULE_IDS } from "./rules/registry.js";

/** A rule id as stored on chain. */
export type AggregationRuleId = number;

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
  | "overflow"
  | "bad-round";
