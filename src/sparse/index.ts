export type { FixedPointPolicy, SparseUpdate, UpdateContext } from "./types.js";
export { SparseInputError, type SparseInputErrorCode } from "./errors.js";
export { topKWithErrorFeedback, type TopKInput, type TopKResult } from "./topk.js";
export {
  flattenParams,
  unflattenParams,
  type FlattenedParams,
  type LayoutEntry,
  type NamedTensor,
} from "./flatten.js";
export {
  dequantize,
  fixedPointNorms,
  quantizeUpdate,
  roundHalfAwayFromZero,
  validateFixedPointPolicy,
  validateIndices,
  type QuantizeInput,
} from "./quantize.js";
export { sparsifyUpdate, type SparsifyInput, type SparsifyResult } from "./pipeline.js";
export { ResidualStore, type ResidualKey, type StoredResidual } from "./residual-store.js";
export {
  BN254_FIELD_MODULUS,
  WIRE_MAGIC,
  WIRE_VERSION,
  WireFormatError,
  decodeUpdate,
  encodeUpdate,
  type DecodeLimits,
  type DecodedUpdate,
  type UpdateHeader,
  type UpdateSlot,
  type WireFormatErrorCode,
} from "./wire.js";
