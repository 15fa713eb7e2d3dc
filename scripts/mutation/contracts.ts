/**
 * Mutation pass over the contracts' checks (`npm run mutation:contracts`). Every `if (...) revert`, lone
 * `revert`, `require`, proof-verification guard (`if (...) return false`) and membership guard
 * (`if (...) continue`) of the selected contracts gets mutants (scripts/mutation/solidity.ts: the check
 * removed, its condition negated, a relational operator moved by one); the contract tests listed for the
 * contract must fail under each.
 *
 * Everything happens in a temporary copy of the project (node_modules linked), deleted at the end; the
 * work tree is never written. Two modes:
 *
 *   schema (default)  every mutant compiled at once behind a coinbase switch, one compilation; one test
 *                     process per contract loads the tests once and runs them per mutant with bail
 *                     (scripts/mutation/contract-worker.ts). An unmutated run before and after all mutants
 *                     must pass.
 *   file              for each mutant, the mutated contract is written over the copy's file, compiled, and
 *                     `hardhat test mocha --bail` runs the contract's tests; the file is restored after.
 *                     About a minute per mutant: for cross-checking a few (--ids) against schema mode.
 *
 * Options: --only Consortium,FederatedRounds  --operators remove,negate,boundary  --ids 3,17
 *          --sample N (every k-th mutant, N per contract)  --mode schema|file  --list  --out DIR
 *          --tests a.test.ts,b.test.ts (instead of the contract's list)
 * A run with --ids updates those mutants in the last report (a recheck, e.g. with a new test file alone);
 * any other run replaces the report of the contracts it ran.
 * Writes DIR/contracts.json and DIR/summary.md (DIR: reports/mutation/contracts).
 */
