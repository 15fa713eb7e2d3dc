/** Content-addressed storage for sealed updates and global models. */
export interface ContentStore {
  /** Stores bytes as one raw block and returns its CID (v1, raw codec, sha2-256) as a string. */
  put(bytes: Uint8Array): Promise<string>;
  /**
   * Fetches the bytes of a CID, locally or from the network, and checks them against the CID.
   * Refuses objects above `maxBytes` and gives up after `timeoutMs`.
   */
  get(cid: string, opts?: GetOptions): Promise<Uint8Array>;
  /** Keeps the object (fetching it if needed) so that garbage collection never drops it. */
  pin(cid: string): Promise<void>;
  stop(): Promise<void>;
}

export interface GetOptions {
  /** Largest object accepted; default {@link DEFAULT_MAX_BYTES}. */
  readonly maxBytes?: number;
  /** How long to look for the object; default {@link DEFAULT_TIMEOUT_MS}. */
  readonly timeoutMs?: number;
}

/** Sealed updates are well below 1 MiB; 4 MiB also matches the usual Bitswap block limit. */
export const DEFAULT_MAX_BYTES = 4 * 1024 * 1024;
export const DEFAULT_TIMEOUT_MS = 30_000;

export type StorageErrorCode = "not-found-timeout" | "too-large" | "bad-cid" | "integrity" | "invalid-config";

export class StorageError extends Error {
  readonly code: StorageErrorCode;

  constructor(code: StorageErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "StorageError";
    this.code = code;
  }
}
