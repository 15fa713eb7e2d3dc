/**
 * `sum`: coordinate-wise sum over all n included updates, exact (no division, no rounding).
 *
 * For tasks whose parameters are statistics rather than weights: a histogram forest's global model holds
 * the consortium's class counts per tree node, feature bin and class, and each member's update is its own
 * counts, so the sum is exactly the pooled data's counts (a mean would round a rare class's count of 1
 * among 4 members to 0). A member's influence is still capped by the proof's bounds (L∞: the most rows it
 * can claim in one bin; L2 and k).
 */
import { AggregationError } from "../errors.js";
import { forEachSentCoordinate } from "../merge.js";
import { requireNoParameter } from "./mean.js";
import { SparseBuilder } from "./sparse-builder.js";
import type { AggregationRuleDefinition } from "./types.js";

export interface SumRule {
  readonly kind: "sum";
}

const INT32_MAX = 2 ** 31 - 1;

export const sumRule: AggregationRuleDefinition<SumRule> = {
  kind: "sum",
  id: 6,
  summary: "coordinate-wise sum, exact; for statistics such as a histogram forest's class counts",
  draftable: true,
  acceptsWeights: false,
  validate: () => ({ kind: "sum" }),
  fromPolicy: ({ parameter }) => {
    requireNoParameter("sum", parameter);
    return { kind: "sum" };
  },
  toParameter: () => 0n,
  defaultParameter: () => 0n,
  aggregate: ({ updates, dimension }) => {
    const out = new SparseBuilder(dimension, updates);
    forEachSentCoordinate(updates, (index, count, values) => {
      // |sum| ≤ n · 2^31 ≤ 2^51 for any n a round can hold: exact in a double.
      let sum = 0;
      for (let i = 0; i < count; i++) sum += values[i]!;
      // Within the circuits' value range (|v| < 2^15) this needs more than 2^16 members; refused rather
      // than wrapped, so that every replay fails alike instead of agreeing on a wrong model.
      if (sum > INT32_MAX || sum < -INT32_MAX)
        throw new AggregationError("overflow", `sum at coordinate ${index} leaves the int32 range: ${sum}`);
      out.push(index, sum);
    });
    return out.build();
  },
};
