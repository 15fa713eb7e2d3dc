#!/usr/bin/env node
// Entry point for the `cfl` command. It runs the TypeScript CLI through tsx, so no build step stands
// between a checkout and a working command; the contracts' ABIs and types are compiled on first use.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { register } from "tsx/esm/api";

const root = fileURLToPath(new URL("..", import.meta.url));
if (!existsSync(`${root}types/ethers-contracts/index.ts`)) {
  process.stderr.write("• compiling the contracts (first run only)\n");
  const build = spawnSync(
    process.execPath,
    [`${root}node_modules/hardhat/dist/src/cli.js`, "build", "--quiet"],
    {
      cwd: root,
      stdio: ["ignore", "ignore", "inherit"],
    },
  );
  if (build.status !== 0) {
    process.stderr.write("error: compiling the contracts failed (run `npx hardhat build` to see why)\n");
    process.exit(2);
  }
}
register();
await import("../src/cli/index.ts");
