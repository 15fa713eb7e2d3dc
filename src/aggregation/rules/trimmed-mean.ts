/** `trimmed-mean`: per coordinate, drop the `trim` smallest and `trim` largest of the n values, then mean. */
import type { SparseUpdate } from "../../sparse/types.js";
import { AggregationError } from "../errors.js";
import { MAX_UPDATES } from "../limits.js";
import { forEachSentCoordinate } from "../merge.js";
import { divRoundHalfAwayFromZero } from "../rounding.js";
import { isCount, SparseBuilder } from "./sparse-builder.js";
import type { AggregationRuleDefinition } from "./types.js";

export interface TrimmedMeanRule {
  readonly kind: "trimmed-mean";
  /** Values dropped at each end, per coordinate. */
  readonly trim: number;
}

/**
 * Per coordinate: the mean of the values ranked [trim, n - trim) in the sorted multiset of all n values
 * (explicit values plus n - count implicit zeros), rounded half away from zero.
 */
function trimmedMeanOf(updates: readonly SparseUpdate[], trim: number, dimension: number): SparseUpdate {
  const n = updates.length;
  const kept = n - 2 * trim;
  const out = new SparseBuilder(dimension, updates);
  forEachSentCoordinate(updates, (index, count, values) => {
    // Sorting the merge's scratch buffer in place is fine: it is ours until we return, and order
    // statistics do not need to know which member sent which value.
    const sorted = values.subarray(0, count).sort();
    const implicitZeros = n - count;
    let sum = 0;
    let rank = 0;
    for (let i = 0; i < count; i++) {
      const value = sorted[i]!;
      // The implicit zeros sit between the negative and the non-negative explicit values.
      if (value >= 0 && rank === i) rank += implicitZeros;
      if (rank >= trim && rank < n - trim) sum += value;
      rank++;
    }
    out.push(index, divRoundHalfAwayFromZero(sum, kept));
  });
  return out.build();
}

export const trimmedMeanRule: AggregationRuleDefinition<TrimmedMeanRule> = {
  kind: "trimmed-mean",
  id: 2,
  summary: "per coordinate, the mean after dropping the `trim` smallest and largest values",
  draftable: true,
  acceptsWeights: false,
  validate: (rule) => {
    const trim = rule["trim"];
    if (!isCount(trim)) {
      throw new AggregationError(
        "bad-rule-param",
        `trimmed-mean trim must be a non-negative integer, got ${String(trim)}`,
      );
    }
    return { kind: "trimmed-mean", trim };
  },
  fromPolicy: ({ parameter }) => {
    if (parameter < 0n || parameter > BigInt(MAX_UPDATES)) {
      throw new AggregationError(
        "bad-rule-param",
        `trimmed-mean trim must be in [0, ${MAX_UPDATES}], policy has ${parameter}`,
      );
    }
    return { kind: "trimmed-mean", trim: Number(parameter) };
  },
  toParameter: (rule) => BigInt(rule.trim),
  // One value per side: stops one outlier per coordinate and still works from three members up.
  defaultParameter: () => 1n,
  aggregate: ({ rule, updates, dimension }) => {
    const n = updates.length;
    if (2 * rule.trim >= n) {
      throw new AggregationError(
        "trim-too-large",
        `trimmed-mean trims ${rule.trim} per side but only ${n} updates are included (need more than ${2 * rule.trim})`,
      );
    }
    return trimmedMeanOf(updates, rule.trim, dimension);
  },
};
