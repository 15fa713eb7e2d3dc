export type { SparseUpdate, UpdateContext } from "./types.js";
export { SparseInputError, type SparseInputErrorCode } from "./errors.js";
export { topKWithErrorFeedback, type TopKInput, type TopKResult } from "./topk.js";
