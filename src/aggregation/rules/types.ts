/**
 * The seam every aggregation rule plugs into. A rule is one file in this folder exporting one
 * `AggregationRuleDefinition`, plus one line in `registry.ts`: its kind, its stable on-chain id, its
 * parameter codec (the single integer a task policy stores), its drafting default and its integer,
 * bit-exact computation.
 */
import type { SparseUpdate } from "../../sparse/types.js";

/** A rule value as tasks and aggregators use it: a `kind` plus the rule's own parameters. */
export interface RuleShape {
  readonly kind: string;
}

/** What `aggregate` hands a rule once the common checks passed. */
export interface RuleInput<R extends RuleShape> {
  /** The rule, already validated by the definition's `validate`. */
  readonly rule: R;
  /** The included updates, sorted by lower-cased member address (so the result never depends on input order). */
  readonly updates: readonly SparseUpdate[];
  /** The lower-cased member addresses, in the same order as `updates`. */
  readonly members: readonly string[];
  /** The weight the caller resolved for each update, if any (only rules with `acceptsWeights` see one). */
  readonly suppliedWeights: readonly (bigint | undefined)[];
  /** The model dimension d. */
  readonly dimension: number;
}

/** What a drafted policy's default rule parameter may depend on. */
export interface RuleDraftContext {
  /** The policy's L2 bound, in fixed-point units. */
  readonly l2Bound: bigint;
}

/** Why a rule's screen leaves an update out (names of IFederatedRounds.ExclusionReason). */
export const SCREEN_REASONS = ["FreeRider", "Outlier"] as const;
export type ScreenReason = (typeof SCREEN_REASONS)[number];

/** One update a rule's screen leaves out: its position in `RuleInput.updates`, the reason, a detail. */
export interface ScreenFlag {
  readonly index: number;
  readonly reason: ScreenReason;
  readonly detail: string;
}

/** What a screen sees: the round's updates and who its earlier rounds suspected. */
export interface ScreenInput<R extends RuleShape> extends RuleInput<R> {
  /**
   * For each of the `screenHistory` rounds before this one, most recent first, the lower-cased addresses the
   * screen suspected there (shorter when the task has fewer rounds). Each is recomputed from that round's
   * own updates, so the aggregator and every auditor hold the same lists.
   */
  readonly previousSuspects: readonly (readonly string[])[];
  /**
   * The round's base model's fixed-point parameters (the last finalized model, which every reader fetches
   * and checks by hash), when the caller has it: a screen may judge an update against it.
   */
  readonly previous?: Int32Array;
}

/** A screen's decision for one round. */
export interface ScreenVerdict {
  /** The updates left out of this round's aggregate. */
  readonly flags: ScreenFlag[];
  /**
   * Positions the screen suspects this round, left out or not: later rounds read them as `previousSuspects`.
   * A function of this round's updates alone (never of the history), so replaying any round needs no other.
   */
  readonly suspects: number[];
}

/** One aggregation rule: everything the rest of the system needs to know about it. */
export interface AggregationRuleDefinition<R extends RuleShape> {
  /** The rule's name in `AggregationRule.kind`, the CLI and reports. */
  readonly kind: R["kind"];
  /** The id a task policy stores on chain. Stable: never renumber, never reuse. */
  readonly id: number;
  /** One line for `--help` and docs. */
  readonly summary: string;
  /**
   * Whether a task can be drafted with this rule from the policy alone. Weighted mean cannot: its
   * weights are governance-set per member and policies do not carry them yet.
   */
  readonly draftable: boolean;
  /** Whether updates may carry a caller-resolved weight for this rule. */
  readonly acceptsWeights: boolean;
  /** Checks the rule's own parameters (its `kind` already matched) and returns it typed. */
  validate(rule: Readonly<Record<string, unknown>>): R;
  /** Decodes the policy's integer parameter (and governance weights, for rules that take them). */
  fromPolicy(params: { parameter: bigint; weights?: Readonly<Record<string, bigint>> }): R;
  /** Encodes the rule's parameter as the policy's single integer; the inverse of `fromPolicy`. */
  toParameter(rule: R): bigint;
  /** The parameter a drafted task gets when its author names only the rule. */
  defaultParameter(context: RuleDraftContext): bigint;
  /**
   * Updates to leave out before aggregating, decided deterministically from the round's updates and the
   * suspects of the `screenHistory` rounds before it (defenses: `screened-mean`). The aggregator publishes
   * them as exclusions with the reason; auditors replay it.
   */
  screen?(input: ScreenInput<R>): ScreenVerdict;
  /** How many earlier rounds' suspects `screen` reads (0 or absent: none). */
  readonly screenHistory?: number;
  /** The integer, bit-exact aggregation: sparse output, no zero entries, indices strictly increasing. */
  aggregate(input: RuleInput<R>): SparseUpdate;
}
