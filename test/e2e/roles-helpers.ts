/**
 * Child processes for the role tests: a `hardhat node` on loopback and long-running `cfl` commands whose
 * JSON log lines the test can wait for. Every child is tracked so that `after` hooks can kill them all.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import { HDNodeWallet, JsonRpcProvider, keccak256, Mnemonic, toUtf8Bytes, Wallet } from "ethers";
import { Consortium__factory } from "../../types/ethers-contracts/index.js";
import { encodeProposal, type ProposalAction } from "../../src/governance/index.js";
import { ROOT, runCli } from "./helpers.js";

const HARDHAT = `${ROOT}node_modules/.bin/hardhat`;

/** The well-known development mnemonic `hardhat node` funds; its keys are public, loopback use only. */
const DEV_MNEMONIC = Mnemonic.fromPhrase("test test test test test test test test test test test junk");

export function devAccount(index: number): { address: string; privateKey: string } {
  const wallet = HDNodeWallet.fromMnemonic(DEV_MNEMONIC, `m/44'/60'/0'/0/${index}`);
  return { address: wallet.address, privateKey: wallet.privateKey };
}

export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  server.close();
  await once(server, "close");
  return port;
}

/** A running child with its output so far and a way to wait for a JSON log event. */
export interface Child {
  name: string;
  process: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** JSON log lines (stderr, non-TTY) parsed so far. */
  events: () => Record<string, unknown>[];
  waitFor: (
    predicate: (event: Record<string, unknown>) => boolean,
    timeoutMs: number,
  ) => Promise<Record<string, unknown>>;
  exited: Promise<number | null>;
}

const children = new Set<ChildProcess>();

function track(name: string, child: ChildProcess): Child {
  children.add(child);
  let out = "";
  let err = "";
  const parsed: Record<string, unknown>[] = [];
  const waiters: {
    predicate: (e: Record<string, unknown>) => boolean;
    resolve: (e: Record<string, unknown>) => void;
  }[] = [];
  let partial = "";
  child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr?.on("data", (d: Buffer) => {
    const text = d.toString();
    err += text;
    partial += text;
    const lines = partial.split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) {
      if (!line.startsWith("{")) continue;
      try {
        const event = JSON.parse(line) as Record<string, unknown>;
        parsed.push(event);
        for (const w of [...waiters]) {
          if (w.predicate(event)) {
            waiters.splice(waiters.indexOf(w), 1);
            w.resolve(event);
          }
        }
      } catch {
        // not a log line
      }
    }
  });
  const exited = new Promise<number | null>((resolve) => {
    child.on("exit", (code, signal) => {
      children.delete(child);
      resolve(code ?? (signal ? -1 : null));
    });
  });
  return {
    name,
    process: child,
    stdout: () => out,
    stderr: () => err,
    events: () => parsed,
    exited,
    waitFor(predicate, timeoutMs) {
      const seen = parsed.find(predicate);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          reject(
            new Error(
              `${name}: no matching log event within ${timeoutMs} ms; stderr tail:\n${err.slice(-3000)}`,
            ),
          );
        }, timeoutMs);
        const waiter = {
          predicate,
          resolve: (e: Record<string, unknown>) => {
            clearTimeout(timer);
            resolve(e);
          },
        };
        waiters.push(waiter);
        void exited.then((code) => {
          if (!waiters.includes(waiter)) return;
          clearTimeout(timer);
          reject(
            new Error(
              `${name} exited (${code}) before the expected log event; stderr tail:\n${err.slice(-3000)}`,
            ),
          );
        });
      });
    },
  };
}

