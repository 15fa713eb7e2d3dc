/** Codes for invalid arguments to the sparse pipeline (not for malformed wire bytes: see WireFormatError). */
export type SparseInputErrorCode =
  | "invalid-k"
  | "length-mismatch"
  | "non-finite"
  | "invalid-policy"
  | "invalid-dimension"
  | "invalid-indices"
  | "invalid-layout"
  | "invalid-tensor"
  | "invalid-context"
  | "residual-corrupt";

/** A caller passed arguments that the sparse pipeline cannot work with. */
export class SparseInputError extends Error {
  readonly code: SparseInputErrorCode;

  constructor(code: SparseInputErrorCode, message: string) {
    super(message);
    this.name = "SparseInputError";
    this.code = code;
  }
}
