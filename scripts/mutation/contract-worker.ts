/**
 * Runs inside the temporary copy that scripts/mutation/contracts.ts prepares (contracts compiled with every
 * mutant behind its coinbase switch): loads the given contract test files once, runs them unmutated, then
 * once per mutant with that mutant's switch on, and prints one `MUTANT-RESULT {json}` line per run.
 *
 * Every connection the tests open is recorded with a snapshot of its fresh chain; before each run it is
 * reverted to that snapshot, its fixture snapshots are dropped (so fixtures deploy again, under the mutant)
 * and its coinbase is set to the run's switch. The tests run unchanged, with bail: the first failing test kills the mutant.
 *
 * Usage (from the copy's root): node --import tsx scripts/mutation/contract-worker.ts <job.json>
 * job.json: { files: string[], mutants: { id: number, coinbase: string }[], baseline: boolean }
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import Mocha from "mocha";
import { network } from "hardhat";

interface Job {
  files: string[];
  mutants: { id: number; coinbase: string }[];
  baseline: boolean;
  /** Mocha's per-test timeout, ms. */
  timeout: number;
}

/** Hardhat's default coinbase: what an unmutated run sees. */
const NO_MUTANT = "0xc014ba5ec014ba5ec014ba5ec014ba5ec014ba5e";

interface Provider {
  request(args: { method: string; params?: unknown[] }): Promise<unknown>;
}
interface Recorded {
  provider: Provider;
  networkHelpers: { clearSnapshots?: () => void };
  /** evm_snapshot of the chain as it was opened (Hardhat 3's simulated network has no hardhat_reset). */
  genesis?: unknown;
}

const job = JSON.parse(readFileSync(process.argv[2]!, "utf8")) as Job;
const connections: Recorded[] = [];
let coinbase = NO_MUTANT;

// Record every connection the tests open, and give it the current run's coinbase.
const manager = network as unknown as Record<string, unknown>;
for (const method of ["connect", "create"]) {
  const original = manager[method];
  if (typeof original !== "function") continue;
  manager[method] = async (...args: unknown[]) => {
    const connection = await (original as (...a: unknown[]) => Promise<Recorded>).apply(network, args);
    connection.genesis = await connection.provider.request({ method: "evm_snapshot" });
    connections.push(connection);
    await connection.provider.request({ method: "hardhat_setCoinbase", params: [coinbase] });
    return connection;
  };
}

async function prepare(next: string): Promise<void> {
  coinbase = next;
  for (const connection of connections) {
    const { provider } = connection;
    if ((await provider.request({ method: "evm_revert", params: [connection.genesis] })) !== true) {
      throw new Error("evm_revert to the connection's first snapshot failed");
    }
    // evm_revert consumes the snapshot: take it again for the next run.
    connection.genesis = await provider.request({ method: "evm_snapshot" });
    connection.networkHelpers.clearSnapshots?.();
    await provider.request({ method: "hardhat_setCoinbase", params: [coinbase] });
  }
}

class Quiet extends Mocha.reporters.Base {}

const mocha = new Mocha({ reporter: Quiet, timeout: job.timeout });
mocha.cleanReferencesAfterRun(false);
for (const file of job.files) mocha.addFile(resolve(file));
await mocha.loadFilesAsync();

function setBail(suite: Mocha.Suite): void {
  suite.bail(true);
  suite.suites.forEach(setBail);
}
setBail(mocha.suite);

interface RunResult {
  failures: number;
  passes: number;
  failedTest?: string;
  error?: string;
  ms: number;
}

async function run(): Promise<RunResult> {
  const started = Date.now();
  let passes = 0;
  let failedTest: string | undefined;
  let error: string | undefined;
  const failures = await new Promise<number>((done) => {
    const runner = mocha.run(done);
    runner.on("pass", () => passes++);
    runner.on("fail", (test: Mocha.Runnable, err: Error) => {
      failedTest ??= test.fullTitle();
      error ??= String(err?.message ?? err)
        .split("\n")[0]!
        .slice(0, 300);
    });
  });
  return { failures, passes, failedTest, error, ms: Date.now() - started };
}

function report(result: object): void {
  process.stdout.write(`MUTANT-RESULT ${JSON.stringify(result)}\n`);
}

if (job.baseline) {
  await prepare(NO_MUTANT);
  report({ id: "baseline", ...(await run()) });
}
for (const mutant of job.mutants) {
  await prepare(mutant.coinbase);
  report({ id: mutant.id, ...(await run()) });
}
if (job.baseline) {
  // The same tests, unmutated, after all the resets: shows that no run leaked into the next.
  await prepare(NO_MUTANT);
  report({ id: "baseline-after", ...(await run()) });
}
process.exit(0);
