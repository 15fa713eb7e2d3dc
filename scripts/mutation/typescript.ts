/**
 * `npm run mutation`: StrykerJS over the TypeScript checks, one Stryker process per area of
 * stryker.config.mjs (sparse, aggregation, roles, zk), each writing reports/mutation/<area>/mutation.json
 * (and .html); then reports/mutation/summary.md from every report present (scripts/mutation/summary.ts).
 *
 *   npm run mutation                          every area
 *   npm run mutation -- --area roles,zk       some areas
 *   npm run mutation -- --incremental         only mutants whose code or tests changed since the last run
 *                                             (any other argument goes to `stryker run` as it is)
 */
import { spawn } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { writeSummary } from "./summary.js";

const ROOT = resolve(import.meta.dirname, "../..");
const ALL_AREAS = ["sparse", "aggregation", "roles", "zk", "zk-prove"];

function parseArgs(argv: string[]): { areas: string[]; passThrough: string[] } {
  let areas = ALL_AREAS;
  const passThrough: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--area") areas = (argv[++i] ?? "").split(",");
    else passThrough.push(argv[i]!);
  }
  for (const area of areas)
    if (!ALL_AREAS.includes(area)) throw new Error(`unknown area ${area} (${ALL_AREAS.join(", ")})`);
  return { areas, passThrough };
}

async function runArea(area: string, passThrough: string[]): Promise<number> {
  const stryker = join(ROOT, "node_modules/@stryker-mutator/core/bin/stryker.js");
  const started = Date.now();
  const code = await new Promise<number | null>((done) => {
    const child = spawn(process.execPath, [stryker, "run", "stryker.config.mjs", ...passThrough], {
      cwd: ROOT,
      env: { ...process.env, MUTATION_AREA: area },
      stdio: "inherit",
    });
    child.on("exit", done);
  });
  const seconds = Math.round((Date.now() - started) / 1000);
  const dir = join(ROOT, "reports/mutation", area);
  await mkdir(dir, { recursive: true });
  await writeFile(
    join(dir, "run.json"),
    JSON.stringify({ area, seconds, exitCode: code, finishedAt: new Date().toISOString() }) + "\n",
  );
  return code ?? 1;
}

const { areas, passThrough } = parseArgs(process.argv.slice(2));
let failed = 0;
for (const area of areas) {
  process.stderr.write(`\n== mutation: ${area}\n`);
  if ((await runArea(area, passThrough)) !== 0) failed++;
}
process.stdout.write(await writeSummary());
process.exitCode = failed > 0 ? 1 : 0;
