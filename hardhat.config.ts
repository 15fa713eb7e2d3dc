import { createRequire } from "node:module";
import type { HardhatUserConfig } from "hardhat/config";
import hardhatEthers from "@nomicfoundation/hardhat-ethers";
import hardhatEthersChaiMatchers from "@nomicfoundation/hardhat-ethers-chai-matchers";
import hardhatIgnitionEthers from "@nomicfoundation/hardhat-ignition-ethers";
import hardhatMocha from "@nomicfoundation/hardhat-mocha";
import hardhatNetworkHelpers from "@nomicfoundation/hardhat-network-helpers";
import hardhatTypechain from "@nomicfoundation/hardhat-typechain";

// Compilers cannot be downloaded on the consortium's build machines: compile with the
// solc-js build pinned in package.json.
const require = createRequire(import.meta.url);
const soljson = require.resolve("solc/soljson.js");

const config: HardhatUserConfig = {
  plugins: [
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
  test: {
    mocha: { timeout: 600_000 },
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