import { execFileSync, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { existsSync } from "node:fs";
import { cp, mkdir, mkdtemp, readFile, realpath, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join, relative, resolve } from "node:path";
import { writeSummary } from "./summary.js";
import {
  mutantSource,
  mutantsOf,
  OPERATORS,
  schemaSource,
  switchAddress,
  type Mutant,
  type Operator,
} from "./solidity.js";

const ROOT = resolve(import.meta.dirname, "../..");

/**
 * The tests run against each contract's mutants, quickest killers first (bail stops at the first failure;
 * a surviving mutant runs them all). test/contracts/mutants-*.test.ts hold the tests written for mutants
 * that survived the existing suites.
 */
const CONTRACTS: Record<string, { file: string; tests: string[] }> = {
  Consortium: {
    file: "contracts/Consortium.sol",
    tests: [
      "test/contracts/consortium.test.ts",
      "test/contracts/governance.property.test.ts",
      "test/contracts/rounds.test.ts",
      "test/contracts/mutants-consortium.test.ts",
    ],
  },
  FederatedRounds: {
    file: "contracts/FederatedRounds.sol",
    tests: [
      "test/contracts/rounds.test.ts",
      "test/contracts/rounds.property.test.ts",
      "test/contracts/forgery.test.ts",
      "test/contracts/mutants-rounds.test.ts",
    ],
  },
  VerifyingKeyRegistry: {
    file: "contracts/VerifyingKeyRegistry.sol",
    tests: [
      "test/contracts/verifying-keys.test.ts",
      "test/contracts/consortium.test.ts",
      "test/contracts/forgery.test.ts",
      "test/contracts/mutants-verifying-keys.test.ts",
    ],
  },
  Groth16: {
    file: "contracts/zk/Groth16.sol",
    tests: [
      "test/contracts/verifying-keys.test.ts",
      "test/contracts/forgery.test.ts",
      "test/contracts/mutants-verifying-keys.test.ts",
    ],
  },
};

type Status = "killed" | "survived" | "timeout" | "error" | "compile-error";

interface MutantResult extends Mutant {
  status: Status;
  /** Set when this result comes from a later recheck (--ids): its date and test files. */
  recheck?: string;
  killedBy?: string;
  error?: string;
  ms: number;
}

interface Options {
  only: string[];
  operators: Operator[];
  ids?: Set<number>;
  sample?: number;
  mode: "schema" | "file";
  list: boolean;
  /** Test files instead of the contract's list (a quick recheck of some --ids). */
  tests?: string[];
  out: string;
}

function parseArgs(argv: string[]): Options {
  const options: Options = {
    only: Object.keys(CONTRACTS),
    operators: [...OPERATORS],
    mode: "schema",
    list: false,
    out: join(ROOT, "reports/mutation/contracts"),
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value`);
      return v;
    };
    if (arg === "--only") options.only = value().split(",");
    else if (arg === "--operators") options.operators = value().split(",") as Operator[];
    else if (arg === "--ids") options.ids = new Set(value().split(",").map(Number));
    else if (arg === "--sample") options.sample = Number(value());
    else if (arg === "--mode") options.mode = value() as Options["mode"];
    else if (arg === "--list") options.list = true;
    else if (arg === "--tests") options.tests = value().split(",");
    else if (arg === "--out") options.out = resolve(value());
    else throw new Error(`unknown option ${arg}`);
  }
  for (const name of options.only) {
    if (!(name in CONTRACTS))
      throw new Error(`unknown contract ${name} (${Object.keys(CONTRACTS).join(", ")})`);
  }
  for (const op of options.operators) {
    if (!OPERATORS.includes(op)) throw new Error(`unknown operator ${op} (${OPERATORS.join(", ")})`);
  }
  if (options.mode !== "schema" && options.mode !== "file")
    throw new Error(`unknown mode ${String(options.mode)}`);
  return options;
}

/** Every contract's mutants, numbered across contracts in a fixed order (ids stay stable for --ids). */
async function allMutants(operators: readonly Operator[]): Promise<Map<string, Mutant[]>> {
  const result = new Map<string, Mutant[]>();
  let next = 1;
  for (const [contract, { file }] of Object.entries(CONTRACTS)) {
    const source = await readFile(join(ROOT, file), "utf8");
    const mutants = mutantsOf({ source, contract, file, operators, firstId: next });
    next += mutants.length;
    result.set(contract, mutants);
  }
  return result;
}

function select(mutants: Mutant[], options: Options): Mutant[] {
  let chosen = options.ids ? mutants.filter((m) => options.ids!.has(m.id)) : mutants;
  if (options.sample !== undefined && options.sample < chosen.length) {
    const step = chosen.length / options.sample;
    chosen = Array.from({ length: options.sample }, (_, i) => chosen[Math.floor(i * step)]!);
  }
  return chosen;
}

/** A copy of the project without its build outputs, node_modules linked. */
async function copyProject(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "cfl-contract-mutants-"));
  const skip = new Set([
    "node_modules",
    ".git",
    ".stryker-tmp",
    "reports",
    "artifacts",
    "cache",
    "coverage",
    "demo-out",
    "bench/out",
    "ignition/deployments",
    "types/ethers-contracts",
  ]);
  await cp(ROOT, dir, {
    recursive: true,
    filter: (source) => !skip.has(relative(ROOT, source)),
  });
  await symlink(await realpath(join(ROOT, "node_modules")), join(dir, "node_modules"), "dir");
  return dir;
}

function hardhat(dir: string, args: string[]): { ok: boolean; output: string } {
  const cli = join(ROOT, "node_modules/hardhat/dist/src/cli.js");
  try {
    const output = execFileSync(process.execPath, [cli, ...args], {
      cwd: dir,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, FORCE_COLOR: "0" },
      maxBuffer: 64 << 20,
    });
    return { ok: true, output };
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string };
    return { ok: false, output: `${e.stdout ?? ""}${e.stderr ?? ""}` };
  }
}

function log(line: string): void {
  process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
}

interface WorkerReport {
  id: number | "baseline" | "baseline-after";
  failures: number;
  passes: number;
  failedTest?: string;
  error?: string;
  ms: number;
}

/**
 * Runs the mutants of one contract in worker processes: one worker normally; when a mutant hangs past the
 * limit its worker is killed, the mutant counts as a timeout and a new worker takes the rest.
 */
async function runSchema(
  dir: string,
  tests: string[],
  mutants: Mutant[],
): Promise<{
  results: MutantResult[];
  baselineMs: number;
  baselineTests: number;
}> {
  const results: MutantResult[] = [];
  let remaining = [...mutants];
  let baselineMs = 0;
  let baselineTests = 0;
  let needBaseline = true;
  while (needBaseline || remaining.length > 0) {
    const jobFile = join(dir, `mutation-job-${Date.now()}.json`);
    await writeFile(
      jobFile,
      JSON.stringify({
        files: tests,
        mutants: remaining.map((m) => ({ id: m.id, coinbase: switchAddress(m.id) })),
        baseline: needBaseline,
        timeout: 600_000,
      }),
    );
    const worker = spawn(
      process.execPath,
      ["--import", "tsx", "scripts/mutation/contract-worker.ts", jobFile],
      {
        cwd: dir,
        env: { ...process.env, HH_TEST: "true", NODE_ENV: "test", FORCE_COLOR: "0" },
        stdio: ["ignore", "pipe", "pipe"],
        detached: true,
      },
    );
    let stderr = "";
    worker.stderr.on("data", (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    const limit = () => (baselineMs > 0 ? Math.max(180_000, 3 * baselineMs) : 1_800_000);
    let timer: NodeJS.Timeout | undefined;
    let timedOut = false;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        timedOut = true;
        try {
          process.kill(-worker.pid!, "SIGKILL");
        } catch {
          // Already gone.
        }
      }, limit());
    };
    const exited = new Promise<number | null>((done) => worker.on("exit", (code) => done(code)));
    arm();
    for await (const line of createInterface({ input: worker.stdout })) {
      if (!line.startsWith("MUTANT-RESULT ")) continue;
      arm();
      const report = JSON.parse(line.slice("MUTANT-RESULT ".length)) as WorkerReport;
      if (report.id === "baseline" || report.id === "baseline-after") {
        if (report.failures > 0) {
          throw new Error(
            `the unmutated contracts fail ${report.failedTest} (${report.id}): ${report.error}. ` +
              "Fix the tests (or the reset between runs) before reading any mutant result.",
          );
        }
        if (report.id === "baseline") {
          baselineMs = report.ms;
          baselineTests = report.passes;
          log(`  baseline: ${report.passes} tests pass in ${(report.ms / 1000).toFixed(0)} s`);
        } else log(`  baseline after all mutants: ${report.passes} tests pass`);
        continue;
      }
      const mutant = remaining.find((m) => m.id === report.id)!;
      remaining = remaining.filter((m) => m.id !== report.id);
      const status: Status = report.failures > 0 ? "killed" : "survived";
      results.push({ ...mutant, status, killedBy: report.failedTest, error: report.error, ms: report.ms });
      log(
        `  #${mutant.id} ${status.padEnd(8)} ${mutant.contract}:${mutant.line} ${mutant.operator} ${mutant.description}`,
      );
    }
    clearTimeout(timer);
    const code = await exited;
    needBaseline = false;
    if (remaining.length === 0) break;
    // The worker stopped before the end: the mutant it was on hung or crashed it.
    const mutant = remaining.shift()!;
    const status: Status = timedOut ? "timeout" : "error";
    results.push({
      ...mutant,
      status,
      error: timedOut ? `no result within ${limit() / 1000} s` : stderr.slice(-500),
      ms: 0,
    });
    log(`  #${mutant.id} ${status} (worker exit ${code}) ${mutant.contract}:${mutant.line}`);
    if (!timedOut && baselineMs === 0)
      throw new Error(`the test worker failed before the baseline:\n${stderr}`);
  }
  return { results, baselineMs, baselineTests };
}

