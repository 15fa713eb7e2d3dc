import { mkdir, readFile, readdir, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { getAddress, JsonRpcProvider, Network, VoidSigner, Wallet, ZeroAddress, type Signer } from "ethers";
import { attachContracts } from "../chain/index.js";
import { readerPublicKey } from "../seal/index.js";
import type { ContentStore, HeliaContentStore } from "../storage/index.js";
import type { ReaderKey, RoleEnvironment } from "../roles/index.js";
import { CONFIG_ENV, requireFields } from "./load.js";
import { registerSecret } from "./redact.js";
import { ConfigError, type CflConfig, type EmbeddedIpfsConfig, type RoleConnection } from "./types.js";

const RPC_PROBE_TIMEOUT_MS = 5_000;

/**
 * A provider for the configured chain. The chain id is asked once, with a timeout, so that a wrong or
 * unreachable RPC URL is one clear error instead of ethers retrying forever in the background.
 */
export async function connectProvider({ config }: { config: CflConfig }): Promise<JsonRpcProvider> {
  let chainId: bigint;
  try {
    const response = await fetch(config.rpcUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
      signal: AbortSignal.timeout(RPC_PROBE_TIMEOUT_MS),
    });
    const body = (await response.json()) as { result?: string };
    if (typeof body.result !== "string") throw new Error(`unexpected answer ${JSON.stringify(body)}`);
    chainId = BigInt(body.result);
  } catch (error) {
    throw new ConfigError(
      "chain-unreachable",
      `rpcUrl ${config.rpcUrl} does not answer eth_chainId: ${(error as Error).message}`,
      { cause: error },
    );
  }
  return new JsonRpcProvider(config.rpcUrl, Network.from(chainId), {
    staticNetwork: true,
    pollingInterval: Math.min(config.pollIntervalMs, 4_000),
    // ethers answers repeated identical requests from a 250 ms cache; on an instant-mining chain that hands
    // a second transaction the nonce of the first (mined meanwhile), so every request goes to the node.
    cacheTimeout: -1,
  });
}

/**
 * This party's account: CFL_PRIVATE_KEY when set, else the encrypted keystore file (ethers JSON wallet)
 * opened with CFL_KEYSTORE_PASSWORD. Keys never come from the config file itself.
 */
export async function loadSigner({
  config,
  provider,
  env = process.env,
}: {
  config: CflConfig;
  provider?: JsonRpcProvider;
  env?: NodeJS.ProcessEnv;
}): Promise<Wallet> {
  const key = env[CONFIG_ENV.privateKey];
  registerSecret(key);
  if (key) {
    if (!/^(0x)?[0-9a-fA-F]{64}$/.test(key.trim())) {
      throw new ConfigError("bad-key", `${CONFIG_ENV.privateKey} must be a 32-byte hex private key`);
    }
    const hex = key.trim().startsWith("0x") ? key.trim() : `0x${key.trim()}`;
    return new Wallet(hex, provider ?? null);
  }
  if (!config.keystore) {
    throw new ConfigError(
      "missing-key",
      `no account key: set ${CONFIG_ENV.privateKey} or keystore.path in the config (with ${CONFIG_ENV.keystorePassword})`,
    );
  }
  const password = env[CONFIG_ENV.keystorePassword];
  registerSecret(password);
  if (password === undefined) {
    throw new ConfigError("missing-key", `keystore.path is set but ${CONFIG_ENV.keystorePassword} is not`);
  }
  let json: string;
  try {
    json = await readFile(config.keystore.path, "utf8");
  } catch (error) {
    throw new ConfigError("bad-keystore", `keystore.path: cannot read ${config.keystore.path}`, {
      cause: error,
    });
  }
  try {
    const wallet = await Wallet.fromEncryptedJson(json, password);
    registerSecret(wallet.privateKey);
    return new Wallet(wallet.privateKey, provider ?? null);
  } catch (error) {
    throw new ConfigError(
      "bad-keystore",
      `keystore.path: ${config.keystore.path} cannot be opened (${(error as Error).message})`,
      { cause: error },
    );
  }
}

/** A reader's X25519 key from its JSON file `{ "id": "0x<address>", "secretKey": "<64 hex>" }`. */
export async function loadReaderKey({ path }: { path: string }): Promise<ReaderKey> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, "utf8"));
  } catch (error) {
    throw new ConfigError("bad-reader-key", `readerKeyFile: cannot read ${path} as JSON`, { cause: error });
  }
  const { id, secretKey } = (parsed ?? {}) as { id?: unknown; secretKey?: unknown };
  if (typeof id !== "string" || !/^0x[0-9a-fA-F]{40}$/.test(id)) {
    throw new ConfigError("bad-reader-key", `readerKeyFile ${path}: id must be the reader's 0x address`);
  }
  if (typeof secretKey !== "string" || !/^(0x)?[0-9a-fA-F]{64}$/.test(secretKey)) {
    throw new ConfigError("bad-reader-key", `readerKeyFile ${path}: secretKey must be 32 bytes hex`);
  }
  registerSecret(secretKey);
  const secret = Uint8Array.from(Buffer.from(secretKey.replace(/^0x/, ""), "hex"));
  return { id: getAddress(id), secretKey: secret, publicKey: readerPublicKey(secret) };
}

