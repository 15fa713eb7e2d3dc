import { availableParallelism } from "node:os";
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import { ZkWitnessError } from "./errors.js";
import type { CircuitArtifacts, Groth16Proof, PublicSignals, UpdateWitnessInput } from "./types.js";

/**
 * The worker's whole program, plain CommonJS evaluated by Node (no TypeScript loader needed in the thread,
 * whatever ran the parent: tsx, Hardhat's test runner or a bundler). Each worker proves one chunk at a time
 * single-threaded: N workers on N cores instead of N workers each starting a thread per core. A worker reads
 * the proving key and compiles the witness program once and keeps both for every chunk it proves (snarkjs's
 * fullProve would read the 10 MB key from disk and compile the WebAssembly again for each chunk), and builds
 * its single-threaded BN254 engine once: snarkjs builds a new one for every singleThread proof (0.1-0.2 s of
 * each chunk's 1-1.5 s), but takes the one ffjavascript keeps in globalThis.curve_bn128 when not asked for a
 * single thread. The worker puts its own single-threaded engine there (after loading snarkjs, whose
 * ffjavascript clears the slot when it loads), so snarkjs reuses it and starts no thread pool. Were a future
 * ffjavascript to ignore the slot, snarkjs would build its multi-threaded engine instead: slower on a busy
 * machine, the proofs the same.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const { readFileSync } = require("node:fs");
const snarkjs = require(workerData.snarkjs);
const { buildBn128 } = require(workerData.ffjavascript);
const { WitnessCalculatorBuilder } = require(workerData.circomRuntime);
let engine;
function singleThreadedEngine() {
  engine ??= buildBn128(true).then((curve) => {
    globalThis.curve_bn128 = curve;
    return curve;
  });
  return engine;
}
const loaded = new Map();
async function circuit(wasmPath, zkeyPath) {
  const key = wasmPath + "\\0" + zkeyPath;
  if (!loaded.has(key)) {
    loaded.set(key, (async () => ({
      witness: await WitnessCalculatorBuilder(readFileSync(wasmPath)),
      zkey: { type: "mem", data: new Uint8Array(readFileSync(zkeyPath)) },
    }))());
  }
  return loaded.get(key);
}
parentPort.on("message", async ({ id, input, wasmPath, zkeyPath }) => {
  try {
    const [{ witness, zkey }] = await Promise.all([circuit(wasmPath, zkeyPath), singleThreadedEngine()]);
    const wtns = { type: "mem", data: await witness.calculateWTNSBin(input, true) };
    const r = await snarkjs.groth16.prove(zkey, wtns, undefined, { singleThread: false });
    parentPort.postMessage({ id, ok: true, proof: r.proof, publicSignals: r.publicSignals });
  } catch (error) {
    parentPort.postMessage({ id, ok: false, message: error instanceof Error ? error.message : String(error) });
  }
});
`;

type WorkerReply =
  | { id: number; ok: true; proof: Groth16Proof; publicSignals: PublicSignals }
  | { id: number; ok: false; message: string };

/** Threads a member proves chunks on: one per core, never more than there are chunks. */
export function provingThreads(chunks: number): number {
  return Math.max(1, Math.min(chunks, availableParallelism()));
}

/**
 * Proves every input on a pool of worker threads and returns the results in input order. The event loop
 * stays free while they run (witness generation and the multi-exponentiations happen in the threads). A
 * chunk whose witness fails rejects the whole call with ZkWitnessError; a thread that dies (out of memory,
 * killed) rejects it too, naming the chunk, and every thread is stopped before the promise settles.
 */
export async function proveInWorkers({
  inputs,
  artifacts,
  threads = provingThreads(inputs.length),
}: {
  inputs: readonly UpdateWitnessInput[];
  artifacts: Pick<CircuitArtifacts, "wasmPath" | "zkeyPath">;
  threads?: number;
}): Promise<{ proof: Groth16Proof; publicSignals: PublicSignals }[]> {
  if (inputs.length === 0) return [];
  const snarkjsPath = createRequire(import.meta.url).resolve("snarkjs");
  // circom_runtime is snarkjs's own witness runtime: resolved from snarkjs so both are the versions it ships.
  const circomRuntimePath = createRequire(snarkjsPath).resolve("circom_runtime");
  const ffjavascriptPath = createRequire(snarkjsPath).resolve("ffjavascript");
  const results = new Array<{ proof: Groth16Proof; publicSignals: PublicSignals }>(inputs.length);
  const workers: Worker[] = [];
  let nextChunk = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      let done = 0;
      let failed = false;
      const fail = (error: Error): void => {
        if (failed) return;
        failed = true;
        reject(error);
      };
      const feed = (worker: Worker): void => {
        if (failed || nextChunk >= inputs.length) return;
        const id = nextChunk++;
        worker.postMessage({
          id,
          input: inputs[id],
          wasmPath: artifacts.wasmPath,
          zkeyPath: artifacts.zkeyPath,
        });
      };
      for (let t = 0; t < Math.max(1, Math.min(threads, inputs.length)); t++) {
        // `mod` is for the web-worker package that ffjavascript loads: outside the main thread it takes the
        // thread for one of its own and runs workerData.mod, here an empty data: URL (nothing to run).
        const worker = new Worker(WORKER_SOURCE, {
          eval: true,
          workerData: {
            snarkjs: snarkjsPath,
            ffjavascript: ffjavascriptPath,
            circomRuntime: circomRuntimePath,
            mod: "data:,",
          },
        });
        workers.push(worker);
        let current = -1;
        worker.on("message", (reply: WorkerReply) => {
          current = -1;
          if (!reply.ok) {
            fail(
              new ZkWitnessError(
                `witness generation failed for chunk ${reply.id + 1} of ${inputs.length} (the input breaks a circuit constraint): ${reply.message}`,
              ),
            );
            return;
          }
          results[reply.id] = { proof: reply.proof, publicSignals: reply.publicSignals };
          done += 1;
          if (done === inputs.length) resolve();
          else {
            current = nextChunk;
            feed(worker);
          }
        });
        worker.on("error", (error) =>
          fail(new ZkWitnessError(`a proving thread failed on chunk ${current + 1}: ${error.message}`)),
        );
        worker.on("exit", (code) => {
          if (code !== 0)
            fail(new ZkWitnessError(`a proving thread exited with code ${code} on chunk ${current + 1}`));
        });
        current = nextChunk;
        feed(worker);
      }
    });
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return results;
}