async function runFile(dir: string, tests: string[], mutants: Mutant[]): Promise<MutantResult[]> {
  const results: MutantResult[] = [];
  for (const mutant of mutants) {
    const path = join(dir, mutant.file);
    const original = await readFile(path, "utf8");
    const started = Date.now();
    try {
      await writeFile(path, mutantSource(original, mutant));
      const build = hardhat(dir, ["build", "--quiet"]);
      if (!build.ok) {
        results.push({
          ...mutant,
          status: "compile-error",
          error: build.output.slice(-500),
          ms: Date.now() - started,
        });
      } else {
        const test = hardhat(dir, ["test", "mocha", "--no-compile", "--bail", ...tests]);
        const failing = /^\s*1\) (.*)$/m.exec(test.output)?.[1];
        results.push({
          ...mutant,
          status: test.ok ? "survived" : "killed",
          killedBy: failing,
          ms: Date.now() - started,
        });
      }
    } finally {
      await writeFile(path, original);
    }
    const r = results.at(-1)!;
    log(
      `  #${mutant.id} ${r.status.padEnd(8)} ${mutant.contract}:${mutant.line} ${mutant.operator} ${mutant.description}`,
    );
  }
  return results;
}

function percent(n: number, d: number): string {
  return d === 0 ? "-" : `${((100 * n) / d).toFixed(1)} %`;
}

