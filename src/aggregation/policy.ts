/**
 * Conversion between the rule a task policy stores on chain (id + one integer) and `AggregationRule`,
 * and the runtime validation of a rule. Each rule's own codec lives in its file under rules/.
 */
import { AggregationError } from "./errors.js";
import { ruleDefinitionById, ruleDefinitionByKind, type AggregationRule } from "./rules/registry.js";
import type { PolicyRule } from "./types.js";

export { MAX_UPDATES } from "./limits.js";
export { normalizeMember } from "./member.js";
export { normalizeWeights } from "./rules/weighted-mean.js";

/** Checks a rule's shape and parameters (not yet against a particular set of updates). */
export function validateRule(rule: unknown): AggregationRule {
  if (typeof rule !== "object" || rule === null) {
    throw new AggregationError("bad-rule", "rule must be an object with a kind");
  }
  const candidate = rule as Readonly<Record<string, unknown>>;
  const definition = ruleDefinitionByKind(candidate["kind"]);
  if (!definition) {
    throw new AggregationError("bad-rule", `unknown aggregation rule kind ${String(candidate["kind"])}`);
  }
  return definition.validate(candidate);
}

/**
 * Builds the rule a task policy names from its id and single integer parameter (each rule's file says
 * what the parameter means). Weighted mean takes its governance-set weights from `weights` (the chain
 * keeps them per member, not in the single policy integer).
 */
export function ruleFromPolicy(params: {
  ruleId: number;
  param: bigint;
  weights?: Readonly<Record<string, bigint>>;
}): AggregationRule {
  const { ruleId, param, weights } = params;
  if (typeof param !== "bigint") {
    throw new AggregationError("bad-rule-param", `policy rule param must be a bigint, got ${typeof param}`);
  }
  const definition = ruleDefinitionById(ruleId);
  if (weights !== undefined && !definition?.acceptsWeights) {
    throw new AggregationError(
      "weight-not-applicable",
      `weights given for rule id ${ruleId}, which does not take weights`,
    );
  }
  if (!definition) {
    throw new AggregationError("unknown-rule-id", `unknown aggregation rule id ${String(ruleId)}`);
  }
  return definition.fromPolicy({ parameter: param, weights });
}

/** The (id, param) pair a task policy stores for a rule; the inverse of `ruleFromPolicy` (weights stay off it). */
export function ruleToPolicy(rule: AggregationRule): PolicyRule {
  const checked = validateRule(rule);
  const definition = ruleDefinitionByKind(checked.kind)!;
  return { ruleId: definition.id, param: definition.toParameter(checked) };
}
