/**
 * Deterministic integer L2 clipping for the clipped-mean rule.
 */
import type { SparseUpdate } from "../sparse/types.js";
import { AggregationError } from "./errors.js";

/** floor(sqrt(value)) for a non-negative bigint, by Newton's iteration (exact, no floating point). */
export function integerSqrt(value: bigint): bigint {
  if (value < 0n) throw new AggregationError("bad-rule-param", `integerSqrt of a negative number: ${value}`);
  if (value < 2n) return value;
  // Start above the root (2^ceil(bits/2)) so the iteration decreases monotonically to floor(sqrt).
  let x = 1n << BigInt(Math.ceil(value.toString(2).length / 2));
  for (;;) {
    const y = (x + value / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
}

/** Sum of squares of the update's values, exact. */
export function squaredL2(update: SparseUpdate): bigint {
  // Small values are summed in a Number (exact while below 2^53: each square is at most 2^40 and the
  // partial sum is flushed at 2^52); large ones go straight to BigInt.
  let total = 0n;
  let partial = 0;
  for (let i = 0; i < update.values.length; i++) {
    const v = update.values[i]!;
    if (Math.abs(v) <= 2 ** 20) {
      partial += v * v;
      if (partial >= 2 ** 52) {
        total += BigInt(partial);
        partial = 0;
      }
    } else {
      total += BigInt(v) * BigInt(v);
    }
  }
  return total + BigInt(partial);
}

/**
 * Scales an update so that its integer L2 norm is at most `clipL2` (fixed-point units).
 *
 * With S = Σ v² and r = ceil(sqrt(S)): if S ≤ clipL2², the update is returned unchanged; otherwise
 * every value becomes trunc(v · clipL2 / r) (truncated toward zero). Because r ≥ sqrt(S) and truncation
 * only shrinks magnitudes, Σ v'² ≤ clipL2² · S / r² ≤ clipL2²: the result always satisfies the bound.
 * Values that become 0 are dropped, so indices stay strictly increasing and no entry is 0.
 */
export function clipUpdateL2(params: { update: SparseUpdate; clipL2: bigint }): SparseUpdate {
  const { update, clipL2 } = params;
  if (typeof clipL2 !== "bigint" || clipL2 <= 0n) {
    throw new AggregationError("bad-rule-param", `clipL2 must be a positive bigint, got ${String(clipL2)}`);
  }
  const sumOfSquares = squaredL2(update);
  if (sumOfSquares <= clipL2 * clipL2) return update;
  let root = integerSqrt(sumOfSquares);
  if (root * root < sumOfSquares) root += 1n;

  const indices = new Uint32Array(update.indices.length);
  const values = new Int32Array(update.values.length);
  let count = 0;
  for (let i = 0; i < update.values.length; i++) {
    const v = BigInt(update.values[i]!);
    // BigInt division truncates toward zero, which is the documented rounding here.
    const scaled = (v * clipL2) / root;
    if (scaled === 0n) continue;
    indices[count] = update.indices[i]!;
    values[count] = Number(scaled);
    count++;
  }
  return { dimension: update.dimension, indices: indices.slice(0, count), values: values.slice(0, count) };
}
