/**
 * The aggregation rules a task policy can name: one line per rule. A new rule is its own file in this
 * folder, its test, and a line here (plus golden vectors from test/vectors/aggregation-golden.py and,
 * because the Consortium refuses unknown ids, the bound in Consortium.sol; CONTRIBUTING.md).
 */
import { clippedMeanRule } from "./clipped-mean.js";
import { meanRule } from "./mean.js";
import { medianRule } from "./median.js";
import { screenedMeanRule } from "./screened-mean.js";
import { sumRule } from "./sum.js";
import { trimmedMeanRule } from "./trimmed-mean.js";
import type { AggregationRuleDefinition } from "./types.js";
import { weightedMeanRule } from "./weighted-mean.js";

export const AGGREGATION_RULES = [
  meanRule,
  weightedMeanRule,
  trimmedMeanRule,
  medianRule,
  clippedMeanRule,
  screenedMeanRule,
  sumRule,
] as const;

type RuleOf<D> = D extends AggregationRuleDefinition<infer R> ? R : never;

/** A deterministic aggregation rule over the n updates included in a round (see each rule's file). */
export type AggregationRule = RuleOf<(typeof AGGREGATION_RULES)[number]>;

/** The name of a rule, as used in `AggregationRule.kind`. */
export type AggregationRuleKind = AggregationRule["kind"];

/** Any rule's definition, as the dispatch sees it. */
export type AnyRuleDefinition = AggregationRuleDefinition<AggregationRule>;

const BY_KIND = new Map<string, AnyRuleDefinition>(
  AGGREGATION_RULES.map((d) => [d.kind, d as unknown as AnyRuleDefinition]),
);
const BY_ID = new Map<number, AnyRuleDefinition>(
  AGGREGATION_RULES.map((d) => [d.id, d as unknown as AnyRuleDefinition]),
);

/** The definition of a rule kind, or undefined. */
export function ruleDefinitionByKind(kind: unknown): AnyRuleDefinition | undefined {
  return typeof kind === "string" ? BY_KIND.get(kind) : undefined;
}

/** The definition of an on-chain rule id, or undefined. */
export function ruleDefinitionById(id: number): AnyRuleDefinition | undefined {
  return BY_ID.get(id);
}

/** The numeric rule ids stored in a task policy on chain. Stable: never renumber. */
export const RULE_IDS = Object.fromEntries(AGGREGATION_RULES.map((d) => [d.kind, d.id])) as {
  readonly [K in AggregationRuleKind]: number;
};

/** The largest rule id: the Consortium refuses policies naming a larger one (its bound must match). */
export const MAX_RULE_ID = Math.max(...AGGREGATION_RULES.map((d) => d.id));

/** The rules a task can be drafted with from its policy alone (CLI and demo choices). */
export const DRAFTABLE_RULE_KINDS = AGGREGATION_RULES.filter((d) => d.draftable).map(
  (d) => d.kind,
) as readonly AggregationRuleKind[];

// Stable ids are the contract's view of a rule: a duplicate would make two rules one on chain.
if (BY_ID.size !== AGGREGATION_RULES.length || BY_KIND.size !== AGGREGATION_RULES.length)
  throw new Error("aggregation rule registry: duplicate kind or id");
