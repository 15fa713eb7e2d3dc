import { fileURLToPath } from "node:url";
import { createHardhatRuntimeEnvironment } from "hardhat/hre";
import type { NetworkConnection } from "hardhat/types/network";
import config from "../../hardhat.config.js";

/** The repository root: Hardhat's project root for builds, artifacts and Ignition modules. */
export const PROJECT_ROOT = fileURLToPath(new URL("../..", import.meta.url));

/**
 * Starts Hardhat's simulated chain inside this process (the demo's embedded default), compiling the
 * contracts first when they are not built yet. Returns the connection with hardhat-ethers and Ignition.
 */
export async function startInProcessChain(): Promise<NetworkConnection<"generic">> {
  const hre = await createHardhatRuntimeEnvironment(config, {}, PROJECT_ROOT);
  await hre.tasks.getTask("build").run({ quiet: true });
  return hre.network.create();
}
