export type ZkErrorCode = "zk-input" | "zk-setup" | "zk-drift" | "zk-witness" | "zk-ceremony";

/** Base class of every proof-system error; `code` is stable for callers that branch on it. */
export class ZkError extends Error {
  readonly code: ZkErrorCode;
  constructor(code: ZkErrorCode, message: string) {
    super(message);
    this.name = new.target.name;
    this.code = code;
  }
}

/** An argument (update, bounds, context, params) is outside what the circuit can represent. */
export class ZkInputError extends ZkError {
  constructor(message: string) {
    super("zk-input", message);
  }
}

/** The circuit registry or a setup step is wrong (unknown instance, malformed registry, failed compile). */
export class ZkSetupError extends ZkError {
  constructor(message: string) {
    super("zk-setup", message);
  }
}

/** The committed verifier or lock file does not match a regeneration from the sources. */
export class ZkDriftError extends ZkError {
  constructor(message: string) {
    super("zk-drift", message);
  }
}

/** A witness could not be generated: the update breaks the policy or the circuit's constraints. */
export class ZkWitnessError extends ZkError {
  constructor(message: string) {
    super("zk-witness", message);
  }
}

/** A phase-2 ceremony step failed (bad file, failed verification). */
export class ZkCeremonyError extends ZkError {
  constructor(message: string) {
    super("zk-ceremony", message);
  }
}
