import { create, type KuboRPCClient } from "kubo-rpc-client";
import { parseRawBlockCid, rawBlockCid, resolveGetOptions, tooLarge, verifyRawBlock } from "./cid.js";
import { StorageError, type ContentStore, type GetOptions } from "./types.js";

export interface KuboStoreOptions {
  /** Kubo RPC API endpoint, e.g. http://127.0.0.1:5001 (never expose it beyond the host: it is admin access). */
  readonly url: string;
  /** Timeout for put and pin calls; default 30 s. */
  readonly timeoutMs?: number;
}

export interface KuboContentStore extends ContentStore {
  readonly client: KuboRPCClient;
}

function isAbort(error: unknown, signal: AbortSignal): boolean {
  return (
    signal.aborted ||
    (error instanceof Error && (error.name === "AbortError" || error.name === "TimeoutError"))
  );
}

/**
 * A ContentStore over a Kubo node's RPC API, for consortia that already run Kubo or IPFS Cluster.
 * Blocks are stored the same way as in Helia (raw codec, sha2-256, CID v1), so both kinds of node
 * name a payload by the same CID and can serve each other over Bitswap.
 */
export function createKuboStore({ url, timeoutMs = 30_000 }: KuboStoreOptions): KuboContentStore {
  let endpoint: URL;
  try {
    endpoint = new URL(url);
  } catch (error) {
    throw new StorageError("invalid-config", `"${url}" is not a Kubo RPC URL`, { cause: error });
  }
  const client = create({ url: endpoint });

  const get = async (cidString: string, opts?: GetOptions): Promise<Uint8Array> => {
    const { maxBytes, timeoutMs: getTimeout } = resolveGetOptions(opts);
    const cid = parseRawBlockCid(cidString);
    const signal = AbortSignal.timeout(getTimeout);
    let bytes: Uint8Array;
    try {
      // stat first, so that an over-size block is refused before its bytes are transferred to us
      const { size } = await client.block.stat(cid, { signal });
      if (size > maxBytes) throw tooLarge(cidString, size, maxBytes);
      bytes = await client.block.get(cid, { signal });
    } catch (error) {
      if (error instanceof StorageError) throw error;
      if (isAbort(error, signal)) {
        throw new StorageError("not-found-timeout", `${cidString} was not found within ${getTimeout} ms`, {
          cause: error,
        });
      }
      throw error;
    }
    if (bytes.length > maxBytes) throw tooLarge(cidString, bytes.length, maxBytes);
    await verifyRawBlock(cid, bytes);
    return bytes;
  };

  return {
    client,
    async put(bytes: Uint8Array): Promise<string> {
      if (!(bytes instanceof Uint8Array)) throw new StorageError("invalid-config", "put needs a Uint8Array");
      const expected = await rawBlockCid(bytes);
      const cid = await client.block.put(bytes, {
        format: "raw",
        mhtype: "sha2-256",
        version: 1,
        signal: AbortSignal.timeout(timeoutMs),
      });
      if (cid.toString() !== expected.toString()) {
        throw new StorageError(
          "integrity",
          `Kubo stored the block as ${cid.toString()} but its raw sha2-256 CID is ${expected.toString()}`,
        );
      }
      return cid.toString();
    },
    get,
    async pin(cidString: string): Promise<void> {
      const cid = parseRawBlockCid(cidString);
      await get(cidString, { timeoutMs });
      await client.pin.add(cid, { signal: AbortSignal.timeout(timeoutMs) });
    },
    async stop(): Promise<void> {
      // The RPC client holds no connection between calls; the Kubo daemon is not ours to stop.
    },
  };
}
