import type { Command } from "commander";
import type { JsonRpcProvider } from "ethers";
import { connectProvider, loadSigner } from "../../config/index.js";
import {
  ceremonyContribute,
  ceremonyFinalize,
  ceremonyInit,
  ceremonyVerify,
  checkInitInputs,
  DEFAULT_BEACON_ITERATIONS_EXP,
  displayText,
  readCeremonyState,
  type CeremonyVerification,
} from "../../zk/ceremony.js";
import { loadCircuitArtifacts, releaseZkWorkers, ZkCeremonyError } from "../../zk/index.js";
import { configFrom, positiveInt, withConfigOption, type ConfigOption } from "./roles-shared.js";

function out(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** snarkjs keeps BN254 worker threads alive; stop them after each command so `cfl` exits. */
async function withZkWorkers(action: () => Promise<void>): Promise<void> {
  try {
    await action();
  } finally {
    await releaseZkWorkers();
  }
}

/** Runs `work` with a provider for the configured chain when `needed`, and always closes it. */
async function withChain<T>(
  { opts, needed }: { opts: ConfigOption; needed: boolean },
  work: (chain: JsonRpcProvider | undefined) => Promise<T>,
): Promise<T> {
  if (!needed) return work(undefined);
  const provider = await connectProvider({ config: configFrom(opts) });
  try {
    return await work(provider);
  } finally {
    provider.destroy();
  }
}

function addressList(value: string): string[] {
  return value
    .split(",")
    .map((a) => a.trim())
    .filter((a) => a !== "");
}

/** JSON for stdout with every control or bidi character escaped (JSON.stringify leaves C1 and U+2028 raw). */
function safeJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v), 2).replace(
    /[\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

function printVerification(v: CeremonyVerification): void {
  out(`ceremony ${v.id} for instance ${displayText(v.instance)}`);
  const p1 = v.phase1;
  out(
    `phase 1: power ${p1.power} (ceremony power ${p1.ceremonyPower}), blake2b-512 ${p1.blake2b512}, ` +
      `${p1.contributions.length} contributions [${p1.contributions
        .map((c) => `${c.beacon ? "beacon " : ""}${displayText(c.name)}`)
        .join(", ")}]${p1.verified ? ", verified" : ""}`,
  );
  out(`expected contributors: ${v.contributors.join(", ")}`);
  for (const c of v.contributions) out(`#${c.index} ${c.address} ${displayText(c.name)} ${c.hash}`);
  if (v.beacon !== null) {
    out(
      `beacon: hash of block ${v.beacon.blockNumber} of chain ${v.beacon.chainId} (fixed when the chain was at ` +
        `${v.beacon.committedAtBlock}), 2^${v.beacon.iterationsExp} iterations`,
    );
  }
  if (v.final !== null) {
    const b = v.final.beacon;
    out(
      `final: vkey hash ${v.final.vkeyHash}, beacon ${b.source === "block" ? `block ${b.blockNumber} hash ${b.blockHash}` : `raw ${b.hash}`}`,
    );
  }
  if (v.developmentOnly) out("DEVELOPMENT ONLY: these keys must never be used by a production consortium");
}

/**
 * `cfl zk ...`: the proving-key lifecycle. `ceremony` runs the multi-party phase 2 a consortium uses instead of
 * the development-only keys from `npm run zk:setup`; `vkey-hash` prints what a task policy records.
 */
export function registerZkCommands(program: Command): void {
  const zk = program
    .command("zk")
    .description("zero-knowledge proof keys: ceremony and verifying-key hashes");

  zk.command("vkey-hash")
    .description(
      "print the verifying-key hash of a circuit instance's development keys (builds them if needed)",
    )
    .requiredOption("--instance <name>", "circuit instance from circuits/instances.json")
    .action(async (opts: { instance: string }) =>
      withZkWorkers(async () => {
        const artifacts = await loadCircuitArtifacts({ instance: opts.instance });
        out(artifacts.vkeyHash);
      }),
    );

  const ceremony = zk
    .command("ceremony")
    .description(
      "multi-party phase-2 ceremony in one directory: init, contribute (each expected account in turn), verify, finalize",
    );

  withConfigOption(
    ceremony
      .command("init")
      .description(
        "start a ceremony: verified multi-party phase 1, expected contributors, future beacon block (rpcUrl from the config)",
      )
      .requiredOption("--instance <name>", "circuit instance from circuits/instances.json")
      .requiredOption("--dir <dir>", "new ceremony directory")
      .requiredOption("--contributors <addresses>", "ordered, comma-separated contributor accounts")
      .option(
        "--ptau <file>",
        "multi-party phase-1 file (e.g. Perpetual Powers of Tau), power >= the instance's",
      )
      .option(
        "--beacon-block <n>",
        "future block of the consortium's chain whose hash is the final beacon",
        positiveInt("--beacon-block"),
      )
      .option(
        "--beacon-iterations-exp <n>",
        `2^n sha256 iterations of the beacon (default ${DEFAULT_BEACON_ITERATIONS_EXP})`,
        positiveInt("--beacon-iterations-exp"),
      )
      .option("--development", "development-only ceremony: allows the development phase 1 and a raw beacon"),
  ).action(
    async (
      opts: {
        instance: string;
        dir: string;
        contributors: string;
        ptau?: string;
        beaconBlock?: number;
        beaconIterationsExp?: number;
        development?: boolean;
      } & ConfigOption,
    ) =>
      withZkWorkers(async () => {
        const inputs = {
          instance: opts.instance,
          dir: opts.dir,
          contributors: addressList(opts.contributors),
          development: opts.development === true,
          ...(opts.ptau !== undefined ? { ptau: opts.ptau } : {}),
          ...(opts.beaconBlock !== undefined ? { beaconBlock: opts.beaconBlock } : {}),
          ...(opts.beaconIterationsExp !== undefined
            ? { beaconIterationsExp: opts.beaconIterationsExp }
            : {}),
        };
        // Bad input is refused before the chain is contacted.
        await checkInitInputs(inputs);
        await withChain({ opts, needed: opts.beaconBlock !== undefined }, async (chain) => {
          const { id, state } = await ceremonyInit({ ...inputs, ...(chain !== undefined ? { chain } : {}) });
          out(`ceremony ${id} in ${opts.dir}`);
          const p1 = state.init.phase1;
          out(
            `phase 1: power ${p1.power}, ${p1.contributions.length} contributions, verified; blake2b-512 ${p1.blake2b512}`,
          );
          out(`expected contributors, in order: ${state.init.contributors.join(", ")}`);
          if (state.init.beacon !== null) {
            out(
              `final beacon: hash of block ${state.init.beacon.blockNumber} of chain ${state.init.beacon.chainId}`,
            );
          }
          if (state.init.developmentOnly) out("DEVELOPMENT ONLY: the keys will be marked developmentOnly");
        });
      }),
  );

  withConfigOption(
    ceremony
      .command("contribute")
      .description(
        "add your contribution with your consortium account (CFL_PRIVATE_KEY or the configured keystore), which signs it",
      )
      .requiredOption("--dir <dir>", "the ceremony directory")
      .requiredOption("--name <contributor>", "your name, recorded in the transcript (at most 64 bytes)")
      .option("--entropy <text>", "extra entropy mixed with 64 random bytes and snarkjs's own randomness"),
  ).action(async (opts: { dir: string; name: string; entropy?: string } & ConfigOption) =>
    withZkWorkers(async () => {
      const state = await readCeremonyState({ dir: opts.dir });
      const signer = await loadSigner({ config: configFrom(opts) });
      await withChain({ opts, needed: state.init.beacon !== null }, async (chain) => {
        const { index, contributionHash, entry } = await ceremonyContribute({
          dir: opts.dir,
          name: opts.name,
          signer,
          ...(opts.entropy !== undefined ? { entropy: opts.entropy } : {}),
          ...(chain !== undefined ? { chain } : {}),
        });
        out(`contribution #${index} by ${entry.address}, signed`);
        out(`contribution hash ${contributionHash}`);
        out("record this hash: `cfl zk ceremony verify` must list it");
      });
    }),
  );

  withConfigOption(
    ceremony
      .command("verify")
      .description(
        "verify the whole transcript: phase 1, every key (snarkjs), every signature and its order, the final beacon",
      )
      .requiredOption("--dir <dir>", "the ceremony directory")
      .option(
        "--contributors <addresses>",
        "the contributor list you expect (refused if the ceremony's differs)",
      )
      .option("--instance <name>", "the circuit instance you expect")
      .option("--latest", "check only the latest key (faster; every signature is still checked)")
      .option("--check-beacon", "also check the final beacon against the chain (rpcUrl from the config)")
      .option("--json", "print the verification report as JSON"),
  ).action(
    async (
      opts: {
        dir: string;
        contributors?: string;
        instance?: string;
        latest?: boolean;
        checkBeacon?: boolean;
        json?: boolean;
      } & ConfigOption,
    ) =>
      withZkWorkers(async () =>
        withChain({ opts, needed: opts.checkBeacon === true }, async (chain) => {
          const result = await ceremonyVerify({
            dir: opts.dir,
            depth: opts.latest === true ? "latest" : "full",
            ...(opts.contributors !== undefined
              ? { expectedContributors: addressList(opts.contributors) }
              : {}),
            ...(opts.instance !== undefined ? { instance: opts.instance } : {}),
            ...(chain !== undefined ? { chain } : {}),
          });
          if (opts.json === true) out(safeJson(result));
          if (!result.ok) {
            throw new ZkCeremonyError(`${opts.dir} FAILED verification: ${result.errors.join("; ")}`);
          }
          if (opts.json !== true) {
            printVerification(result);
            out(
              `ok: ${result.contributions.length} of ${result.contributors.length} contributions verified` +
                `${result.final !== null ? ", finalized" : result.complete ? ", ready to finalize" : ""}`,
            );
          }
        }),
      ),
  );

  withConfigOption(
    ceremony
      .command("finalize")
      .description(
        "apply the beacon (the hash of the block fixed at init, waited for), write final.zkey, vkey.json, the verifier, ceremony-result.json",
      )
      .requiredOption("--dir <dir>", "the ceremony directory")
      .option("--development", "development ceremony: allows --beacon")
      .option("--beacon <hex>", "raw 32-byte beacon (hex), development ceremonies only")
      .option(
        "--wait-timeout <seconds>",
        "how long to wait for the beacon block",
        positiveInt("--wait-timeout"),
      ),
  ).action(
    async (
      opts: { dir: string; development?: boolean; beacon?: string; waitTimeout?: number } & ConfigOption,
    ) =>
      withZkWorkers(async () => {
        const config = configFrom(opts);
        const state = await readCeremonyState({ dir: opts.dir });
        const needed =
          opts.beacon === undefined && state.init.beacon !== null && state.contributions.length > 0;
        await withChain({ opts, needed }, async (chain) => {
          const result = await ceremonyFinalize({
            dir: opts.dir,
            development: opts.development === true,
            pollIntervalMs: config.pollIntervalMs,
            ...(opts.beacon !== undefined ? { beaconHash: opts.beacon } : {}),
            ...(opts.waitTimeout !== undefined ? { waitTimeoutMs: opts.waitTimeout * 1000 } : {}),
            ...(chain !== undefined ? { chain } : {}),
          });
          out(`final key ${result.zkeyPath}`);
          out(`verifying key ${result.vkeyPath}, verifier ${result.verifierPath}`);
          out(`result ${result.resultPath}`);
          out(`vkey hash ${result.vkeyHash} (record it in the task policy)`);
          if (result.developmentOnly)
            out("DEVELOPMENT ONLY: these keys must never be used by a production consortium");
        });
      }),
  );
}
