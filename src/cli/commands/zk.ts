import type { Command } from "commander";
import {
  ceremonyContribute,
  ceremonyFinalize,
  ceremonyInit,
  ceremonyVerify,
  loadCircuitArtifacts,
  releaseZkWorkers,
  ZkCeremonyError,
} from "../../zk/index.js";

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
    .description("multi-party phase-2 ceremony: init, then contribute in turn, verify, finalize");

  ceremony
    .command("init")
    .description("create the initial phase-2 key from the instance's r1cs and ptau")
    .requiredOption("--instance <name>", "circuit instance from circuits/instances.json")
    .requiredOption("--out <file>", "initial zkey to write")
    .action(async (opts: { instance: string; out: string }) =>
      withZkWorkers(async () => {
        const { zkeyPath } = await ceremonyInit({ instance: opts.instance, out: opts.out });
        out(`initial key written to ${zkeyPath}; pass it to the first contributor`);
      }),
    );

  ceremony
    .command("contribute")
    .description("add your contribution (fresh randomness) to a phase-2 key")
    .requiredOption("--in <file>", "the latest zkey of the ceremony")
    .requiredOption("--out <file>", "zkey with your contribution")
    .requiredOption("--name <contributor>", "your name, recorded in the transcript")
    .option("--entropy <text>", "extra entropy mixed with 64 random bytes and snarkjs's own randomness")
    .action(async (opts: { in: string; out: string; name: string; entropy?: string }) =>
      withZkWorkers(async () => {
        const { contributionHash } = await ceremonyContribute({
          input: opts.in,
          out: opts.out,
          name: opts.name,
          ...(opts.entropy !== undefined ? { entropy: opts.entropy } : {}),
        });
        out(`contribution hash ${contributionHash}`);
        out("record this hash: `cfl zk ceremony verify` must list it");
      }),
    );

  ceremony
    .command("verify")
    .description("verify a phase-2 key against the instance's r1cs and ptau and list every contribution")
    .requiredOption("--instance <name>", "circuit instance from circuits/instances.json")
    .requiredOption("--zkey <file>", "zkey to verify")
    .action(async (opts: { instance: string; zkey: string }) =>
      withZkWorkers(async () => {
        const result = await ceremonyVerify({ instance: opts.instance, zkeyPath: opts.zkey });
        if (!result.ok) {
          throw new ZkCeremonyError(
            `${opts.zkey} FAILED verification: ${result.errors.join("; ") || "invalid key"}`,
          );
        }
        for (const c of result.contributions) {
          out(`#${c.index} ${c.beacon ? "[beacon] " : ""}${c.name} ${c.hash}`);
        }
        out(`ok: ${result.contributions.length} contributions verified`);
      }),
    );

  ceremony
    .command("finalize")
    .description(
      "apply a public beacon, export the verifying key and the Solidity verifier, print the vkey hash",
    )
    .requiredOption("--instance <name>", "circuit instance from circuits/instances.json")
    .requiredOption("--in <file>", "last contributed zkey")
    .requiredOption("--out <file>", "final zkey")
    .requiredOption("--beacon <hex>", "public beacon value announced in advance (hex, no 0x)")
    .option("--beacon-iterations-exp <n>", "2^n hash iterations of the beacon", "10")
    .option("--vkey-out <file>", "write the verifying key JSON here")
    .option("--verifier-out <file>", "write the Solidity verifier here")
    .action(
      async (opts: {
        instance: string;
        in: string;
        out: string;
        beacon: string;
        beaconIterationsExp: string;
        vkeyOut?: string;
        verifierOut?: string;
      }) =>
        withZkWorkers(async () => {
          const result = await ceremonyFinalize({
            instance: opts.instance,
            input: opts.in,
            out: opts.out,
            beaconHash: opts.beacon,
            beaconIterationsExp: Number(opts.beaconIterationsExp),
            ...(opts.vkeyOut !== undefined ? { vkeyOut: opts.vkeyOut } : {}),
            ...(opts.verifierOut !== undefined ? { verifierOut: opts.verifierOut } : {}),
          });
          out(`final key ${result.zkeyPath}`);
          out(`vkey hash ${result.vkeyHash} (record it in the task policy)`);
        }),
    );
}
