/**
 * `cfl deploy`'s default path: the project's Ignition modules (ignition/modules), the same ones the demo and
 * the tests use, against any JSON-RPC endpoint. It needs Hardhat (a development dependency), so it lives in
 * the dev-only harness and the CLI loads it only when asked to deploy this way.
 */
import { resolve } from "node:path";
import { getAddress } from "ethers";
import { Consortium__factory } from "../../types/ethers-contracts/index.js";

/** What `cfl deploy` prints: the addresses to put into every party's configuration. */
export interface DeploymentRecord {
  chainId: string;
  consortium: string;
  rounds: string;
  /** The consortium's verifying-key registry (created by the consortium; keys enter it by proposal). */
  verifyingKeyRegistry: string;
  /** Whether task policies may pin development-only keys (never for a production consortium). */
  development: boolean;
  deployer: string;
  blockNumber: number;
}

/**
 * Deploys with the project's Ignition modules. Ignition keeps a journal in
 * `<deploymentsDir>/deployments/chain-<id>/`: an interrupted deployment resumes from it, and running the
 * command again against the same chain (with the same parameters) returns the same addresses.
 */
export async function deployWithIgnition({
  rpcUrl,
  privateKey,
  governors,
  quorum,
  development = false,
  deploymentsDir,
}: {
  rpcUrl: string;
  privateKey: string;
  governors: readonly string[];
  quorum: number;
  development?: boolean;
  deploymentsDir: string;
}): Promise<DeploymentRecord> {
  // Hardhat is loaded only here: it is the heaviest dependency and only deployments need it.
  const { createHardhatRuntimeEnvironment } = await import("hardhat/hre");
  const { default: projectConfig } = await import("../../hardhat.config.js");
  const { PROJECT_ROOT } = await import("./chain.js");
  const { default: CircularFLModule } = await import("../../ignition/modules/CircularFL.js");
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
      parameters: {
        CircularFL: { governors: governors.map((g) => getAddress(g)), quorum, development },
      },
      displayUi: false,
    });
    const provider = connection.ethers.provider;
    const [signer] = await connection.ethers.getSigners();
    const consortium = Consortium__factory.connect(await deployed.consortium.getAddress(), provider);
    return {
      chainId: (await provider.getNetwork()).chainId.toString(),
      consortium: await consortium.getAddress(),
      rounds: await deployed.rounds.getAddress(),
      verifyingKeyRegistry: await consortium.verifyingKeys(),
      development: await consortium.development(),
      deployer: signer ? await signer.getAddress() : "",
      blockNumber: await provider.getBlockNumber(),
    };
  } finally {
    await connection.close();
  }
}
