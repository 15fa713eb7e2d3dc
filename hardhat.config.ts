import { createRequire } from "node:module";
import { join } from "node:path";
import type { HardhatUserConfig } from "hardhat/config";
import type { HardhatPlugin } from "hardhat/types/plugins";
import hardhatEthers from "@nomicfoundation/hardhat-ethers";
import hardhatEthersChaiMatchers from "@nomicfoundation/hardhat-ethers-chai-matchers";
import hardhatIgnitionEthers from "@nomicfoundation/hardhat-ignition-ethers";
import hardhatMocha from "@nomicfoundation/hardhat-mocha";
import hardhatNetworkHelpers from "@nomicfoundation/hardhat-network-helpers";
import hardhatTypechain from "@nomicfoundation/hardhat-typechain";
import { nodeWarningHooks } from "./test/support/node-warnings.js";

// Compilers cannot be downloaded on the consortium's build machines: compile with the
// solc-js build pinned in package.json.
const require = createRequire(import.meta.url);
const soljson = require.resolve("solc/soljson.js");

/**
 * The contract bindings (types/ethers-contracts) are committed, so they must not depend on the machine.
 * Hardhat hands the typechain plugin the artifacts in directory-listing order, which differs between file
 * systems and changes the order of index.ts and hardhat.d.ts; this hook runs first and sorts the list.
 */
const sortedArtifacts: HardhatPlugin = {
  id: "cfl-sorted-artifacts",
  hookHandlers: {
    solidity: () =>
      Promise.resolve({
        default: () =>
          Promise.resolve({
            processArtifactsAfterSuccessfulBuild: (_context, artifactPaths) => {
              // Sorted in place: the sequential handlers that follow (typechain's) receive this array.
              (artifactPaths as string[]).sort();
              return Promise.resolve();
            },
          }),
      }),
  },
};

const config: HardhatUserConfig = {
  plugins: [
    sortedArtifacts,
    hardhatEthers,
    hardhatEthersChaiMatchers,
    hardhatIgnitionEthers,
    hardhatMocha,
    hardhatNetworkHelpers,
    hardhatTypechain,
  ],
  solidity: {
    version: "0.8.28",
    path: soljson,
    settings: {
      optimizer: { enabled: true, runs: 200 },
      evmVersion: "cancun",
    },
  },
  paths: {
    tests: { mocha: "test" },
  },
  // Explicit, so that `hardhat clean` removes only the bindings (its default would delete all of types/).
  typechain: { outDir: join(import.meta.dirname, "types", "ethers-contracts") },
  test: {
    // rootHooks: the run fails on any Node warning (test/support/node-warnings.ts).
    mocha: { timeout: 600_000, rootHooks: nodeWarningHooks },
  },
  networks: {
    localhost: {
      type: "http",
      chainType: "l1",
      url: process.env.CFL_RPC_URL ?? "http://127.0.0.1:8545",
    },
  },
};

export default config;
