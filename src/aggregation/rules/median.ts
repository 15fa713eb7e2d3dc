/** `median`: coordinate-wise median (even n: mean of the two middle values, rounded half away from zero). */
import type { SparseUpdate } from "../../sparse/types.js";
import { forEachSentCoordinate } from "../merge.js";
import { divRoundHalfAwayFromZero } from "../rounding.js";
import { requireNoParameter } from "./mean.js";
import { SparseBuilder } from "./sparse-builder.js";
import type { AggregationRuleDefinition } from "./types.js";

export interface MedianRule {
  readonly kind: "median";
}

function valueAtRank(sorted: Int32Array, negatives: number, implicitZeros: number, rank: number): number {
  if (rank < negatives) return sorted[rank]!;
  if (rank < negatives + implicitZeros) return 0;
  return sorted[rank - implicitZeros]!;
}

function medianOf(updates: readonly SparseUpdate[], dimension: number): SparseUpdate {
  const n = updates.length;
  const out = new SparseBuilder(dimension, updates);
  forEachSentCoordinate(updates, (index, count, values) => {
    const sorted = values.subarray(0, count).sort();
    let negatives = 0;
    while (negatives < count && sorted[negatives]! < 0) negatives++;
    const implicitZeros = n - count;
    const upper = valueAtRank(sorted, negatives, implicitZeros, n >> 1);
    if (n % 2 === 1) {
      out.push(index, upper);
    } else {
      const lower = valueAtRank(sorted, negatives, implicitZeros, (n >> 1) - 1);
      out.push(index, divRoundHalfAwayFromZero(lower + upper, 2));
    }
  });
  return out.build();
}

export const medianRule: AggregationRuleDefinition<MedianRule> = {
  kind: "median",
  id: 3,
  summary: "coordinate-wise median",
  draftable: true,
  acceptsWeights: false,
  validate: () => ({ kind: "median" }),
  fromPolicy: ({ parameter }) => {
    requireNoParameter("median", parameter);
    return { kind: "median" };
  },
  toParameter: () => 0n,
  defaultParameter: () => 0n,
  aggregate: ({ updates, dimension }) => medianOf(updates, dimension),
};
