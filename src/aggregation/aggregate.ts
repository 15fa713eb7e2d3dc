/**
 * `aggregate`: the deterministic, bit-exact aggregation of a round's included updates.
 *
 * Semantics (see docs/aggregation.md): coordinate-wise over ALL n included updates, where a member that
 * did not send coordinate j contributes the value 0 at j. Implicit zeros are counted, never materialised,
 * so the cost grows with the number of sent entries, not with d × n.
 */
import type { SparseUpdate } from "../sparse/types.js";
import { clipUpdateL2 } from "./clip.js";
import { AggregationError } from "./errors.js";
import { forEachSentCoordinate } from "./merge.js";
import { MAX_UPDATES, normalizeMember, normalizeWeights, validateRule } from "./policy.js";
import { divRoundHalfAwayFromZero, divRoundHalfAwayFromZeroBig } from "./rounding.js";
import type { AggregateParams, AggregationRule } from "./types.js";

/** Largest model dimension: indices are uint32 and the global model header stores d as uint32. */
export const MAX_DIMENSION = 2 ** 32 - 1;

/** Checks one update's shape: typed arrays, equal lengths, the right dimension, indices strictly increasing and < d. */
export function validateSparseUpdate(params: {
  update: SparseUpdate;
  dimension: number;
  label: string;
}): void {
  const { update, dimension, label } = params;
  if (typeof update !== "object" || update === null) {
    throw new AggregationError("bad-update", `${label}: update must be an object`);
  }
  if (!(update.indices instanceof Uint32Array) || !(update.values instanceof Int32Array)) {
    throw new AggregationError(
      "bad-update",
      `${label}: indices must be a Uint32Array and values an Int32Array`,
    );
  }
  if (update.dimension !== dimension) {
    throw new AggregationError(
      "dimension-mismatch",
      `${label}: update dimension ${String(update.dimension)} differs from the task dimension ${dimension}`,
    );
  }
  if (update.indices.length !== update.values.length) {
    throw new AggregationError(
      "bad-update",
      `${label}: ${update.indices.length} indices but ${update.values.length} values`,
    );
  }
  let previous = -1;
  for (let i = 0; i < update.indices.length; i++) {
    const index = update.indices[i]!;
    if (index <= previous) {
      throw new AggregationError(
        "bad-update",
        `${label}: indices not strictly increasing at position ${i} (${previous}, ${index})`,
      );
    }
    previous = index;
  }
  if (previous >= dimension) {
    throw new AggregationError(
      "bad-update",
      `${label}: index ${previous} is not below the dimension ${dimension}`,
    );
  }
}

/** Collects the output coordinates; zero results are dropped so the output stays canonical. */
class SparseBuilder {
  private readonly indices: Uint32Array;
  private readonly values: Int32Array;
  private count = 0;

  constructor(
    private readonly dimension: number,
    capacity: number,
  ) {
    this.indices = new Uint32Array(capacity);
    this.values = new Int32Array(capacity);
  }

  push(index: number, value: number): void {
    if (value === 0) return;
    this.indices[this.count] = index;
    this.values[this.count] = value;
    this.count++;
  }

  build(): SparseUpdate {
    return {
      dimension: this.dimension,
      indices: this.indices.slice(0, this.count),
      values: this.values.slice(0, this.count),
    };
  }
}

function totalEntries(updates: readonly SparseUpdate[]): number {
  let total = 0;
  for (const update of updates) total += update.indices.length;
  return total;
}

