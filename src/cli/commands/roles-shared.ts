/**
 * What the role commands share: the --config option, loading and connecting, and turning SIGINT/SIGTERM
 * into an orderly stop (the long-running loops finish their step, close the IPFS node and exit).
 */
import { InvalidArgumentError, type Command } from "commander";
import {
  ConfigError,
  loadConfig,
  connectRole,
  loadReaderGroup,
  loadReaderKey,
  openReaderGroupKey,
  peerDirectory,
  requireFields,
  type CflConfig,
  type RoleConnection,
} from "../../config/index.js";
import type { Logger } from "../log.js";
import { getAddress, hexlify } from "ethers";
import { policyFromChain, type TaskPolicy } from "../../governance/index.js";
import type { ReaderGroupKey, ReaderKey } from "../../roles/index.js";
import type { ReaderGroupBundle } from "../../seal/index.js";

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
 * Refuses a reader key that the chain does not know as this reader's: the reader-group bundle is sealed to
 * the admitted keys, so a wrong key opens nothing (and would have the reader read nothing).
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

/** The task's current policy version and policy, refusing a task the chain does not know. */
export async function currentTaskPolicy({
  connection,
}: {
  connection: RoleConnection;
}): Promise<{ version: number; policy: TaskPolicy }> {
  const { consortium } = connection.env.contracts;
  const taskId = connection.env.taskId;
  const version = Number(await consortium.currentPolicyVersion(taskId));
  if (version === 0) {
    throw new ConfigError(
      "invalid-field",
      `taskId ${taskId}: no such task on the consortium at ${await consortium.getAddress()}`,
    );
  }
  return { version, policy: policyFromChain(await consortium.taskPolicy(taskId, version)) };
}

/** A reader's own key and the reader-group bundle, read from the files the configuration names. */
export async function loadReaderFiles({
  config,
}: {
  config: CflConfig & { readerKeyFile: string; readerGroupFile: string };
}): Promise<{ personal: ReaderKey; bundle: ReaderGroupBundle; bundlePath: string }> {
  const personal = await loadReaderKey({ path: config.readerKeyFile });
  const bundle = await loadReaderGroup({ path: config.readerGroupFile });
  return { personal, bundle, bundlePath: config.readerGroupFile };
}

/**
 * A task reader's credentials, checked against the chain before it reads anything: its own reader key must
 * be the encryption key admitted for its account, and the reader-group bundle must open with it to the
 * group key the task's current policy pins as `readerKey`. Either failure is one `error:` line.
 */
export async function openReaderCredentials({
  connection,
  files,
  requireOwnAccount,
}: {
  connection: RoleConnection;
  files: Awaited<ReturnType<typeof loadReaderFiles>>;
  requireOwnAccount: boolean;
}): Promise<{ group: ReaderGroupKey; policyVersion: number }> {
  const { personal, bundle, bundlePath } = files;
  await checkReaderKey({ connection, reader: personal, requireOwnAccount });
  const { version, policy } = await currentTaskPolicy({ connection });
  const group = openReaderGroupKey({
    bundle,
    path: bundlePath,
    reader: personal,
    expectedPublicKey: policy.readerKey,
    pinnedBy: `task ${connection.env.taskId}'s policy v${version}`,
  });
  return { group, policyVersion: version };
}

/** What a reader role's loop receives: the aggregator and the auditors run on exactly this. */
export interface ReaderRoleContext {
  env: RoleConnection["env"];
  log: Logger;
  signal: AbortSignal;
  pollIntervalMs: number;
  beforeStep: (() => Promise<void>) | undefined;
  /** The task's reader-group key as this reader holds it. */
  reader: ReaderGroupKey;
}

/**
 * The life of a task reader's process (aggregator or auditor): load its reader key and the reader-group
 * bundle, refuse to start unless the key is the one admitted on chain for its account and the bundle opens
 * to the task policy's `readerKey`, announce its IPFS peers, run `loop` until a signal or the loop's own
 * end, and always release the proof workers and the connection.
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
  const { createLogger } = await import("../log.js");
  const config = requireFields({
    config: configFrom(opts),
    fields: ["readerKeyFile", "readerGroupFile"],
    command,
  });
  const log = createLogger({ quiet: opts.quiet });
  const files = await loadReaderFiles({ config });
  const { releaseZkWorkers } = await import("../../zk/index.js");
  const stop = stopSignal();
  try {
    await withRole({ config, command }, async (connection) => {
      const { group, policyVersion } = await openReaderCredentials({
        connection,
        files,
        requireOwnAccount: true,
      });
      const beforeStep = await announcePeers({ connection, log });
      log(`${role}-ready`, {
        address: connection.env.address,
        task: config.taskId?.toString(),
        policyVersion,
      });
      await loop({
        env: connection.env,
        log,
        signal: stop.signal,
        pollIntervalMs: config.pollIntervalMs,
        beforeStep,
        reader: group,
      });
    });
  } finally {
    stop.dispose();
    await releaseZkWorkers();
  }
}
