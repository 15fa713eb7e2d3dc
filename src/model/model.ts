/**
 * Building global models: the initial model of a task, applying an aggregated delta, reading floats.
 */
import type { SparseUpdate } from "../sparse/types.js";
import { ModelFormatError } from "./errors.js";
import { validateGlobalModel } from "./format.js";
import type { GlobalModel } from "./types.js";

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

/**
 * The round-0 model of a task. Without `params` every parameter is 0; with `params` each float is
 * quantized as round-half-away-from-zero(float64(p) · scale) (one correctly rounded IEEE-754
 * multiplication, so every machine gets the same integers). A non-finite parameter, or one outside the
 * int32 range after scaling, is an error rather than silently clamped: the initial model is chosen once,
 * by the task's creator, who should know.
 */
export function initialGlobalModel(params: {
  task: number;
  dimension: number;
  scale: number;
  params?: Float32Array;
}): GlobalModel {
  const { task, dimension, scale } = params;
  if (!Number.isInteger(dimension) || dimension < 1 || dimension > 2 ** 32 - 1) {
    throw new ModelFormatError(
      "bad-dimension",
      `dimension must be an integer in [1, 2^32 - 1], got ${String(dimension)}`,
    );
  }
  const values = new Int32Array(dimension);
  if (params.params !== undefined) {
    const floats = params.params;
    if (!(floats instanceof Float32Array))
      throw new ModelFormatError("bad-params", "params must be a Float32Array");
    if (floats.length !== dimension) {
      throw new ModelFormatError(
        "dimension-mismatch",
        `${floats.length} params given for dimension ${dimension}`,
      );
    }
    if (!Number.isInteger(scale) || scale < 1) {
      throw new ModelFormatError("bad-scale", `scale must be a uint32 of at least 1, got ${String(scale)}`);
    }
    for (let i = 0; i < dimension; i++) {
      const scaled = floats[i]! * scale;
      if (!Number.isFinite(scaled)) {
        throw new ModelFormatError("bad-params", `param ${i} is not finite (${floats[i]!})`);
      }
      const rounded = Math.sign(scaled) * Math.round(Math.abs(scaled));
      if (rounded < INT32_MIN || rounded > INT32_MAX) {
        throw new ModelFormatError(
          "param-out-of-range",
          `param ${i} = ${floats[i]!} times scale ${scale} does not fit an int32`,
        );
      }
      // `+ 0` turns -0 into 0, harmless for Int32Array but keeps the intent plain.
      values[i] = rounded + 0;
    }
  }
  const model: GlobalModel = { task, round: 0, scale, params: values };
  validateGlobalModel(model);
  return model;
}

/**
 * Adds an aggregated delta (same fixed-point scale) to a model and returns the model of `round`
 * (default: the model's round + 1). Sums that leave the int32 range saturate at -2^31 or 2^31 - 1:
 * deterministic, and a round can always publish, whereas an error would let a few bounded updates,
 * repeated over many rounds, stall the task for good.
 */
export function applyDelta(params: { model: GlobalModel; delta: SparseUpdate; round?: number }): GlobalModel {
  const { model, delta } = params;
  validateGlobalModel(model);
  const round = params.round ?? model.round + 1;
  const d = model.params.length;
  if (typeof delta !== "object" || delta === null)
    throw new ModelFormatError("bad-delta", "delta must be an object");
  if (!(delta.indices instanceof Uint32Array) || !(delta.values instanceof Int32Array)) {
    throw new ModelFormatError("bad-delta", "delta indices must be a Uint32Array and values an Int32Array");
  }
  if (delta.dimension !== d) {
    throw new ModelFormatError(
      "dimension-mismatch",
      `delta dimension ${delta.dimension} differs from the model's ${d}`,
    );
  }
  if (delta.indices.length !== delta.values.length) {
    throw new ModelFormatError(
      "bad-delta",
      `delta has ${delta.indices.length} indices but ${delta.values.length} values`,
    );
  }
  const updatedParams = model.params.slice();
  let previous = -1;
  for (let i = 0; i < delta.indices.length; i++) {
    const index = delta.indices[i]!;
    if (index <= previous || index >= d) {
      throw new ModelFormatError(
        "bad-delta",
        `delta index ${index} at position ${i} is out of order or not below ${d}`,
      );
    }
    previous = index;
    const sum = updatedParams[index]! + delta.values[i]!;
    updatedParams[index] = sum > INT32_MAX ? INT32_MAX : sum < INT32_MIN ? INT32_MIN : sum;
  }
  const next: GlobalModel = { task: model.task, round, scale: model.scale, params: updatedParams };
  validateGlobalModel(next);
  return next;
}

/** The model's real-valued parameters, param / scale rounded to float32 (for TF.js). */
export function toFloatParams(model: GlobalModel): Float32Array {
  validateGlobalModel(model);
  const floats = new Float32Array(model.params.length);
  for (let i = 0; i < model.params.length; i++) floats[i] = model.params[i]! / model.scale;
  return floats;
}
