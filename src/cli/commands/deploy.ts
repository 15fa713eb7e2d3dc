import { Command, InvalidArgumentError, Option } from "commander";
import { writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { getAddress, isAddress, type Signer } from "ethers";
import {
  Consortium__factory,
  DemoUpdateVerifier__factory,
  FederatedRounds__factory,
  TestUpdateVerifier__factory,
} from "../../../types/ethers-contracts/index.js";
import { connectProvider, loadSigner } from "../../config/index.js";
import { createLogger } from "../log.js";
import { configFrom, withConfigOption, type ConfigOption } from "./roles-shared.js";

/** What `cfl deploy` prints: the addresses to put into every party's configuration. */
export interface DeploymentRecord {
  chainId: string;
  consortium: string;
  rounds: string;
  verifier?: string;
  deployer: string;
  blockNumber: number;
}

export type VerifierInstance = "test" | "demo";

/**
 * Deploys the consortium's contracts (and optionally one generated Groth16 verifier) with ethers
 * factories. The deployer keeps no privilege: it only names the first governors and their quorum.
 */
export async function deployConsortium({
  signer,
  governors,
  quorum,
  verifier,
}: {
  signer: Signer;
  governors: readonly string[];
  quorum: number;
  verifier?: VerifierInstance;
}): Promise<DeploymentRecord> {
  if (governors.length === 0) throw new Error("--governors needs at least one address");
  for (const g of governors)
    if (!isAddress(g)) throw new Error(`--governors: ${String(g)} is not an address`);
  if (new Set(governors.map((g) => g.toLowerCase())).size !== governors.length)
    throw new Error("--governors lists an address twice");
  if (!Number.isInteger(quorum) || quorum < 1 || quorum > governors.length)
    throw new Error(`--quorum must be from 1 to the number of governors (${governors.length})`);
  const provider = signer.provider;
  if (!provider) throw new Error("the deployer's signer has no provider");
  const consortium = await new Consortium__factory(signer).deploy(
    governors.map((g) => getAddress(g)),
    quorum,
  );
  await consortium.waitForDeployment();
  const rounds = await new FederatedRounds__factory(signer).deploy(await consortium.getAddress());
  await rounds.waitForDeployment();
  let verifierAddress: string | undefined;
  if (verifier) {
    const factory =
      verifier === "test" ? new TestUpdateVerifier__factory(signer) : new DemoUpdateVerifier__factory(signer);
    const deployed = await factory.deploy();
    await deployed.waitForDeployment();
    verifierAddress = await deployed.getAddress();
  }
  const network = await provider.getNetwork();
  return {
    chainId: network.chainId.toString(),
    consortium: await consortium.getAddress(),
    rounds: await rounds.getAddress(),
    ...(verifierAddress ? { verifier: verifierAddress } : {}),
    deployer: await signer.getAddress(),
    blockNumber: await provider.getBlockNumber(),
  };
}

/**
 * Deploys with the project's Ignition modules (ignition/modules), the same ones the demo and the tests
 * use. Ignition keeps a journal in `<deploymentsDir>/deployments/chain-<id>/`: an interrupted deployment
 * resumes from it, and running the command again against the same chain returns the same addresses.
 */
export async function deployWithIgnition({
  rpcUrl,
  privateKey,
  governors,
  quorum,
  verifier,
  deploymentsDir,
}: {
  rpcUrl: string;
  privateKey: string;
  governors: readonly string[];
  quorum: number;
  verifier?: VerifierInstance;
  deploymentsDir: string;
}): Promise<DeploymentRecord> {
  if (governors.length === 0) throw new Error("--governors needs at least one address");
  if (!Number.isInteger(quorum) || quorum < 1 || quorum > governors.length)
    throw new Error(`--quorum must be from 1 to the number of governors (${governors.length})`);
  // Hardhat is loaded only here: it is the heaviest dependency and only deployments need it.
  const { createHardhatRuntimeEnvironment } = await import("hardhat/hre");
  const { default: projectConfig } = await import("../../../hardhat.config.js");
  const { PROJECT_ROOT } = await import("../../chain/local.js");
  const { default: CircularFLModule } = await import("../../../ignition/modules/CircularFL.js");
  const { DemoUpdateVerifierModule, TestUpdateVerifierModule } =
    await import("../../../ignition/modules/UpdateVerifier.js");
  const hre = await createHardhatRuntimeEnvironment(
    {
      ...projectConfig,
      networks: {
        ...projectConfig.networks,
        cfl: { type: "http", chainType: "l1", url: rpcUrl, accounts: [privateKey] },
      },
      paths: { ...projectConfig.paths, ignition: resolve(deploymentsDir) },
    },
    {},
    PROJECT_ROOT,
  );
  await hre.tasks.getTask("build").run({ quiet: true });
  const connection = await hre.network.create("cfl");
  try {
    const deployed = await connection.ignition.deploy(CircularFLModule, {
      parameters: { CircularFL: { governors: governors.map((g) => getAddress(g)), quorum } },
      displayUi: false,
    });
    let verifierAddress: string | undefined;
    if (verifier) {
      const result =
        verifier === "test"
          ? await connection.ignition.deploy(TestUpdateVerifierModule, { displayUi: false })
          : await connection.ignition.deploy(DemoUpdateVerifierModule, { displayUi: false });
      verifierAddress = await result.verifier.getAddress();
    }
    const provider = connection.ethers.provider;
    const [signer] = await connection.ethers.getSigners();
    return {
      chainId: (await provider.getNetwork()).chainId.toString(),
      consortium: await deployed.consortium.getAddress(),
      rounds: await deployed.rounds.getAddress(),
      ...(verifierAddress ? { verifier: verifierAddress } : {}),
      deployer: signer ? await signer.getAddress() : "",
      blockNumber: await provider.getBlockNumber(),
    };
  } finally {
    await connection.close();
  }
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
        "deploy the consortium contracts to the configured rpcUrl with the configured key; prints the addresses as JSON",
      ),
  )
    .requiredOption("--governors <addresses>", "comma-separated governor addresses", addressList)
    .requiredOption("--quorum <n>", "approvals a proposal needs", positive)
    .addOption(
      new Option(
        "--verifier <instance>",
        "also deploy the generated Groth16 verifier of this circuit instance",
      ).choices(["test", "demo"]),
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
          verifier?: VerifierInstance;
          out?: string;
          quiet: boolean;
        },
      ) => {
        const config = configFrom(opts);
        const log = createLogger({ quiet: opts.quiet });
        const provider = await connectProvider({ config });
        try {
          const signer = await loadSigner({ config, provider });
          log("deploying", {
            rpcUrl: config.rpcUrl,
            deployer: signer.address,
            verifier: opts.verifier ?? "none",
          });
          const common = {
            governors: opts.governors,
            quorum: opts.quorum,
            ...(opts.verifier ? { verifier: opts.verifier } : {}),
          };
          const record =
            opts.with === "ignition"
              ? await deployWithIgnition({
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