/** Writes a reader key file readable by its owner only; refuses to overwrite an existing key. */
export async function writeReaderKey({ path, key }: { path: string; key: ReaderKey }): Promise<void> {
  const text = JSON.stringify(
    {
      id: key.id,
      publicKey: Buffer.from(key.publicKey).toString("hex"),
      secretKey: Buffer.from(key.secretKey).toString("hex"),
    },
    null,
    2,
  );
  try {
    await writeFile(path, text + "\n", { mode: 0o600, flag: "wx" });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") {
      throw new ConfigError(
        "bad-reader-key",
        `readerKeyFile ${path} exists already; refusing to replace a key`,
      );
    }
    throw error;
  }
}

async function openEmbedded(ipfs: EmbeddedIpfsConfig): Promise<HeliaContentStore> {
  let psk: Uint8Array | undefined;
  if (ipfs.swarmKeyFile) {
    try {
      psk = new Uint8Array(await readFile(ipfs.swarmKeyFile));
      // The key is the file's last line (after /key/swarm/psk/1.0.0/ and /base16/).
      for (const line of Buffer.from(psk).toString("utf8").split("\n")) {
        if (!line.startsWith("/")) registerSecret(line);
      }
    } catch (error) {
      throw new ConfigError("unreadable-file", `ipfs.swarmKeyFile: cannot read ${ipfs.swarmKeyFile}`, {
        cause: error,
      });
    }
  }
  await mkdir(ipfs.path, { recursive: true });
  // Loaded on use: libp2p and Helia take seconds to import, and most commands never open a store.
  const { createHeliaStore } = await import("../storage/index.js");
  return createHeliaStore({
    path: ipfs.path,
    network: {
      ...(ipfs.listen ? { listen: ipfs.listen } : {}),
      ...(ipfs.bootstrap ? { bootstrap: ipfs.bootstrap } : {}),
      ...(psk ? { psk } : {}),
    },
  });
}

/** The configured content store: an embedded Helia node on the consortium's network, or a Kubo RPC API. */
export async function openContentStore({ config }: { config: CflConfig }): Promise<ContentStore> {
  if (config.ipfs.mode === "embedded") return openEmbedded(config.ipfs);
  const { createKuboStore } = await import("../storage/index.js");
  return createKuboStore({ url: config.ipfs.url });
}

function isHelia(store: ContentStore): store is HeliaContentStore {
  return typeof (store as Partial<HeliaContentStore>).multiaddrs === "function";
}

/**
 * Peer discovery through a shared directory: each node publishes its multiaddrs in `<peersDir>/<name>.addrs`
 * and dials the others. `announce` writes this node's file; `dialAll` (cheap for peers already connected)
 * finds peers that started or restarted since.
 */
export function peerDirectory({ store, dir, name }: { store: ContentStore; dir: string; name: string }): {
  announce(): Promise<string[]>;
  dialAll(): Promise<number>;
} {
  const own = `${name}.addrs`;
  return {
    async announce() {
      if (!isHelia(store)) return [];
      await mkdir(dir, { recursive: true });
      const addresses = store.multiaddrs();
      const tmp = join(dir, `.${own}.${process.pid}.tmp`);
      await writeFile(tmp, addresses.join("\n") + "\n");
      await rename(tmp, join(dir, own));
      return addresses;
    },
    async dialAll() {
      if (!isHelia(store)) return 0;
      const files = (await readdir(dir).catch(() => [] as string[])).filter(
        (f) => f.endsWith(".addrs") && f !== own,
      );
      let connected = 0;
      await Promise.all(
        files.map(async (file) => {
          const text = await readFile(join(dir, file), "utf8").catch(() => "");
          const first = text.split("\n").find((line) => line.includes("/p2p/"));
          if (!first) return;
          try {
            await Promise.race([
              store.dial(first),
              new Promise((_, reject) => setTimeout(() => reject(new Error("dial timeout")), 3_000).unref()),
            ]);
            connected++;
          } catch {
            // A peer that is down now is dialled again on the next poll.
          }
        }),
      );
      return connected;
    },
  };
}

/**
 * Opens everything a role needs from the configuration: provider, signer, contracts, content store.
 * With `readOnly`, no key is needed: the role acts as an observer (used by `cfl audit`).
 */
export async function connectRole({
  config,
  command,
  readOnly = false,
  env = process.env,
}: {
  config: CflConfig;
  command: string;
  readOnly?: boolean;
  env?: NodeJS.ProcessEnv;
}): Promise<RoleConnection> {
  const checked = requireFields({ config, fields: ["addresses", "taskId"], command });
  const provider = await connectProvider({ config });
  let signer: Signer;
  let address: string;
  try {
    if (readOnly) {
      signer = new VoidSigner(ZeroAddress, provider);
      address = ZeroAddress;
    } else {
      const wallet = await loadSigner({ config, provider, env });
      signer = wallet;
      address = wallet.address;
    }
  } catch (error) {
    provider.destroy();
    throw error;
  }
  let store: ContentStore;
  try {
    store = await openContentStore({ config });
  } catch (error) {
    provider.destroy();
    throw error;
  }
  const contracts = attachContracts({ addresses: checked.addresses, runner: provider });
  const roleEnv: RoleEnvironment = {
    signer,
    address: getAddress(address),
    contracts,
    store,
    taskId: checked.taskId,
    fetchTimeoutMs: config.fetchTimeoutMs,
  };
  return {
    config,
    provider,
    signer,
    env: roleEnv,
    store,
    async close() {
      await store.stop().catch(() => undefined);
      provider.destroy();
    },
  };
}
