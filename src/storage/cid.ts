import { CID } from "multiformats/cid";
import * as raw from "multiformats/codecs/raw";
import { sha256 } from "multiformats/hashes/sha2";
import { DEFAULT_MAX_BYTES, DEFAULT_TIMEOUT_MS, StorageError, type GetOptions } from "./types.js";

/** The CID of bytes stored as one raw block: v1, raw codec, sha2-256. Same in Helia and Kubo. */
export async function rawBlockCid(bytes: Uint8Array): Promise<CID> {
  return CID.createV1(raw.code, await sha256.digest(bytes));
}

/** Parses a CID string and accepts only what this product stores: v1, raw codec, sha2-256. */
export function parseRawBlockCid(cid: string): CID {
  let parsed: CID;
  try {
    parsed = CID.parse(cid);
  } catch (error) {
    throw new StorageError("bad-cid", `"${cid}" is not a CID: ${(error as Error).message}`, { cause: error });
  }
  if (parsed.version !== 1 || parsed.code !== raw.code || parsed.multihash.code !== sha256.code) {
    throw new StorageError(
      "bad-cid",
      `CID ${cid} is not a v1 raw-codec sha2-256 CID (version ${parsed.version}, codec 0x${parsed.code.toString(16)}, ` +
        `hash 0x${parsed.multihash.code.toString(16)})`,
    );
  }
  return parsed;
}

/** Recomputes the hash of fetched bytes: a store is trusted for availability, never for content. */
export async function verifyRawBlock(cid: CID, bytes: Uint8Array): Promise<void> {
  const digest = await sha256.digest(bytes);
  const expected = cid.multihash.digest;
  if (digest.digest.length !== expected.length || !digest.digest.every((b, i) => b === expected[i])) {
    throw new StorageError("integrity", `content returned for ${cid.toString()} does not hash to that CID`);
  }
}

export function resolveGetOptions(opts: GetOptions | undefined): { maxBytes: number; timeoutMs: number } {
  const maxBytes = opts?.maxBytes ?? DEFAULT_MAX_BYTES;
  const timeoutMs = opts?.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) {
    throw new StorageError("invalid-config", `maxBytes must be a non-negative integer, got ${maxBytes}`);
  }
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs <= 0) {
    throw new StorageError("invalid-config", `timeoutMs must be a positive integer, got ${timeoutMs}`);
  }
  return { maxBytes, timeoutMs };
}

export function tooLarge(cid: string, size: number | string, maxBytes: number): StorageError {
  return new StorageError("too-large", `object ${cid} is ${size} bytes, above the limit of ${maxBytes}`);
}
