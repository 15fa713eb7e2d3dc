import { SparseInputError } from "./errors.js";

export interface TopKInput {
  /** This round's model delta (local model minus global model), flattened. */
  readonly delta: Float32Array;
  /** What earlier rounds did not send; same length as `delta`. Absent on a member's first round. */
  readonly residual?: Float32Array;
  /** Maximum number of coordinates to keep (the policy's `k`). */
  readonly k: number;
}

export interface TopKResult {
  /** Kept coordinates, strictly increasing. */
  readonly indices: Uint32Array;
  /** `delta + residual` at the kept coordinates. */
  readonly values: Float32Array;
  /** `delta + residual` with the kept coordinates zeroed: added back next round. */
  readonly residual: Float32Array;
}

/**
 * Top-k sparsification with error feedback.
 *
 * The residual is added to the delta first, so that small coordinates accumulate until they are
 * large enough to be sent instead of being lost forever. The k coordinates of largest magnitude are
 * kept; ties are broken by the lower index so that the result is a pure function of the input
 * (auditors and tests can reproduce it). Coordinates whose accumulated value is exactly zero are
 * never kept, since sending them would spend proof capacity on nothing: fewer than k entries can
 * come back.
 */
export function topKWithErrorFeedback({ delta, residual, k }: TopKInput): TopKResult {
  if (!(delta instanceof Float32Array)) {
    throw new SparseInputError("invalid-tensor", "delta must be a Float32Array");
  }
  if (!Number.isSafeInteger(k) || k < 0) {
    throw new SparseInputError("invalid-k", `k must be a non-negative integer, got ${String(k)}`);
  }
  if (residual !== undefined && residual.length !== delta.length) {
    throw new SparseInputError(
      "length-mismatch",
      `residual has ${residual.length} coordinates but delta has ${delta.length}`,
    );
  }
  const d = delta.length;
  const accumulated = new Float32Array(d);
  for (let i = 0; i < d; i++) {
    const v = (delta[i] as number) + (residual === undefined ? 0 : (residual[i] as number));
    if (!Number.isFinite(v)) {
      throw new SparseInputError(
        "non-finite",
        `delta + residual at coordinate ${i} is ${v} (delta ${delta[i]}, residual ${residual?.[i] ?? 0})`,
      );
    }
    accumulated[i] = v;
  }

  const magnitudes = new Float32Array(d);
  let nonZero = 0;
  for (let i = 0; i < d; i++) {
    const m = Math.abs(accumulated[i] as number);
    magnitudes[i] = m;
    if (m > 0) nonZero++;
  }
  const keep = Math.min(k, nonZero);
  const indices = new Uint32Array(keep);
  const values = new Float32Array(keep);
  const newResidual = accumulated.slice();
  if (keep === 0) return { indices, values, residual: newResidual };

  // The k-th largest magnitude is the threshold: everything above it is kept, and among the
  // coordinates equal to it the lowest indices fill the remaining slots.
  const sorted = magnitudes.slice().sort();
  const threshold = sorted[d - keep] as number;
  let above = 0;
  for (let i = d - keep; i < d; i++) if ((sorted[i] as number) > threshold) above++;
  let tiesAllowed = keep - above;

  let n = 0;
  for (let i = 0; i < d && n < keep; i++) {
    const m = magnitudes[i] as number;
    if (m > threshold || (m === threshold && tiesAllowed > 0)) {
      if (m === threshold) tiesAllowed--;
      indices[n] = i;
      values[n] = accumulated[i] as number;
      newResidual[i] = 0;
      n++;
    }
  }
  return { indices, values, residual: newResidual };
}
