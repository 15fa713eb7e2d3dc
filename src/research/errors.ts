import type { ResearchErrorCode } from "./types.js";

/** A simulation, split or dictionary run was asked for something it cannot compute; `code` says which check failed. */
export class ResearchError extends Error {
  readonly code: ResearchErrorCode;

  constructor(code: ResearchErrorCode, message: string) {
    super(message);
    this.name = "ResearchError";
    this.code = code;
  }
}
