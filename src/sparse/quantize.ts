import { SparseInputError } from "./errors.js";
import type { FixedPointPolicy, SparseUpdate } from "./types.js";

const INT32_MAX = 0x7fffffff;
const UINT32_MAX = 0xffffffff;

export interface QuantizeInput {
  /** Coordinates, strictly increasing, each below `dimension`. */
  readonly indices: Uint32Array;
  /** Real values at those coordinates. */
  readonly values: Float32Array;
  readonly dimension: number;
  readonly policy: FixedPointPolicy;
  /** The policy's `k`: when given, more entries than this are refused. */
  readonly maxCount?: number;
}

/** Checks a fixed-point policy and returns it; throws SparseInputError("invalid-policy") otherwise. */
export function validateFixedPointPolicy(policy: FixedPointPolicy): FixedPointPolicy {
  const { scale, l2Bound, lInfBound } = policy;
  if (!Number.isSafeInteger(scale) || scale < 1 || scale > UINT32_MAX) {
    throw new SparseInputError("invalid-policy", `scale must be an integer in [1, 2^32-1], got ${scale}`);
  }
  if (!Number.isSafeInteger(lInfBound) || lInfBound < 0 || lInfBound > INT32_MAX) {
    throw new SparseInputError(
      "invalid-policy",
      `lInfBound must be an integer in [0, 2^31-1] (fixed-point units), got ${lInfBound}`,
    );
  }
  if (!Number.isSafeInteger(l2Bound) || l2Bound < 0) {
    throw new SparseInputError(
      "invalid-policy",
      `l2Bound must be a non-negative safe integer (fixed-point units), got ${l2Bound}`,
    );
  }
  return policy;
}

/** Checks that indices are strictly increasing and below `dimension`. */
export function validateIndices(indices: Uint32Array, dimension: number): void {
  if (!Number.isSafeInteger(dimension) || dimension < 1 || dimension > UINT32_MAX) {
    throw new SparseInputError(
      "invalid-dimension",
      `dimension must be an integer in [1, 2^32-1], got ${dimension}`,
    );
  }
  let previous = -1;
  for (let i = 0; i < indices.length; i++) {
    const index = indices[i] as number;
    if (index <= previous) {
      throw new SparseInputError(
        "invalid-indices",
        `indices must be strictly increasing: indices[${i}] = ${index} follows ${previous}`,
      );
    }
    if (index >= dimension) {
      throw new SparseInputError(
        "invalid-indices",
        `indices[${i}] = ${index} is not below the dimension ${dimension}`,
      );
    }
    previous = index;
  }
}

/**
 * Rounds half away from zero: 2.5 -> 3, -2.5 -> -3. Exact for every double, because
 * `a - floor(a)` is computed without error.
 */
export function roundHalfAwayFromZero(x: number): number {
  const a = Math.abs(x);
  const floor = Math.floor(a);
  const rounded = a - floor >= 0.5 ? floor + 1 : floor;
  return x < 0 ? -rounded : rounded;
}

function sumOfSquares(values: ArrayLike<number>): bigint {
  let sum = 0n;
  for (let i = 0; i < values.length; i++) {
    const v = BigInt(values[i] as number);
    sum += v * v;
  }
  return sum;
}

/**
 * Turns real sparse values into a fixed-point update that satisfies the policy's integer bounds,
 * exactly the ones the proof checks, so an honest member's proof never fails.
 *
 * Deterministic steps (see docs/wire-format.md, "Quantization"):
 * 1. L2 clipping in real units: if ||x||_2 > l2Bound / scale, x is multiplied by (l2Bound/scale) / ||x||_2.
 * 2. Quantization: q = round_half_away_from_zero(x * scale).
 * 3. L-infinity clipping: q = clamp(q, -lInfBound, lInfBound).
 * 4. Integer L2 re-check: rounding can push sum(q^2) above l2Bound^2 by up to about sqrt(n)/2 units.
 *    If so, every q is recomputed with truncation toward zero instead (|trunc(x)| <= |x|), L-infinity
 *    clipped again, and, should floating-point error still leave the sum above the bound, the entry of
 *    largest magnitude (lowest index on ties) moves one unit toward zero until the bound holds.
 * 5. Entries whose integer is 0 are dropped: they would change nothing and cost proof capacity.
 */
