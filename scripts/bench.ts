/**
 * `npm run bench`: runs every section in scripts/bench/*.ts (each exports `run()`), each in its own child
 * process so that one section's chain, worker threads and heap do not distort the next one's figures,
 * and writes bench/results.json: machine information plus each section's result (or its error).
 *
 *   npm run bench                      every section
 *   npm run bench -- --only gas,rounds  just these; the other sections keep their previous results
 *   npm run bench -- --list             section names
 *   npm run bench -- --doc              only regenerate docs/benchmarks.md's tables and the README's
 *                                      benchmark block from bench/results.json
 * After a run, the generated blocks of docs/benchmarks.md and the README's block between
 * <!-- BENCHMARKS:START --> and <!-- BENCHMARKS:END --> are refreshed from the results.
 */
import { execFileSync, spawn } from "node:child_process";
import { mkdir, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { cpus, freemem, platform, release, totalmem } from "node:os";
import { basename, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const SECTIONS_DIR = join(ROOT, "scripts", "bench");
const OTHER_DOCS = [join(ROOT, "docs", "own-data.md")];
const RESULTS = join(ROOT, "bench", "results.json");
const SCRATCH = join(ROOT, "bench", "out");
const DOC = join(ROOT, "docs", "benchmarks.md");
const README = join(ROOT, "README.md");

/**
 * Rewrites the generated tables of docs/benchmarks.md and the README's benchmark block (machine line and
 * headline table, formatted with the repository's prettier settings) from the results file.
 */
async function refreshDoc(): Promise<void> {
  const { fillDocBlocks, fillReadmeBlock, renderDocBlocks, renderReadmeBlock } =
    await import("./bench/_report.js");
  const results = JSON.parse(await readFile(RESULTS, "utf8")) as Record<string, unknown>;
  let doc: string | undefined;
  try {
    doc = await readFile(DOC, "utf8");
  } catch {
    // No document: only the README block is refreshed.
  }
  if (doc !== undefined) {
    await writeFile(DOC, fillDocBlocks(doc, renderDocBlocks(results)));
    process.stdout.write(`[bench] refreshed ${DOC}\n`);
  }
  // Other documents that show a generated block (docs/own-data.md shows the own-data comparison).
  for (const other of OTHER_DOCS) {
    const text = await readFile(other, "utf8");
    const filled = fillDocBlocks(text, renderDocBlocks(results));
    if (filled !== text) {
      await writeFile(other, filled);
      process.stdout.write(`[bench] refreshed ${other}\n`);
    }
  }
  let readme: string;
  try {
    readme = await readFile(README, "utf8");
  } catch {
    return;
  }
  const prettier = await import("prettier");
  const options = (await prettier.resolveConfig(README)) ?? {};
  const block = await prettier.format(renderReadmeBlock(results), { ...options, parser: "markdown" });
  const updated = fillReadmeBlock(readme, block);
  if (updated !== readme) {
    await writeFile(README, updated);
    process.stdout.write(`[bench] refreshed the benchmark block of ${README}\n`);
  }
}

/** Sections that exist, in a fixed order (cheap ones first); files starting with "_" are helpers. */
async function listSections(): Promise<string[]> {
  const preferred = ["sparse", "aggregation", "zk", "learning", "gas", "rounds", "attacks"];
  const found = (await readdir(SECTIONS_DIR))
    .filter((f) => f.endsWith(".ts") && !f.startsWith("_"))
    .map((f) => basename(f, ".ts"));
  const rank = (s: string): number => (preferred.includes(s) ? preferred.indexOf(s) : preferred.length);
  return found.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

function machine(): Record<string, unknown> {
  const cpu = cpus();
  let commit = "unknown";
  try {
    commit = execFileSync("git", ["rev-parse", "HEAD"], { cwd: ROOT, encoding: "utf8" }).trim();
  } catch {
    // Not a git checkout: the figures still stand, without a commit to pin them to.
  }
  return {
    cpuModel: cpu[0]?.model ?? "unknown",
    cores: cpu.length,
    totalMemoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    freeMemoryGiBAtStart: Math.round((freemem() / 2 ** 30) * 10) / 10,
    platform: `${platform()} ${release()}`,
    node: process.version,
    commit,
  };
}

/** Child mode: import one section, run it, write its JSON to `out`. */
async function runSectionInProcess(name: string, out: string): Promise<void> {
  const mod = (await import(pathToFileURL(join(SECTIONS_DIR, `${name}.ts`)).href)) as {
    run?: () => Promise<Record<string, unknown>>;
  };
  if (typeof mod.run !== "function") throw new Error(`scripts/bench/${name}.ts does not export run()`);
  const result = await mod.run();
  await writeFile(
    out,
    JSON.stringify(result, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v)),
  );
}

interface SectionOutcome {
  seconds: number;
  result?: Record<string, unknown>;
  error?: string;
}

function runSectionChild(name: string, out: string): Promise<SectionOutcome> {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [...process.execArgv, fileURLToPath(import.meta.url), "--section", name, "--out", out],
      {
        cwd: ROOT,
        stdio: ["ignore", "inherit", "pipe"],
      },
    );
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
      process.stderr.write(chunk);
    });
    child.on("close", (code) => {
      const seconds = Math.round((performance.now() - started) / 100) / 10;
      if (code !== 0) {
        resolve({ seconds, error: `exit ${code}: ${stderr.trim().split("\n").slice(-5).join(" | ")}` });
        return;
      }
      readFile(out, "utf8").then(
        (text) => resolve({ seconds, result: JSON.parse(text) as Record<string, unknown> }),
        (err: unknown) =>
          resolve({ seconds, error: `no result: ${err instanceof Error ? err.message : String(err)}` }),
      );
    });
  });
}

