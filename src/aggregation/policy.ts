/**
 * Conversion between the rule a task policy stores on chain (id + one integer) and `AggregationRule`,
 * and the runtime validation of a rule.
 */
import { AggregationError } from "./errors.js";
import { RULE_IDS, type AggregationRule, type PolicyRule } from "./types.js";

/** Most updates one aggregation accepts; keeps every coordinate sum of int32 values below 2^53. */
export const MAX_UPDATES = 2 ** 20;

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

/** Lower-cases a member address after checking its shape. */
export function normalizeMember(member: unknown): string {
  if (typeof member !== "string" || !ADDRESS.test(member)) {
    throw new AggregationError(
      "bad-member",
      `member must be a 0x-prefixed 20-byte hex address, got ${String(member)}`,
    );
  }
  return member.toLowerCase();
}

/** Governance weights keyed by lower-cased address; rejects negative, non-bigint or ambiguous weights. */
export function normalizeWeights(weights: unknown): Map<string, bigint> {
  if (typeof weights !== "object" || weights === null || Array.isArray(weights)) {
    throw new AggregationError("bad-rule", "weighted-mean needs a weights object keyed by member address");
  }
  const normalized = new Map<string, bigint>();
  for (const [address, weight] of Object.entries(weights as Record<string, unknown>)) {
    const member = normalizeMember(address);
    if (typeof weight !== "bigint" || weight < 0n) {
      throw new AggregationError(
        "bad-weight",
        `weight of ${address} must be a non-negative bigint, got ${String(weight)}`,
      );
    }
    const previous = normalized.get(member);
    if (previous !== undefined && previous !== weight) {
      throw new AggregationError(
        "bad-weight",
        `weights list ${member} twice (in different letter case) with different values`,
      );
    }
    normalized.set(member, weight);
  }
  return normalized;
}

/** Checks a rule's shape and parameters (not yet against a particular set of updates). */
export function validateRule(rule: unknown): AggregationRule {
  if (typeof rule !== "object" || rule === null) {
    throw new AggregationError("bad-rule", "rule must be an object with a kind");
  }
  const candidate = rule as { kind?: unknown; trim?: unknown; clipL2?: unknown; weights?: unknown };
  switch (candidate.kind) {
    case "mean":
    case "median":
      return rule as AggregationRule;
    case "weighted-mean":
      normalizeWeights(candidate.weights);
      return rule as AggregationRule;
    case "trimmed-mean":
      if (typeof candidate.trim !== "number" || !Number.isSafeInteger(candidate.trim) || candidate.trim < 0) {
        throw new AggregationError(
          "bad-rule-param",
          `trimmed-mean trim must be a non-negative integer, got ${String(candidate.trim)}`,
        );
      }
      return rule as AggregationRule;
    case "clipped-mean":
      if (typeof candidate.clipL2 !== "bigint" || candidate.clipL2 <= 0n) {
        throw new AggregationError(
          "bad-rule-param",
          `clipped-mean clipL2 must be a positive bigint, got ${String(candidate.clipL2)}`,
        );
      }
      return rule as AggregationRule;
    default:
      throw new AggregationError("bad-rule", `unknown aggregation rule kind ${String(candidate.kind)}`);
  }
}

/**
 * Builds the rule a task policy names. `param` is the trim count for trimmed-mean (at most
 * `MAX_UPDATES`), the L2 clip in fixed-point units for clipped-mean (positive), and must be 0 for the
 * other rules. Weighted-mean takes its governance-set weights from `weights` (the chain keeps them per
 * member, not in the single policy integer).
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
  const requireZeroParam = (kind: string): void => {
    if (param !== 0n)
      throw new AggregationError("bad-rule-param", `${kind} takes no parameter, policy has ${param}`);
  };
  if (weights !== undefined && ruleId !== RULE_IDS["weighted-mean"]) {
    throw new AggregationError(
      "weight-not-applicable",
      `weights given for rule id ${ruleId}, which is not weighted-mean`,
    );
  }
  switch (ruleId) {
    case RULE_IDS.mean:
      requireZeroParam("mean");
      return { kind: "mean" };
    case RULE_IDS["weighted-mean"]:
      requireZeroParam("weighted-mean");
      if (weights === undefined) {
        throw new AggregationError(
          "missing-weight",
          "weighted-mean policy needs the governance-set member weights",
        );
      }
      normalizeWeights(weights);
      return { kind: "weighted-mean", weights };
    case RULE_IDS["trimmed-mean"]:
      if (param < 0n || param > BigInt(MAX_UPDATES)) {
        throw new AggregationError(
          "bad-rule-param",
          `trimmed-mean trim must be in [0, ${MAX_UPDATES}], policy has ${param}`,
        );
      }
      return { kind: "trimmed-mean", trim: Number(param) };
    case RULE_IDS.median:
      requireZeroParam("median");
      return { kind: "median" };
    case RULE_IDS["clipped-mean"]:
      if (param <= 0n) {
        throw new AggregationError(
          "bad-rule-param",
          `clipped-mean clipL2 must be positive, policy has ${param}`,
        );
      }
      return { kind: "clipped-mean", clipL2: param };
    default:
      throw new AggregationError("unknown-rule-id", `unknown aggregation rule id ${String(ruleId)}`);
  }
}

/** The (id, param) pair a task policy stores for a rule; the inverse of `ruleFromPolicy` (weights stay off it). */
export function ruleToPolicy(rule: AggregationRule): PolicyRule {
  const checked = validateRule(rule);
  switch (checked.kind) {
    case "trimmed-mean":
      return { ruleId: RULE_IDS[checked.kind], param: BigInt(checked.trim) };
    case "clipped-mean":
      return { ruleId: RULE_IDS[checked.kind], param: checked.clipL2 };
    default:
      return { ruleId: RULE_IDS[checked.kind], param: 0n };
  }
}
