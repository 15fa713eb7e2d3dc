export {
  decodeGlobalModel,
  encodeGlobalModel,
  globalModelHash,
  validateGlobalModel,
  MODEL_FORMAT_VERSION,
  MODEL_HEADER_BYTES,
  MODEL_MAGIC,
} from "./format.js";
export { applyDelta, initialGlobalModel, toFloatParams } from "./model.js";
export { ModelFormatError } from "./errors.js";
export type { GlobalModel, ModelFormatErrorCode } from "./types.js";
