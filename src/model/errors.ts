import type { ModelFormatErrorCode } from "./types.js";

/** Thrown for malformed global model bytes or invalid model construction; `code` says which check failed. */
export class ModelFormatError extends Error {
  readonly code: ModelFormatErrorCode;

  constructor(code: ModelFormatErrorCode, message: string) {
    super(message);
    this.name = "ModelFormatError";
    this.code = code;
  }
}
