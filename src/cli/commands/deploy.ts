import { Command, InvalidArgumentError, Option } from "commander";
import { writeFile } from "node:fs/promises";
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
    .option("--out <file>", "also write the addresses JSON to this file")
    .option("--quiet", "no progress output", false)
    .action(
      async (
        opts: ConfigOption & {
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
          const record = await deployConsortium({
            signer,
            governors: opts.governors,
            quorum: opts.quorum,
            ...(opts.verifier ? { verifier: opts.verifier } : {}),
          });
          const text = JSON.stringify(record, null, 2) + "\n";
          if (opts.out) await writeFile(opts.out, text);
          process.stdout.write(text);
        } finally {
          provider.destroy();
        }
      },
    );
}
