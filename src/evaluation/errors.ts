/** Codes of `EvaluationError`. */
export type EvaluationErrorCode =
  | "bad-members"
  | "bad-fraction"
  | "bad-rounds"
  | "bad-attack"
  | "bad-defense"
  | "bad-settings"
  | "no-receipt";

/** A benchmark or evaluation was asked for something it cannot measure. */
export class EvaluationError extends Error {
  readonly code: EvaluationErrorCode;
  constructor(code: EvaluationErrorCode, message: string) {
    super(message);
    this.name = "EvaluationError";
    this.code = code;
  }
}
