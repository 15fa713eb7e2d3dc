/**
 * What the role commands share: the --config option, loading and connecting, and turning SIGINT/SIGTERM
 * into an orderly stop (the long-running loops finish their step, close the IPFS node and exit).
 */
import { InvalidArgumentError, type Command } from "commander";
import {
  ConfigError,
  loadConfig,
  connectRole,
  peerDirectory,
  type CflConfig,
  type RoleConnection,
} from "../../config/index.js";
import type { Logger } from "../log.js";
import { getAddress, hexlify } from "ethers";
import type { ReaderKey } from "../../roles/index.js";
import { findInstance } from "../../zk/setup/instances.js";
import type { CircuitParams } from "../../zk/index.js";

export interface ConfigOption {
  config?: string;
}

export function withConfigOption(command: Command): Command {
  return command.option("--config <file>", "configuration file (default ./cfl.config.json)");
}

export function configFrom(opts: ConfigOption): CflConfig {
  return loadConfig({ ...(opts.config ? { path: opts.config } : {}) });
}

/** Runs `work` with an open role connection and always closes it. */
export async function withRole<T>(
  { config, command, readOnly = false }: { config: CflConfig; command: string; readOnly?: boolean },
  work: (connection: RoleConnection) => Promise<T>,
): Promise<T> {
  const connection = await connectRole({ config, command, readOnly });
  try {
    return await work(connection);
  } finally {
    await connection.close();
  }
}

/** An AbortSignal raised on the first SIGINT or SIGTERM; a second one exits at once. */
export function stopSignal(): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const onSignal = (): void => {
    if (controller.signal.aborted) process.exit(130);
    controller.abort(new Error("stopped by signal"));
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  return {
    signal: controller.signal,
    dispose() {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    },
  };
}

/** The circuit's shape parameters from the registry, without building or loading proving keys. */
export async function circuitParams(instance: string): Promise<CircuitParams> {
  const entry = await findInstance({ instance });
  return { ...entry.parameters };
}

/** A commander parser for a positive integer option. */
export function positiveInt(name: string) {
  return (value: string): number => {
    if (!/^[1-9]\d*$/.test(value)) throw new InvalidArgumentError(`${name} must be a positive integer`);
    return Number(value);
  };
}

/**
 * With `ipfs.peersDir`, writes this node's multiaddrs there and returns the step hook that dials the
 * other nodes' (again on every poll, so restarted peers are found); without it, nothing to do.
 */
export async function announcePeers({
  connection,
  log,
}: {
  connection: RoleConnection;
  log: Logger;
}): Promise<(() => Promise<void>) | undefined> {
  const { ipfs } = connection.config;
  if (ipfs.mode !== "embedded" || !ipfs.peersDir) return undefined;
  const directory = peerDirectory({
    store: connection.store,
    dir: ipfs.peersDir,
    name: ipfs.peerName ?? connection.env.address.toLowerCase(),
  });
  const addresses = await directory.announce();
  log("ipfs-ready", { multiaddrs: addresses });
  await directory.dialAll();
  return async () => {
    await directory.dialAll();
  };
}

/**
 * Refuses a reader key that the chain does not know as this reader's: a wrong key would open no update,
 * so an aggregator would exclude every one and an auditor would dispute honest rounds.
 */
export async function checkReaderKey({
  connection,
  reader,
  requireOwnAccount,
}: {
  connection: RoleConnection;
  reader: ReaderKey;
  requireOwnAccount: boolean;
}): Promise<void> {
  if (requireOwnAccount && getAddress(reader.id) !== getAddress(connection.env.address)) {
    throw new ConfigError(
      "bad-reader-key",
      `readerKeyFile belongs to ${reader.id}, but this process signs as ${connection.env.address}`,
    );
  }
  const member = await connection.env.contracts.consortium.member(reader.id);
  const onChain = member.profile.encryptionKey.toLowerCase();
  if (onChain !== hexlify(reader.publicKey).toLowerCase()) {
    throw new ConfigError(
      "bad-reader-key",
      `readerKeyFile's public key is not the encryption key admitted on chain for ${reader.id} (${onChain})`,
    );
  }
}

/** What a reader role's loop receives: the aggregator and the auditors run on exactly this. */
export interface ReaderRoleContext {
  env: RoleConnection["env"];
  log: Logger;
  signal: AbortSignal;
  pollIntervalMs: number;
  beforeStep: (() => Promise<void>) | undefined;
  reader: ReaderKey;
  circuit: CircuitParams;
}

/**
 * The life of a task reader's process (aggregator or auditor): load its reader key, refuse to start when
 * that key is not the one admitted on chain for its account, announce its IPFS peers, run `loop` until a
 * signal or the loop's own end, and always release the proof workers and the connection.
 */
export async function runReaderRole({
  opts,
  command,
  role,
  loop,
}: {
  opts: ConfigOption & { quiet: boolean };
  command: string;
  role: "aggregator" | "auditor";
  loop: (context: ReaderRoleContext) => Promise<void>;
}): Promise<void> {
  const { loadReaderKey, requireFields } = await import("../../config/index.js");
  const { createLogger } = await import("../log.js");
  const config = requireFields({ config: configFrom(opts), fields: ["readerKeyFile"], command });
  const log = createLogger({ quiet: opts.quiet });
  const reader = await loadReaderKey({ path: config.readerKeyFile });
  const circuit = await circuitParams(config.circuit);
  const { releaseZkWorkers } = await import("../../zk/index.js");
  const stop = stopSignal();
  try {
    await withRole({ config, command }, async (connection) => {
      await checkReaderKey({ connection, reader, requireOwnAccount: true });
      const beforeStep = await announcePeers({ connection, log });
      log(`${role}-ready`, { address: connection.env.address, task: config.taskId?.toString() });
      await loop({
        env: connection.env,
        log,
        signal: stop.signal,
        pollIntervalMs: config.pollIntervalMs,
        beforeStep,
        reader,
        circuit,
      });
    });
  } finally {
    stop.dispose();
    await releaseZkWorkers();
  }
}
