import { SparseInputError } from "./errors.js";
import { quantizeUpdate } from "./quantize.js";
import { topKWithErrorFeedback } from "./topk.js";
import type { FixedPointPolicy, SparseUpdate } from "./types.js";

export interface SparsifyInput {
  /** This round's flattened model delta; its length is the policy's `d`. */
  readonly delta: Float32Array;
  /** Residual left by the previous round (from a ResidualStore), if any. */
  readonly residual?: Float32Array;
  readonly policy: FixedPointPolicy & { readonly k: number };
}

export interface SparsifyResult {
  /** What to encode, seal and prove. */
  readonly update: SparseUpdate;
  /** What to persist for the next round. */
  readonly residual: Float32Array;
}

/**
 * A member's whole compression step: top-k with error feedback, L2 clipping, fixed-point
 * quantization, L-infinity clipping.
 *
 * The new residual is the accumulated delta minus what was actually sent (the dequantized
 * update), so it also carries the rounding and clipping error of the kept coordinates: nothing a
 * member learned is lost, it is only delayed. The sent update always satisfies the integer bounds.
 */
export function sparsifyUpdate({ delta, residual, policy }: SparsifyInput): SparsifyResult {
  if (delta.length === 0) {
    throw new SparseInputError("invalid-dimension", "delta is empty: the model has no parameters");
  }
  const selected = topKWithErrorFeedback({ delta, residual, k: policy.k });
  const update = quantizeUpdate({
    indices: selected.indices,
    values: selected.values,
    dimension: delta.length,
    policy,
    maxCount: policy.k,
  });
  const nextResidual = selected.residual;
  // Kept coordinates start from their full accumulated value, then lose what was sent.
  for (let i = 0; i < selected.indices.length; i++) {
    nextResidual[selected.indices[i] as number] = selected.values[i] as number;
  }
  for (let i = 0; i < update.indices.length; i++) {
    const index = update.indices[i] as number;
    nextResidual[index] = (nextResidual[index] as number) - (update.values[i] as number) / policy.scale;
  }
  return { update, residual: nextResidual };
}