async function main(argv: string[]): Promise<number> {
  const flag = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const section = flag("--section");
  if (section !== undefined) {
    const out = flag("--out");
    if (out === undefined) throw new Error("--section needs --out <file>");
    await runSectionInProcess(section, out);
    return 0;
  }
  if (argv.includes("--doc")) {
    await refreshDoc();
    return 0;
  }
  const sections = await listSections();
  if (argv.includes("--list")) {
    process.stdout.write(`${sections.join("\n")}\n`);
    return 0;
  }
  const only = flag("--only")
    ?.split(",")
    .map((s) => s.trim());
  const unknown = (only ?? []).filter((s) => !sections.includes(s));
  if (unknown.length > 0)
    throw new Error(`unknown section(s) ${unknown.join(", ")}; sections: ${sections.join(", ")}`);
  const selected = only ?? sections;

  let previous: { sections?: Record<string, SectionOutcome & { ranAt?: string }> } = {};
  if (only !== undefined) {
    try {
      previous = JSON.parse(await readFile(RESULTS, "utf8")) as typeof previous;
    } catch {
      // No earlier results: the report holds just the sections run now.
    }
  }
  await mkdir(SCRATCH, { recursive: true });
  const results: Record<string, SectionOutcome & { ranAt?: string }> = { ...(previous.sections ?? {}) };
  const started = performance.now();
  let failed = 0;
  for (const [i, name] of selected.entries()) {
    process.stdout.write(`[bench ${i + 1}/${selected.length}] ${name} ...\n`);
    const out = join(SCRATCH, `${name}.json`);
    await rm(out, { force: true });
    const outcome = await runSectionChild(name, out);
    results[name] = { ...outcome, ranAt: new Date().toISOString() };
    if (outcome.error !== undefined) failed++;
    process.stdout.write(
      `[bench ${i + 1}/${selected.length}] ${name} ${outcome.error === undefined ? "done" : "FAILED"} in ${outcome.seconds} s\n`,
    );
  }
  const ordered: Record<string, unknown> = {};
  for (const name of [...sections, ...Object.keys(results).filter((s) => !sections.includes(s))]) {
    if (results[name] !== undefined) ordered[name] = results[name];
  }
  const report = {
    product: "circular-fl",
    generatedAt: new Date().toISOString(),
    machine: machine(),
    lastRun: { sections: selected, seconds: Math.round((performance.now() - started) / 1000) },
    sections: ordered,
  };
  await mkdir(join(ROOT, "bench"), { recursive: true });
  await writeFile(RESULTS, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`[bench] wrote ${RESULTS} (${failed} section(s) failed)\n`);
  await refreshDoc();
  return failed === 0 ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  },
);
