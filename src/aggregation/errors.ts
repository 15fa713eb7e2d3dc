import type { AggregationErrorCode } from "./types.js";

/** Thrown when aggregation inputs or a rule are invalid; `code` says which check failed. */
export class AggregationError extends Error {
  readonly code: AggregationErrorCode;

  constructor(code: AggregationErrorCode, message: string) {
    super(message);
    this.name = "AggregationError";
    this.code = code;
  }
}