function meanOf(updates: readonly SparseUpdate[], dimension: number): SparseUpdate {
  const n = updates.length;
  const out = new SparseBuilder(dimension, Math.min(totalEntries(updates), dimension));
  forEachSentCoordinate(updates, (index, count, values) => {
    // |sum| ≤ n · 2^31 ≤ 2^51: exact in a double.
    let sum = 0;
    for (let i = 0; i < count; i++) sum += values[i]!;
    out.push(index, divRoundHalfAwayFromZero(sum, n));
  });
  return out.build();
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
  const out = new SparseBuilder(dimension, Math.min(totalEntries(updates), dimension));
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

/**
 * Per coordinate: the mean of the values ranked [trim, n - trim) in the sorted multiset of all n values
 * (explicit values plus n - count implicit zeros), rounded half away from zero.
 */
function trimmedMeanOf(updates: readonly SparseUpdate[], trim: number, dimension: number): SparseUpdate {
  const n = updates.length;
  const kept = n - 2 * trim;
  const out = new SparseBuilder(dimension, Math.min(totalEntries(updates), dimension));
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

function valueAtRank(sorted: Int32Array, negatives: number, implicitZeros: number, rank: number): number {
  if (rank < negatives) return sorted[rank]!;
  if (rank < negatives + implicitZeros) return 0;
  return sorted[rank - implicitZeros]!;
}

/** Per coordinate median of the n values; for even n the two middle values' mean, rounded half away from zero. */
function medianOf(updates: readonly SparseUpdate[], dimension: number): SparseUpdate {
  const n = updates.length;
  const out = new SparseBuilder(dimension, Math.min(totalEntries(updates), dimension));
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

/**
 * Aggregates the included updates of one round by the task's rule and returns the aggregated delta:
 * sparse, in the same fixed-point scale, no zero entries, indices strictly increasing.
 *
 * Inputs are first sorted by lower-cased member address, so the result never depends on input order.
 */
export function aggregate(params: AggregateParams): SparseUpdate {
  const { updates, dimension } = params;
  if (
    typeof dimension !== "number" ||
    !Number.isSafeInteger(dimension) ||
    dimension < 1 ||
    dimension > MAX_DIMENSION
  ) {
    throw new AggregationError(
      "bad-dimension",
      `dimension must be an integer in [1, 2^32 - 1], got ${String(dimension)}`,
    );
  }
  const untrusted: unknown = updates;
  if (!Array.isArray(untrusted) || updates.length === 0) {
    throw new AggregationError("no-updates", "aggregation needs at least one included update");
  }
  if (updates.length > MAX_UPDATES) {
    throw new AggregationError(
      "too-many-updates",
      `${updates.length} updates exceed the limit of ${MAX_UPDATES}`,
    );
  }
  const rule: AggregationRule = validateRule(params.rule);

  const entries = updates.map((entry, position) => {
    const member = normalizeMember(entry.member);
    validateSparseUpdate({ update: entry.update, dimension, label: `update of ${member}` });
    if (entry.weight !== undefined && typeof entry.weight !== "bigint") {
      throw new AggregationError(
        "bad-weight",
        `weight of ${member} must be a bigint, got ${typeof entry.weight}`,
      );
    }
    return { member, update: entry.update, weight: entry.weight, position };
  });
  entries.sort((a, b) => (a.member < b.member ? -1 : a.member > b.member ? 1 : 0));
  for (let i = 1; i < entries.length; i++) {
    if (entries[i]!.member === entries[i - 1]!.member) {
      throw new AggregationError("duplicate-member", `member ${entries[i]!.member} appears more than once`);
    }
  }
  if (rule.kind !== "weighted-mean") {
    const weighted = entries.find((entry) => entry.weight !== undefined);
    if (weighted !== undefined) {
      throw new AggregationError(
        "weight-not-applicable",
        `update of ${weighted.member} carries a weight but the rule is ${rule.kind}`,
      );
    }
  }
  const sorted = entries.map((entry) => entry.update);
  const n = sorted.length;

  switch (rule.kind) {
    case "mean":
      return meanOf(sorted, dimension);
    case "weighted-mean": {
      const weights = normalizeWeights(rule.weights);
      const memberWeights = entries.map((entry) => {
        const weight = weights.get(entry.member);
        if (weight === undefined) {
          throw new AggregationError(
            "missing-weight",
            `no governance weight for included member ${entry.member}`,
          );
        }
        if (entry.weight !== undefined && entry.weight !== weight) {
          throw new AggregationError(
            "weight-conflict",
            `update of ${entry.member} carries weight ${entry.weight} but governance set ${weight}`,
          );
        }
        return weight;
      });
      return weightedMeanOf(sorted, memberWeights, dimension);
    }
    case "trimmed-mean":
      if (2 * rule.trim >= n) {
        throw new AggregationError(
          "trim-too-large",
          `trimmed-mean trims ${rule.trim} per side but only ${n} updates are included (need more than ${2 * rule.trim})`,
        );
      }
      return trimmedMeanOf(sorted, rule.trim, dimension);
    case "median":
      return medianOf(sorted, dimension);
    case "clipped-mean":
      return meanOf(
        sorted.map((update) => clipUpdateL2({ update, clipL2: rule.clipL2 })),
        dimension,
      );
  }
}