/** Starts a long-running `cfl` command (JSON logs, since stderr is a pipe). */
export function spawnCfl(
  name: string,
  args: string[],
  env: Record<string, string> = {},
  logFile?: string,
): Child {
  // bin/cfl.js registers tsx in-process: one OS process per role, so SIGKILL really kills the role
  // (the tsx launcher would run the role in a grandchild that survives its parent's death).
  const child = spawn(process.execPath, [`${ROOT}bin/cfl.js`, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  // A copy of the child's log for post-mortems when a test fails.
  if (logFile) child.stderr?.pipe(createWriteStream(logFile, { flags: "a" }));
  return track(name, child);
}

/** `hardhat node` on 127.0.0.1, resolved once it answers JSON-RPC. */
export async function startHardhatNode(port: number): Promise<{ child: Child; rpcUrl: string }> {
  const child = spawn(HARDHAT, ["node", "--port", String(port), "--hostname", "127.0.0.1"], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const tracked = track("hardhat node", child);
  const rpcUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(rpcUrl, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
      });
      if (response.ok) return { child: tracked, rpcUrl };
    } catch {
      // not listening yet
    }
    if (child.exitCode !== null)
      throw new Error(`hardhat node exited: ${tracked.stderr()}${tracked.stdout()}`);
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error("hardhat node did not start within 120 s");
}

/** Kills every child still running (SIGKILL: nothing of theirs needs to survive the test). */
export async function killAllChildren(): Promise<void> {
  const running = [...children];
  for (const child of running) child.kill("SIGKILL");
  await Promise.all(
    running.map((c) =>
      c.exitCode === null && c.signalCode === null ? once(c, "exit") : Promise.resolve([]),
    ),
  );
}

/**
 * Runs governance actions in-process: one governor proposes, `quorum` governors approve, the last executes.
 * `admit` is the AdmitMember decision with a profile whose metadata hash is the account's.
 */
export function governanceClient({
  rpcUrl,
  consortium,
  governorKeys,
}: {
  rpcUrl: string;
  consortium: string;
  governorKeys: string[];
}): {
  govern: (action: ProposalAction) => Promise<void>;
  admit: (account: string, roles: number, kind: number, encryptionKey: string) => Promise<void>;
  close: () => void;
} {
  const provider = new JsonRpcProvider(rpcUrl, undefined, { staticNetwork: true, cacheTimeout: -1 });
  const governors = governorKeys.map((k) => new Wallet(k, provider));
  const [proposer] = governors;
  const executor = governors.at(-1);
  if (!proposer || !executor) throw new Error("governanceClient needs at least one governor key");
  const contract = Consortium__factory.connect(consortium, provider);
  const govern = async (action: ProposalAction): Promise<void> => {
    const { kind, payload } = encodeProposal(action);
    await (await contract.connect(proposer).propose(kind, payload, 3600n)).wait();
    const id = await contract.proposalCount();
    for (const g of governors.slice(0, -1)) await (await contract.connect(g).approve(id)).wait();
    await (await contract.connect(executor).execute(id)).wait();
  };
  return {
    govern,
    admit: (account, roles, kind, encryptionKey) =>
      govern({
        kind: "AdmitMember",
        account,
        profile: { roles, kind, encryptionKey, metadataHash: keccak256(toUtf8Bytes(account)) },
      }),
    close: () => provider.destroy(),
  };
}

/** `cfl governance reader-group create` over `readers`, dealt by the account of `privateKey`, into `out`. */
export async function readerGroupWithCli({
  config,
  readers,
  out,
  privateKey,
}: {
  config: string;
  readers: readonly string[];
  out: string;
  privateKey: string;
}): Promise<{ readerKey: string; dealer: string }> {
  const grouped = await runCli(
    [
      "governance",
      "reader-group",
      "create",
      "--config",
      config,
      "--readers",
      readers.join(","),
      "--out",
      out,
    ],
    { env: { CFL_PRIVATE_KEY: privateKey } },
  );
  if (grouped.code !== 0) throw new Error(`reader-group create exited ${grouped.code}: ${grouped.stderr}`);
  return JSON.parse(grouped.stdout) as { readerKey: string; dealer: string };
}

/**
 * One governance decision through the `cfl` command line, as governors run it: the first governor
 * proposes (`propose` holds the arguments after `governance propose`), the first `quorum` governors
 * approve, the last governor executes. Returns the JSON each step printed.
 */
export async function governWithCli({
  config,
  governorKeys,
  quorum,
  propose,
}: {
  config: string;
  governorKeys: string[];
  quorum: number;
  propose: string[];
}): Promise<{ proposed: Record<string, unknown>; executed: Record<string, unknown> }> {
  const run = async (key: string, args: string[]) => {
    const result = await runCli(["governance", ...args, "--config", config], {
      env: { CFL_PRIVATE_KEY: key },
    });
    if (result.code !== 0)
      throw new Error(`cfl governance ${args.join(" ")} exited ${result.code}: ${result.stderr}`);
    return JSON.parse(result.stdout) as Record<string, unknown>;
  };
  const [proposer] = governorKeys;
  const executor = governorKeys.at(-1);
  if (!proposer || !executor) throw new Error("governWithCli needs governor keys");
  const proposed = await run(proposer, ["propose", ...propose]);
  const id = String(proposed.proposalId);
  for (const key of governorKeys.slice(0, quorum)) await run(key, ["approve", id]);
  const executed = await run(executor, ["execute", id]);
  return { proposed, executed };
}

/** What `cfl deploy` printed for a consortium deployed by `deployWithCli`. */
export interface CliDeployment {
  consortium: string;
  rounds: string;
  verifyingKeyRegistry: string;
  development: boolean;
}

/**
 * A development deployment through `cfl deploy` (the Ignition modules), signed by the first governor, with
 * `base` as the governor's configuration (`governor.json` in `work`); the quorum is 2.
 */
export async function deployWithCli({
  work,
  base,
  governors,
}: {
  work: string;
  base: Record<string, unknown>;
  governors: readonly { address: string; privateKey: string }[];
}): Promise<CliDeployment> {
  await writeFile(join(work, "governor.json"), JSON.stringify(base));
  const deployed = await runCli(
    [
      "deploy",
      "--config",
      join(work, "governor.json"),
      "--governors",
      governors.map((g) => g.address).join(","),
      "--quorum",
      "2",
      "--development",
      "--deployments",
      join(work, "deployments"),
    ],
    { env: { CFL_PRIVATE_KEY: governors[0]!.privateKey } },
  );
  if (deployed.code !== 0) throw new Error(`cfl deploy exited ${deployed.code}: ${deployed.stderr}`);
  return JSON.parse(deployed.stdout) as CliDeployment;
}

/**
 * Writes one role's configuration into `work` (`NAME.json`: `base`, the addresses, its own embedded Helia
 * node that finds the others through `peersDir`, and `extra`) and records its path in `configs`.
 */
export function roleConfigWriter({
  work,
  base,
  addresses,
  peersDir,
  configs,
}: {
  work: string;
  base: Record<string, unknown>;
  addresses: { consortium: string; rounds: string };
  peersDir: string;
  configs: Record<string, string>;
}): (name: string, extra: Record<string, unknown>) => Promise<void> {
  return async (name, extra) => {
    const path = join(work, `${name}.json`);
    const ipfs = { mode: "embedded", path: join(work, `ipfs-${name}`), peersDir, peerName: name };
    await writeFile(path, JSON.stringify({ ...base, addresses, ipfs, ...extra }, null, 2));
    configs[name] = path;
  };
}