export function quantizeUpdate({
  indices,
  values,
  dimension,
  policy,
  maxCount,
}: QuantizeInput): SparseUpdate {
  const { scale, l2Bound, lInfBound } = validateFixedPointPolicy(policy);
  if (indices.length !== values.length) {
    throw new SparseInputError("length-mismatch", `${indices.length} indices but ${values.length} values`);
  }
  validateIndices(indices, dimension);
  if (maxCount !== undefined && indices.length > maxCount) {
    throw new SparseInputError("invalid-k", `${indices.length} entries exceed the policy's k = ${maxCount}`);
  }
  const n = values.length;
  let maxMagnitude = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i] as number;
    if (!Number.isFinite(v)) {
      throw new SparseInputError("non-finite", `value at coordinate ${indices[i]} is ${v}`);
    }
    maxMagnitude = Math.max(maxMagnitude, Math.abs(v));
  }
  // Scaled by the largest magnitude so that the sum of squares cannot overflow to Infinity.
  let relativeSquares = 0;
  for (let i = 0; i < n && maxMagnitude > 0; i++)
    relativeSquares += ((values[i] as number) / maxMagnitude) ** 2;
  const realNorm = maxMagnitude * Math.sqrt(relativeSquares);
  const realBound = l2Bound / scale;
  const clipFactor = realNorm > realBound ? realBound / realNorm : 1;

  const scaled = new Float64Array(n);
  for (let i = 0; i < n; i++) scaled[i] = (values[i] as number) * clipFactor * scale;

  const clampToLInf = (q: number): number => (q > lInfBound ? lInfBound : q < -lInfBound ? -lInfBound : q);
  const quantized = new Int32Array(n);
  for (let i = 0; i < n; i++) quantized[i] = clampToLInf(roundHalfAwayFromZero(scaled[i] as number));

  const boundSquared = BigInt(l2Bound) * BigInt(l2Bound);
  let squares = sumOfSquares(quantized);
  if (squares > boundSquared) {
    for (let i = 0; i < n; i++) quantized[i] = clampToLInf(Math.trunc(scaled[i] as number));
    squares = sumOfSquares(quantized);
    while (squares > boundSquared) {
      let largest = 0;
      for (let i = 1; i < n; i++) {
        if (Math.abs(quantized[i] as number) > Math.abs(quantized[largest] as number)) largest = i;
      }
      const q = quantized[largest] as number;
      const shrunk = q > 0 ? q - 1 : q + 1;
      squares -= BigInt(q) * BigInt(q) - BigInt(shrunk) * BigInt(shrunk);
      quantized[largest] = shrunk;
    }
  }

  let kept = 0;
  for (let i = 0; i < n; i++) if (quantized[i] !== 0) kept++;
  const outIndices = new Uint32Array(kept);
  const outValues = new Int32Array(kept);
  let j = 0;
  for (let i = 0; i < n; i++) {
    if (quantized[i] !== 0) {
      outIndices[j] = indices[i] as number;
      outValues[j] = quantized[i] as number;
      j++;
    }
  }
  return { dimension, indices: outIndices, values: outValues };
}

/** Real values of a fixed-point update: value / scale, at the update's indices. */
export function dequantize({ update, scale }: { update: SparseUpdate; scale: number }): Float32Array {
  if (!Number.isSafeInteger(scale) || scale < 1) {
    throw new SparseInputError("invalid-policy", `scale must be a positive integer, got ${scale}`);
  }
  const out = new Float32Array(update.values.length);
  for (let i = 0; i < out.length; i++) out[i] = (update.values[i] as number) / scale;
  return out;
}

/** Integer norms of a fixed-point update, as the proof sees them. */
export function fixedPointNorms(update: SparseUpdate): { sumOfSquares: bigint; maxAbs: number } {
  let maxAbs = 0;
  for (const v of update.values) maxAbs = Math.max(maxAbs, Math.abs(v));
  return { sumOfSquares: sumOfSquares(update.values), maxAbs };
}
