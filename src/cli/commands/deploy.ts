import { Command, InvalidArgumentError, Option } from "commander";
import { writeFile } from "node:fs/promises";
import { getAddress, isAddress, type Signer } from "ethers";
import { Consortium__factory, FederatedRounds__factory } from "../../../types/ethers-contracts/index.js";
import type { DeploymentRecord } from "../../harness/ignition.js";
import { connectProvider, loadSigner } from "../../config/index.js";
import { loadDevOnly } from "../dev-dependency.js";
import { createLogger } from "../log.js";
import { configFrom, withConfigOption, type ConfigOption } from "./roles-shared.js";

export type { DeploymentRecord };

export function checkGovernors(governors: readonly string[], quorum: number): void {
  if (governors.length === 0) throw new Error("--governors needs at least one address");
  for (const g of governors)
    if (!isAddress(g)) throw new Error(`--governors: ${String(g)} is not an address`);
  if (new Set(governors.map((g) => g.toLowerCase())).size !== governors.length)
    throw new Error("--governors lists an address twice");
  if (!Number.isInteger(quorum) || quorum < 1 || quorum > governors.length)
    throw new Error(`--quorum must be from 1 to the number of governors (${governors.length})`);
}

/**
 * Deploys the consortium's contracts with ethers factories. No verifier is deployed: the consortium creates
 * its verifying-key registry, and governance registers keys by proposal. The deployer keeps no privilege:
 * it only names the first governors, their quorum and whether the deployment is for development.
 */
export async function deployConsortium({
  signer,
  governors,
  quorum,
  development = false,
}: {
  signer: Signer;
  governors: readonly string[];
  quorum: number;
  development?: boolean;
}): Promise<DeploymentRecord> {
  checkGovernors(governors, quorum);
  const provider = signer.provider;
  if (!provider) throw new Error("the deployer's signer has no provider");
  const consortium = await new Consortium__factory(signer).deploy(
    governors.map((g) => getAddress(g)),
    quorum,
    development,
  );
  await consortium.waitForDeployment();
  const rounds = await new FederatedRounds__factory(signer).deploy(await consortium.getAddress());
  await rounds.waitForDeployment();
  const network = await provider.getNetwork();
  return {
    chainId: network.chainId.toString(),
    consortium: await consortium.getAddress(),
    rounds: await rounds.getAddress(),
    verifyingKeyRegistry: await consortium.verifyingKeys(),
    development: await consortium.development(),
    deployer: await signer.getAddress(),
    blockNumber: await provider.getBlockNumber(),
  };
}

/**
 * The Ignition path needs Hardhat, a development dependency: loaded only for this command, and refused with
 * one line where the development dependencies are not installed (`npm ci --omit=dev`).
 */
function loadIgnition(): Promise<typeof import("../../harness/ignition.js")> {
  return loadDevOnly({
    needs: "hardhat/hre",
    what: "cfl deploy --with ignition runs Hardhat Ignition",
    instead: "deploy with --with ethers",
    load: () => import("../../harness/ignition.js"),
  });
}

const addressList = (value: string): string[] => {
  const list = value
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  for (const a of list) if (!isAddress(a)) throw new InvalidArgumentError(`${String(a)} is not an address`);
  return list;
};

const positive = (value: string): number => {
  if (!/^[1-9]\d*$/.test(value)) throw new InvalidArgumentError("must be a positive integer");
  return Number(value);
};

export function registerDeployCommand(program: Command): void {
  withConfigOption(
    program
      .command("deploy")
      .description(
        "deploy the consortium contracts (Consortium, which creates its verifying-key registry, and FederatedRounds) to the " +
          "configured rpcUrl with the configured key; prints the addresses as JSON. No verifier is deployed: governors " +
          "register verifying keys with `cfl governance propose register-key`",
      ),
  )
    .requiredOption("--governors <addresses>", "comma-separated governor addresses", addressList)
    .requiredOption("--quorum <n>", "approvals a proposal needs", positive)
    .option(
      "--development",
      "a development deployment: task policies may pin development-only verifying keys (whose setup secrets are " +
        "public); never for a production consortium",
      false,
    )
    .addOption(
      new Option(
        "--with <tool>",
        "ignition: the project's Ignition modules, with a resumable journal; ethers: plain factories",
      )
        .choices(["ignition", "ethers"])
        .default("ignition"),
    )
    .option("--deployments <dir>", "where Ignition keeps its deployment journal", "./cfl-deployments")
    .option("--out <file>", "also write the addresses JSON to this file")
    .option("--quiet", "no progress output", false)
    .action(
      async (
        opts: ConfigOption & {
          with: "ignition" | "ethers";
          deployments: string;
          governors: string[];
          quorum: number;
          development: boolean;
          out?: string;
          quiet: boolean;
        },
      ) => {
        const config = configFrom(opts);
        const log = createLogger({ quiet: opts.quiet });
        const ignition = opts.with === "ignition" ? await loadIgnition() : undefined;
        const provider = await connectProvider({ config });
        try {
          const signer = await loadSigner({ config, provider });
          log("deploying", {
            rpcUrl: config.rpcUrl,
            deployer: signer.address,
            development: opts.development,
          });
          checkGovernors(opts.governors, opts.quorum);
          const common = { governors: opts.governors, quorum: opts.quorum, development: opts.development };
          const record = ignition
            ? await ignition.deployWithIgnition({
                ...common,
                rpcUrl: config.rpcUrl,
                privateKey: signer.privateKey,
                deploymentsDir: opts.deployments,
              })
            : await deployConsortium({ ...common, signer });
          const text = JSON.stringify(record, null, 2) + "\n";
          if (opts.out) await writeFile(opts.out, text);
          process.stdout.write(text);
        } finally {
          provider.destroy();
        }
      },
    );
}
