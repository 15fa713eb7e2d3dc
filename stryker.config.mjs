// Mutation testing of the TypeScript checks (StrykerJS, mocha runner; tsx loads the .ts sources and tests).
// Run with `npm run mutation` (scripts/mutation/typescript.ts runs one Stryker process per area, each with
// its own report in reports/mutation/<area>/); `MUTATION_AREA=sparse npx stryker run` runs one area directly.
// Each area lists the code it mutates and the fast tests that cover it; perTest coverage then runs, for each
// mutant, only the tests that executed it. Slow suites (the ceremony, forgery and zk:check drift tests, the
// e2e roles tests) are left out, and so is the code only they reach: see docs/benchmarks.md.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const compat = fileURLToPath(new URL("scripts/mutation/mocha12-compat.cjs", import.meta.url));
createRequire(import.meta.url)(compat);
// Every process Stryker starts loads the plugin again: pass the shim on through the environment.
if (!process.env.NODE_OPTIONS?.includes(compat)) {
  process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ""} --require ${JSON.stringify(compat)}`.trim();
}

/**
 * `file:start-end` covering one top-level function, for code whose file also holds chain-driving code that
 * only slow tests reach. Found by name, so the range follows the function when the file is edited.
 */
function functionRange(file, name) {
  const lines = readFileSync(new URL(file, import.meta.url), "utf8").split("\n");
  const start = lines.findIndex((line) => new RegExp(`^export (async )?function ${name}\\b`).test(line));
  if (start < 0) throw new Error(`stryker.config.mjs: no function ${name} in ${file}`);
  const end = lines.findIndex((line, i) => i > start && line === "}");
  if (end < 0) throw new Error(`stryker.config.mjs: no end of ${name} in ${file}`);
  return `${file}:${start + 1}-${end + 1}`;
}

export const AREAS = {
  // test/unit/sparse-cli.test.ts is left out: it runs the CLI in child processes, which never see the
  // active mutant, so it only slows the run down.
  sparse: {
    mutate: ["src/sparse/**/*.ts"],
    spec: [
      "test/unit/sparse.test.ts",
      "test/unit/sparse-wire.test.ts",
      "test/unit/sparse-pipeline.test.ts",
      "test/unit/mutants-sparse.test.ts",
    ],
  },
  aggregation: {
    mutate: ["src/aggregation/**/*.ts"],
    spec: [
      "test/unit/aggregation.test.ts",
      "test/unit/aggregation-golden.test.ts",
      "test/unit/mutants-aggregation.test.ts",
    ],
  },
  // Only the checks every reader runs on its own (the verdict on a committed update, the proving-key check);
  // the rest of src/roles drives a chain and is reached by the e2e tests only.
  roles: {
    mutate: [
      functionRange("src/roles/common.ts", "checkCommittedUpdate"),
      functionRange("src/roles/member.ts", "checkProvingKey"),
    ],
    spec: [
      "test/unit/update-check.test.ts",
      "test/unit/proving-key.test.ts",
      "test/unit/mutants-roles.test.ts",
    ],
  },
  // The statement a proof is about (packing, commitment, witness) and the verifying key's words and hash.
  // Left out: ceremony.ts and forge.ts (their tests take minutes per run) and setup/ (circuit compilation
  // and zk:check), except readKeyFile's check of a committed key file. The circuit suites use the cached
  // `test` instance; test/circuits/commitment.test.ts cannot run in Stryker's sandbox (it compiles the demo
  // circuit, and circom's WASI build cannot follow the sandbox's node_modules link).
  zk: {
    mutate: [
      "src/zk/{artifacts,canonical,commitment,errors,field,pack,registered-key,salt,verifying-key,witness}.ts",
      functionRange("src/zk/setup/keyfile.ts", "readKeyFile"),
    ],
    spec: [
      "test/unit/verifying-key.test.ts",
      "test/unit/proving-key.test.ts",
      "test/unit/update-check.test.ts",
      "test/circuits/soundness.test.ts",
      "test/unit/mutants-zk.test.ts",
    ],
  },
  // Proving and verifying (real Groth16 proofs, seconds per test): a run of its own.
  "zk-prove": {
    mutate: ["src/zk/prove.ts"],
    spec: ["test/circuits/proofs.test.ts", "test/unit/mutants-zk.test.ts"],
  },
};

const selected = (process.env.MUTATION_AREA ?? Object.keys(AREAS).join(",")).split(",");
for (const name of selected) {
  if (!(name in AREAS))
    throw new Error(`MUTATION_AREA: unknown area "${name}" (${Object.keys(AREAS).join(", ")})`);
}
const areas = selected.map((name) => AREAS[name]);
const reportDir = `reports/mutation/${selected.length === 1 ? selected[0] : "all"}`;

/** @type {import("@stryker-mutator/api/core").PartialStrykerOptions} */
export default {
  plugins: ["@stryker-mutator/mocha-runner"],
  testRunner: "mocha",
  // The tests import .ts through tsx, as `hardhat test mocha` does.
  testRunnerNodeArgs: ["--import", "tsx"],
  mochaOptions: {
    // A test file that does not exist yet (a mutants-*.test.ts) is simply not there to run.
    spec: [...new Set(areas.flatMap((a) => a.spec))],
  },
  mutate: areas.flatMap((a) => a.mutate),
  coverageAnalysis: "perTest",
  // Mutants in module-level code would need a fresh process each (ESM cannot be reloaded): they are
  // reported as ignored.
  ignoreStatic: true,
  concurrency: 2,
  // Error messages are not checks: their mutants only measure whether a test pins the wording.
  mutator: { excludedMutations: ["StringLiteral"] },
  // Looping mutants are cut off after the test's own time x 1.5 + 8 s (a loaded 2-core machine needs the margin).
  timeoutMS: 8_000,
  reporters: ["clear-text", "progress-append-only", "json", "html"],
  jsonReporter: { fileName: `${reportDir}/mutation.json` },
  htmlReporter: { fileName: `${reportDir}/mutation.html` },
  incrementalFile: `${reportDir}/stryker-incremental.json`,
  tempDirName: ".stryker-tmp",
  cleanTempDir: true,
  ignorePatterns: ["reports", "bench/out", "demo-out", "coverage", ".cfl", "cfl-ipfs", "cfl-deployments"],
};
