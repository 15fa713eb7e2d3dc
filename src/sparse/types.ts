/**
 * Core value types shared by the sparse pipeline, the proof system and aggregation.
 *
 * A sparse update is what one member sends for one round of one task: a set of
 * coordinates of the flattened model delta, quantized to the task's fixed-point scale.
 */

/** A sparse model delta in fixed point: `values[i]` is the integer at coordinate `indices[i]`. */
export interface SparseUpdate {
  /** Dimension of the flattened model (the policy's `d`). */
  readonly dimension: number;
  /** Coordinates, strictly increasing, each below `dimension`. */
  readonly indices: Uint32Array;
  /** Signed fixed-point integers (real value = value / scale), same length as `indices`. */
  readonly values: Int32Array;
}

/** Who sent an update, where, and for what: the fields the commitment and the seal bind. */
export interface UpdateContext {
  /** Task id on chain (uint32). */
  readonly task: number;
  /** Round number within the task (uint32). */
  readonly round: number;
  /** The member's address, 0x-prefixed, 20 bytes. */
  readonly member: string;
}

/**
 * The fixed-point part of a task policy. All three are integers: `scale` converts real values to
 * fixed point (real = int / scale); both bounds are in fixed-point units, i.e. what the proof checks
 * on the integers: |v| <= lInfBound for every value and sum(v^2) <= l2Bound^2.
 */
export interface FixedPointPolicy {
  readonly scale: number;
  readonly l2Bound: number;
  readonly lInfBound: number;
}