function summarize(report: Report): string {
  const lines = [
    "| contract | tests run | mutants | killed | survived | timeout | error | score | run time | run |",
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
  ];
  for (const [name, c] of Object.entries(report.contracts)) {
    const count = (s: Status) => c.mutants.filter((m) => m.status === s).length;
    const detected = count("killed") + count("timeout") + count("error");
    const valid = c.mutants.length - count("compile-error");
    const partial = c.selection ? `, ${c.selection}` : "";
    lines.push(
      `| ${name} | ${c.tests.map((t) => basename(t, ".test.ts")).join(", ")} | ${c.mutants.length} | ${count("killed")} | ${count("survived")} | ${count("timeout")} | ${count("error")} | ${percent(detected, valid)} | ${(c.durationMs / 60_000).toFixed(1)} min | ${c.date}, \`${c.commit.slice(0, 10)}\`, ${c.mode} mode, ${c.operators.join("/")}${partial} |`,
    );
  }
  const survivors = Object.values(report.contracts).flatMap((c) =>
    c.mutants.filter((m) => m.status === "survived"),
  );
  lines.push("", survivors.length === 0 ? "No mutant survived." : "Surviving mutants:", "");
  for (const m of survivors) {
    lines.push(
      `- #${m.id} ${m.contract}:${m.line} (${m.scope}) ${m.operator}: ${m.description} — \`${m.statement.slice(0, 140)}\``,
    );
  }
  const rechecked = Object.values(report.contracts).flatMap((c) =>
    c.mutants.filter((m) => m.recheck !== undefined && m.status !== "survived"),
  );
  if (rechecked.length > 0)
    lines.push("", "Survived the first run, killed on a recheck (--ids) by the tests written for them:", "");
  for (const m of rechecked) {
    lines.push(
      `- #${m.id} ${m.contract}:${m.line} (${m.scope}) ${m.operator}: ${m.description} — ${m.status} (${m.recheck}) by ${m.killedBy ?? "?"}`,
    );
  }
  return lines.join("\n") + "\n";
}

interface ContractRun {
  file: string;
  tests: string[];
  date: string;
  commit: string;
  mode: Options["mode"];
  operators: Operator[];
  /** Set when only some mutants ran (--ids, --sample). */
  selection?: string;
  baselineMs?: number;
  durationMs: number;
  mutants: MutantResult[];
}

