import { join } from "node:path";
import { noise } from "@chainsafe/libp2p-noise";
import { yamux } from "@chainsafe/libp2p-yamux";
import { withBitswap } from "@helia/bitswap";
import { withLibp2pLight } from "@helia/libp2p";
import { bootstrap } from "@libp2p/bootstrap";
import { identify } from "@libp2p/identify";
import { generateKey, preSharedKey } from "@libp2p/pnet";
import { tcp } from "@libp2p/tcp";
import { multiaddr } from "@multiformats/multiaddr";
import { FsBlockstore } from "blockstore-fs";
import { FsDatastore } from "datastore-fs";
import { createHeliaLight, type Helia } from "helia";
import type { Libp2p } from "@libp2p/interface";
import type { Libp2pOptions } from "libp2p";
import { parseRawBlockCid, rawBlockCid, resolveGetOptions, tooLarge, verifyRawBlock } from "./cid.js";
import { StorageError, type ContentStore, type GetOptions } from "./types.js";

export interface HeliaNetworkOptions {
  /** Listen addresses; default TCP on 127.0.0.1 with an ephemeral port. */
  readonly listen?: readonly string[];
  /** The consortium's own peers (multiaddrs with /p2p/<peer id>); dialled at start. */
  readonly bootstrap?: readonly string[];
  /** libp2p private network key (the swarm.key file's bytes): peers without it cannot connect. */
  readonly psk?: Uint8Array;
}

export interface HeliaStoreOptions {
  /** Directory holding the filesystem blockstore and datastore (peer identity included). */
  readonly path: string;
  /** Undefined: offline node, no libp2p at all. */
  readonly network?: HeliaNetworkOptions;
}

export interface HeliaContentStore extends ContentStore {
  /** This node's dialable addresses, each ending in /p2p/<peer id>; empty when offline. */
  multiaddrs(): string[];
  /** Connects to a peer so that Bitswap can exchange blocks with it. */
  dial(address: string): Promise<void>;
  /** The underlying node, for tests and diagnostics. */
  readonly helia: Helia;
}

const LOOPBACK_TCP = "/ip4/127.0.0.1/tcp/0";

/** A new libp2p private network key in the swarm.key text format, to share with consortium nodes only. */
export function generateSwarmKey(): Uint8Array {
  const key = new Uint8Array(95);
  generateKey(key);
  return key;
}

/**
 * An explicit libp2p configuration, built from nothing rather than from Helia's defaults: Helia's
 * defaults listen on every interface and contact public bootstrap peers, HTTP routers, mDNS, UPnP
 * and relays, none of which a closed consortium network may do. Only TCP, noise, yamux, identify and
 * the Bitswap protocol Helia adds on top; peers come from the given bootstrap list or explicit dials.
 */
function libp2pOptions(network: HeliaNetworkOptions): Libp2pOptions {
  const listen = [...(network.listen ?? [LOOPBACK_TCP])];
  const peers = [...(network.bootstrap ?? [])];
  for (const address of [...listen, ...peers]) {
    try {
      multiaddr(address);
    } catch (error) {
      throw new StorageError("invalid-config", `"${address}" is not a multiaddr`, { cause: error });
    }
  }
  return {
    addresses: { listen },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    ...(network.psk === undefined ? {} : { connectionProtector: preSharedKey({ psk: network.psk }) }),
    peerDiscovery: peers.length === 0 ? [] : [bootstrap({ list: peers })],
    services: { identify: identify() },
  };
}

function isAbort(error: unknown, signal: AbortSignal): boolean {
  return (
    signal.aborted ||
    (error instanceof Error && (error.name === "AbortError" || error.name === "TimeoutError"))
  );
}

/** A Helia node with a filesystem blockstore: embedded, offline or on the consortium's libp2p network. */
export async function createHeliaStore({ path, network }: HeliaStoreOptions): Promise<HeliaContentStore> {
  if (typeof path !== "string" || path.length === 0) {
    throw new StorageError("invalid-config", "createHeliaStore needs a directory path");
  }
  const base = createHeliaLight({
    blockstore: new FsBlockstore(join(path, "blocks")),
    datastore: new FsDatastore(join(path, "datastore")),
  });
  const online = network !== undefined;
  const helia = online ? withBitswap(withLibp2pLight(base, libp2pOptions(network))) : base;
  await helia.start();
  const libp2p = (): Libp2p => (helia as Helia & { libp2p: Libp2p }).libp2p;

  const get = async (cidString: string, opts?: GetOptions): Promise<Uint8Array> => {
    const { maxBytes, timeoutMs } = resolveGetOptions(opts);
    const cid = parseRawBlockCid(cidString);
    const signal = AbortSignal.timeout(timeoutMs);
    const chunks: Uint8Array[] = [];
    let size = 0;
    try {
      for await (const chunk of helia.blockstore.get(cid, { signal, offline: !online })) {
        size += chunk.length;
        if (size > maxBytes) throw tooLarge(cidString, `more than ${maxBytes}`, maxBytes);
        chunks.push(chunk);
      }
    } catch (error) {
      if (error instanceof StorageError) throw error;
      if (!online && error instanceof Error && error.name === "BlockNotFoundWhileOfflineError") {
        throw new StorageError(
          "not-found-timeout",
          `${cidString} is not in the local store and the node is offline`,
          {
            cause: error,
          },
        );
      }
      if (
        isAbort(error, signal) ||
        (error instanceof Error && error.name === "LoadBlockFailedError" && signal.aborted)
      ) {
        throw new StorageError("not-found-timeout", `${cidString} was not found within ${timeoutMs} ms`, {
          cause: error,
        });
      }
      throw error;
    }
    const bytes = chunks.length === 1 ? (chunks[0] as Uint8Array) : Buffer.concat(chunks);
    await verifyRawBlock(cid, bytes);
    return bytes;
  };

  return {
    helia,
    async put(bytes: Uint8Array): Promise<string> {
      if (!(bytes instanceof Uint8Array)) throw new StorageError("invalid-config", "put needs a Uint8Array");
      const cid = await rawBlockCid(bytes);
      await helia.blockstore.put(cid, bytes);
      return cid.toString();
    },
    get,
    async pin(cidString: string): Promise<void> {
      const cid = parseRawBlockCid(cidString);
      if (await helia.pins.isPinned(cid)) return;
      // Fetch and verify first, so that a pin never stands for content nobody checked.
      await get(cidString);
      for await (const _ of helia.pins.add(cid)) {
        // draining the generator performs the pinning
      }
    },
    async stop(): Promise<void> {
      await helia.stop();
    },
    multiaddrs(): string[] {
      return online
        ? libp2p()
            .getMultiaddrs()
            .map((address) => address.toString())
        : [];
    },
    async dial(address: string): Promise<void> {
      if (!online)
        throw new StorageError("invalid-config", "this Helia store is offline and cannot dial peers");
      await libp2p().dial(multiaddr(address));
    },
  };
}
