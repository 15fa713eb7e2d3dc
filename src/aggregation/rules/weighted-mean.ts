/**
 * `weighted-mean`: coordinate-wise weighted mean. Weights are set by governance per member address,
 * never self-reported by members (nobody could verify a sample count).
 */
import type { SparseUpdate } from "../../sparse/types.js";
import { AggregationError } from "../errors.js";
import { forEachSentCoordinate } from "../merge.js";
import { normalizeMember } from "../member.js";
import { divRoundHalfAwayFromZero, divRoundHalfAwayFromZeroBig } from "../rounding.js";
import { requireNoParameter } from "./mean.js";
import { SparseBuilder } from "./sparse-builder.js";
import type { AggregationRuleDefinition } from "./types.js";

export interface WeightedMeanRule {
  readonly kind: "weighted-mean";
  /** Governance weights keyed by member address. */
  readonly weights: Readonly<Record<string, bigint>>;
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

function weightedMeanOf(
  updates: readonly SparseUpdate[],
  weights: readonly bigint[],
  dimension: number,
): SparseUpdate {
  let totalWeight = 0n;
  for (const weight of weights) totalWeight += weight;
  if (totalWeight === 0n) {
    throw new AggregationError("bad-weight", "the weights of the included members sum to 0");
  }
  const out = new SparseBuilder(dimension, updates);
  if (totalWeight <= 2n ** 22n) {
    // |Σ w·v| ≤ 2^31 · Σ w ≤ 2^53: exact in Number arithmetic, and much faster than BigInt.
    const small = weights.map(Number);
    const total = Number(totalWeight);
    forEachSentCoordinate(updates, (index, count, values, ordinals) => {
      let sum = 0;
      for (let i = 0; i < count; i++) sum += values[i]! * small[ordinals[i]!]!;
      out.push(index, divRoundHalfAwayFromZero(sum, total));
    });
    return out.build();
  }
  forEachSentCoordinate(updates, (index, count, values, ordinals) => {
    let sum = 0n;
    for (let i = 0; i < count; i++) sum += BigInt(values[i]!) * weights[ordinals[i]!]!;
    // A convex combination of int32 values, rounded to an integer, is again within int32.
    out.push(index, Number(divRoundHalfAwayFromZeroBig(sum, totalWeight)));
  });
  return out.build();
}

export const weightedMeanRule: AggregationRuleDefinition<WeightedMeanRule> = {
  kind: "weighted-mean",
  id: 1,
  summary: "coordinate-wise mean weighted by governance-set member weights",
  draftable: false,
  acceptsWeights: true,
  validate: (rule) => {
    normalizeWeights(rule["weights"]);
    return { kind: "weighted-mean", weights: rule["weights"] as Readonly<Record<string, bigint>> };
  },
  fromPolicy: ({ parameter, weights }) => {
    requireNoParameter("weighted-mean", parameter);
    if (weights === undefined) {
      throw new AggregationError(
        "missing-weight",
        "weighted-mean policy needs the governance-set member weights",
      );
    }
    normalizeWeights(weights);
    return { kind: "weighted-mean", weights };
  },
  toParameter: () => 0n,
  defaultParameter: () => 0n,
  aggregate: ({ rule, updates, members, suppliedWeights, dimension }) => {
    const weights = normalizeWeights(rule.weights);
    const memberWeights = members.map((member, i) => {
      const weight = weights.get(member);
      if (weight === undefined) {
        throw new AggregationError("missing-weight", `no governance weight for included member ${member}`);
      }
      const supplied = suppliedWeights[i];
      if (supplied !== undefined && supplied !== weight) {
        throw new AggregationError(
          "weight-conflict",
          `update of ${member} carries weight ${supplied} but governance set ${weight}`,
        );
      }
      return weight;
    });
    return weightedMeanOf(updates, memberWeights, dimension);
  },
};