/** contracts.json: the last run of each contract (a run with --only replaces only its contracts). */
interface Report {
  contracts: Record<string, ContractRun>;
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const every = await allMutants(options.operators);
  const plan = options.only.map((name) => {
    const tests = (options.tests ?? CONTRACTS[name]!.tests).filter((t) => existsSync(join(ROOT, t)));
    return { name, tests, mutants: select(every.get(name)!, options) };
  });
  if (options.list) {
    for (const { name, mutants } of plan) {
      for (const m of mutants)
        console.log(
          `#${m.id} ${name}:${m.line} ${m.scope} ${m.operator}: ${m.description} | ${m.statement.slice(0, 100)}`,
        );
    }
    return;
  }
  const started = Date.now();
  let commit = "unknown";
  try {
    commit = execFileSync("git", ["rev-parse", "HEAD"], { cwd: ROOT, encoding: "utf8" }).trim();
  } catch {
    // Not a git checkout.
  }
  const date = new Date().toISOString().slice(0, 10);
  const selection = options.ids
    ? `ids ${[...options.ids].join(",")}`
    : options.sample
      ? `sample of ${options.sample}`
      : undefined;
  const runs: Record<string, ContractRun> = {};
  const dir = await copyProject();
  log(`copy of the project: ${dir}`);
  try {
    if (options.mode === "schema") {
      // Mutated contracts grow past nothing observable but their size: lift EIP-170's limit in the copy.
      const configPath = join(dir, "hardhat.config.ts");
      const config = await readFile(configPath, "utf8");
      if (!config.includes("export default config;"))
        throw new Error("hardhat.config.ts: no `export default config;`");
      await writeFile(
        configPath,
        config.replace(
          "export default config;",
          'config.networks = { ...config.networks, default: { type: "edr-simulated", allowUnlimitedContractSize: true } };\nexport default config;',
        ),
      );
      for (const { name, mutants } of plan) {
        const file = join(dir, CONTRACTS[name]!.file);
        await writeFile(file, schemaSource(await readFile(file, "utf8"), mutants));
      }
    }
    log("compiling");
    const build = hardhat(dir, ["build", "--quiet"]);
    if (!build.ok)
      throw new Error(
        `the ${options.mode === "schema" ? "mutant schema" : "copy"} does not compile:\n${build.output}`,
      );
    const meta = (name: string, tests: string[]) => ({
      file: CONTRACTS[name]!.file,
      tests,
      date,
      commit,
      mode: options.mode,
      operators: options.operators,
      ...(selection ? { selection } : {}),
    });
    for (const { name, tests, mutants } of plan) {
      const contractStarted = Date.now();
      log(`${name}: ${mutants.length} mutants, tests ${tests.join(" ")}`);
      if (options.mode === "schema") {
        const { results, baselineMs } = await runSchema(dir, tests, mutants);
        runs[name] = {
          ...meta(name, tests),
          baselineMs,
          durationMs: Date.now() - contractStarted,
          mutants: results.sort((a, b) => a.id - b.id),
        };
      } else {
        const results = await runFile(dir, tests, mutants);
        runs[name] = { ...meta(name, tests), durationMs: Date.now() - contractStarted, mutants: results };
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  log(`done in ${((Date.now() - started) / 60_000).toFixed(1)} min`);
  await mkdir(options.out, { recursive: true });
  const path = join(options.out, "contracts.json");
  const previous = existsSync(path)
    ? (JSON.parse(await readFile(path, "utf8")) as Report)
    : { contracts: {} };
  const report: Report = { contracts: { ...previous.contracts } };
  for (const [name, run] of Object.entries(runs)) {
    const before = report.contracts[name];
    if (!options.ids || !before) {
      report.contracts[name] = run;
      continue;
    }
    // A recheck of some mutants: their results replace the earlier ones, the rest of the run stands.
    const byId = new Map(before.mutants.map((m) => [m.id, m]));
    for (const m of run.mutants) {
      if (byId.get(m.id)?.statement !== m.statement) {
        throw new Error(
          `#${m.id} is not the mutant of the last full run (the contract changed): run it in full`,
        );
      }
      byId.set(m.id, {
        ...m,
        recheck: `${date}, ${run.tests.map((t) => basename(t, ".test.ts")).join(", ")}`,
      });
    }
    report.contracts[name] = { ...before, mutants: [...byId.values()].sort((a, b) => a.id - b.id) };
  }
  // Keep the contracts in a fixed order.
  report.contracts = Object.fromEntries(
    Object.keys(CONTRACTS).flatMap((name) =>
      report.contracts[name] ? [[name, report.contracts[name]]] : [],
    ),
  );
  await writeFile(path, JSON.stringify(report, null, 2) + "\n");
  const summary = summarize(report);
  await writeFile(join(options.out, "summary.md"), summary);
  if (options.out === join(ROOT, "reports/mutation/contracts")) await writeSummary();
  process.stdout.write(summary);
}

await main();
