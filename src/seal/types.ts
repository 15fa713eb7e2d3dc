import type { UpdateContext } from "../sparse/types.js";

export type { UpdateContext };

/** An X25519 key pair of a reader (aggregator or auditor). The public key is what the chain stores (bytes32). */
export interface ReaderKeyPair {
  readonly publicKey: Uint8Array;
  readonly secretKey: Uint8Array;
}

/** A reader a payload is sealed to: its on-chain address and its X25519 public key. */
export interface SealRecipient {
  /** The reader's address, 0x-prefixed, 20 bytes. */
  readonly id: string;
  readonly publicKey: Uint8Array;
}

/** The reader opening a payload. */
export interface SealOpener {
  readonly id: string;
  readonly secretKey: Uint8Array;
}

export type SealErrorCode = "not-a-reader" | "tampered" | "context-mismatch" | "malformed" | "invalid-input";

/** Sealing or opening failed; `code` says why. */
export class SealError extends Error {
  readonly code: SealErrorCode;

  constructor(code: SealErrorCode, message: string) {
    super(message);
    this.name = "SealError";
    this.code = code;
  }
}
