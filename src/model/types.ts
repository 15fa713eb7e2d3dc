/**
 * The global model: the dense fixed-point parameters a round publishes (real value = param / scale).
 */

/** A global model of one task after one round. */
export interface GlobalModel {
  /** Task id on chain (uint32). */
  readonly task: number;
  /** The round whose aggregate produced this model (uint32); the initial model has round 0. */
  readonly round: number;
  /** The task's fixed-point scale (uint32, ≥ 1). */
  readonly scale: number;
  /** Dense parameters in fixed point; its length is the model dimension d (1 ≤ d ≤ 2^32 - 1). */
  readonly params: Int32Array;
}

/** Codes of `ModelFormatError`. */
export type ModelFormatErrorCode =
  | "truncated"
  | "bad-magic"
  | "unsupported-version"
  | "bad-dimension"
  | "bad-scale"
  | "bad-header-field"
  | "trailing-bytes"
  | "bad-params"
  | "param-out-of-range"
  | "dimension-mismatch"
  | "bad-delta";
