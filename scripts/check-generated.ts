/**
 * Drift check of the committed contract bindings (types/ethers-contracts): production code imports them, and
 * `cfl` must run after `npm ci --omit=dev`, where the typechain plugin that writes them (a development
 * dependency) is missing. So they are committed, and never edited by hand.
 *
 *   npm run check:generated   build with the bindings written to a temporary directory and compare them,
 *                             file by file, with the committed ones (the git index); exit 1 with one line
 *                             naming the first file that differs
 *
 * The comparison is with git's index, not the working tree, because any `hardhat build` (also the one
 * `npm test` runs) rewrites the working tree's bindings and would hide a hand edit there. A file that is no
 * longer generated counts as a difference too (typechain never deletes one).
 */
import { execFileSync } from "node:child_process";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { createHardhatRuntimeEnvironment } from "hardhat/hre";
import config from "../hardhat.config.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const BINDINGS = "types/ethers-contracts";
const FIX = `regenerate (rm -rf ${BINDINGS} && npx hardhat build) and commit`;

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)).split(sep).join("/"))
    .sort();
}

/** The committed bindings: path (relative to BINDINGS) → content, from git's index. */
function committedFiles(): Map<string, string> {
  const git = (args: string[]): string =>
    execFileSync("git", args, { cwd: ROOT, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  const files = new Map<string, string>();
  for (const path of git(["ls-files", "-z", "--", BINDINGS]).split("\0").filter(Boolean)) {
    files.set(path.slice(BINDINGS.length + 1), git(["show", `:${path}`]));
  }
  return files;
}

async function regenerate(outDir: string): Promise<Map<string, string>> {
  const hre = await createHardhatRuntimeEnvironment(
    { ...config, typechain: { ...config.typechain, outDir } },
    {},
    ROOT,
  );
  await hre.tasks.getTask("build").run({ quiet: true });
  const files = new Map<string, string>();
  for (const path of await listFiles(outDir)) files.set(path, await readFile(join(outDir, path), "utf8"));
  return files;
}

function drift(generated: Map<string, string>, committed: Map<string, string>): string[] {
  const problems: string[] = [];
  for (const [path, text] of generated) {
    const was = committed.get(path);
    if (was === undefined) problems.push(`${BINDINGS}/${path} is generated but not committed`);
    else if (was !== text) problems.push(`${BINDINGS}/${path} differs from a regeneration`);
  }
  for (const path of committed.keys())
    if (!generated.has(path)) problems.push(`${BINDINGS}/${path} is committed but no longer generated`);
  return problems;
}

async function main(): Promise<number> {
  const outDir = await mkdtemp(join(tmpdir(), "cfl-bindings-"));
  try {
    const problems = drift(await regenerate(outDir), committedFiles());
    if (problems.length > 0) {
      const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : "";
      process.stderr.write(`check-generated: ${problems[0]}${more}: ${FIX}\n`);
      return 1;
    }
    process.stdout.write(`check-generated: ${BINDINGS} matches a regeneration\n`);
    return 0;
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`check-generated: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
