/**
 * Benchmark: cost of the update-bounds proof, each figure next to a baseline measured in the same run.
 * - constraints per entry for the `test` (K=16) and `demo` (K=128) instances, the marginal cost of one more
 *   entry, and the hashing cost of the brief's one-entry-per-Poseidon-input chain versus the lane packing used;
 * - median Groth16 proving time per full update (demo) next to the test instance and to witness generation
 *   alone; median off-chain verification time;
 * - proof size in calldata bytes next to snarkjs's JSON proof;
 * - gas of the consortium's VerifyingKeyRegistry.verifyUpdateProof against the registered demo key, as
 *   eth_estimateGas of the call (21,000 intrinsic gas included), next to the same call's execution-only cost
 *   (estimate minus intrinsic and calldata).
 * Run alone: `npx tsx scripts/bench/zk.ts` prints the JSON (setup runs first if the cache is cold).
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import { getBytes } from "ethers";
import * as snarkjs from "snarkjs";
import type { SparseUpdate } from "../../src/sparse/types.js";
import {
  buildWitnessInput,
  loadCircuitArtifacts,
  proveUpdate,
  publicInputsFor,
  releaseZkWorkers,
  verifyUpdateProof,
  type CircuitArtifacts,
  type PolicyBounds,
} from "../../src/zk/index.js";
import { deployLocalConsortium, startInProcessChain } from "../../src/harness/index.js";
import { VerifyingKeyRegistry__factory } from "../../types/ethers-contracts/index.js";
import { compileCircuit } from "../../src/zk/setup/index.js";

const PROOFS = 5;
const CONTEXT = { task: 1, round: 1, member: "0x" + "42".repeat(20) };

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const round1 = (x: number): number => Math.round(x * 10) / 10;

/** A full update (all K slots) with deterministic pseudo-random indices and values within the bounds. */
function fullUpdate(K: number, bounds: PolicyBounds, seed: number): SparseUpdate {
  let x = seed >>> 0 || 1;
  const next = (): number => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
  const set = new Set<number>();
  while (set.size < K) set.add(next() % bounds.d);
  const lInf = Number(bounds.lInf);
  const indices = Uint32Array.from([...set].sort((a, b) => a - b));
  return { dimension: bounds.d, indices, values: Int32Array.from(indices, () => (next() % (2 * lInf + 1)) - lInf) };
}

/** Constraints of a bare hash chain over `K` entries, one entry per Poseidon input (the brief's baseline). */
async function unpackedHashingConstraints(K: number): Promise<{ perEntryInput: number; lanePacked: number }> {
  const dir = await mkdtemp(join(tmpdir(), "cfl-bench-zk-"));
  try {
    const lanes = Math.ceil(K / Math.floor(253 / 28));
    const source = (inputs: number): string =>
      [
        "pragma circom 2.1.0;",
        'include "circomlib/circuits/poseidon.circom";',
        `template Chain(N) {`,
        "  signal input context; signal input salt; signal input x[N]; signal output out;",
        "  var chunks = (N + 14) \\ 15;",
        "  component head = Poseidon(3); head.inputs[0] <== context; head.inputs[1] <== salt; head.inputs[2] <== N;",
        "  component h[chunks]; signal link[chunks + 1]; link[0] <== head.out;",
        "  for (var c = 0; c < chunks; c++) {",
        "    var size = N - c * 15; if (size > 15) { size = 15; }",
        "    h[c] = Poseidon(size + 1); h[c].inputs[0] <== link[c];",
        "    for (var t = 0; t < size; t++) { h[c].inputs[t + 1] <== x[c * 15 + t]; }",
        "    link[c + 1] <== h[c].out;",
        "  }",
        "  out <== link[chunks];",
        "}",
        `component main = Chain(${inputs});`,
        "",
      ].join("\n");
    const count = async (name: string, inputs: number): Promise<number> => {
      const mainPath = join(dir, `${name}.circom`);
      await writeFile(mainPath, source(inputs));
      await compileCircuit({ mainPath, outDir: dir });
      return (await snarkjs.r1cs.info(join(dir, `${name}.r1cs`))).nConstraints;
    };
    return { perEntryInput: await count("unpacked", K), lanePacked: await count("lanes", lanes) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Gas of the consortium's VerifyingKeyRegistry.verifyUpdateProof for a real demo proof, against the demo
 * instance's development key registered through governance, on Hardhat's in-process network. The call is a
 * view, so its cost is eth_estimateGas of the call sent directly (as if it were a transaction: 21,000
 * intrinsic gas and calldata included).
 */
async function verifierGas(art: CircuitArtifacts, bounds: PolicyBounds): Promise<{ tx: number; calldataGas: number }> {
  const update = fullUpdate(art.params.K, bounds, 77);
  const salt = 99n;
  const proved = await proveUpdate({ update, context: CONTEXT, salt, policyBounds: bounds, artifacts: art });
  const connection = await startInProcessChain();
  try {
    const bench = await deployLocalConsortium({ connection, members: 0, circuit: "demo" });
    const registry = VerifyingKeyRegistry__factory.connect(
      await bench.contracts.consortium.verifyingKeys(),
      connection.ethers.provider,
    );
    const keyHash = bench.verifyingKey.keyHash;
    const signals = proved.publicSignals.map(BigInt) as [bigint, bigint, bigint, bigint];
    const proof = [...proved.calldata];
    if (!(await registry.verifyUpdateProof(keyHash, proof, signals)))
      throw new Error("the registry rejected the benchmark proof under the demo key");
    const data = registry.interface.encodeFunctionData("verifyUpdateProof", [keyHash, proof, signals]);
    const calldataGas = getBytes(data).reduce((g, b) => g + (b === 0 ? 4 : 16), 0);
    return { tx: Number(await registry.verifyUpdateProof.estimateGas(keyHash, proof, signals)), calldataGas };
  } finally {
    await connection.close();
  }
}

async function proveTimes(
  art: CircuitArtifacts,
  bounds: PolicyBounds,
): Promise<{ proveMs: number[]; witnessMs: number[]; verifyMs: number[]; calldataBytes: number; jsonProofBytes: number }> {
  const proveMs: number[] = [];
  const witnessMs: number[] = [];
  const verifyMs: number[] = [];
  let calldataBytes = 0;
  let jsonProofBytes = 0;
  for (let i = 0; i < PROOFS; i++) {
    const update = fullUpdate(art.params.K, bounds, 1000 + i);
    const salt = BigInt(7_919 * (i + 1));
    const input = buildWitnessInput({ update, context: CONTEXT, salt, policyBounds: bounds, params: art.params });
    let t = performance.now();
    await snarkjs.wtns.calculate(input, art.wasmPath, { type: "mem" });
    witnessMs.push(performance.now() - t);
    t = performance.now();
    const proved = await proveUpdate({ update, context: CONTEXT, salt, policyBounds: bounds, artifacts: art });
    proveMs.push(performance.now() - t);
    const pub = publicInputsFor({ update, context: CONTEXT, salt, policyBounds: bounds, params: art.params });
    t = performance.now();
    const ok = await verifyUpdateProof({ vkey: art.vkey, proof: proved.proof, publicInputs: pub });
    verifyMs.push(performance.now() - t);
    if (!ok) throw new Error("benchmark proof failed to verify");
    calldataBytes = proved.calldata.length * 32;
    jsonProofBytes = JSON.stringify(proved.proof).length;
  }
  return { proveMs, witnessMs, verifyMs, calldataBytes, jsonProofBytes };
}

export async function run(): Promise<Record<string, unknown>> {
  const test = await loadCircuitArtifacts({ instance: "test" });
  const demo = await loadCircuitArtifacts({ instance: "demo" });
  const boundsFor = (art: CircuitArtifacts): PolicyBounds => ({
    d: 4000,
    k: art.params.K,
    lInf: 4096n,
    l2Sq: BigInt(art.params.K) * 4096n * 4096n,
  });
  const hashing = await unpackedHashingConstraints(demo.params.K);
  const demoTimes = await proveTimes(demo, boundsFor(demo));
  const testTimes = await proveTimes(test, boundsFor(test));
  const gas = await verifierGas(demo, boundsFor(demo));
  await releaseZkWorkers();
  return {
    constraints: {
      targetPerEntry: 100,
      test: { K: test.params.K, total: test.constraints, perEntry: round1(test.constraints / test.params.K) },
      demo: { K: demo.params.K, total: demo.constraints, perEntry: round1(demo.constraints / demo.params.K) },
      marginalPerEntry: round1((demo.constraints - test.constraints) / (demo.params.K - test.params.K)),
      hashing128Entries: {
        lanePacked: hashing.lanePacked,
        baselineOneEntryPerPoseidonInput: hashing.perEntryInput,
      },
    },
    provingMs: {
      demoMedian: Math.round(median(demoTimes.proveMs)),
      testMedian: Math.round(median(testTimes.proveMs)),
      demoWitnessOnlyMedian: Math.round(median(demoTimes.witnessMs)),
      proofsPerInstance: PROOFS,
    },
    verifyMs: {
      demoMedian: round1(median(demoTimes.verifyMs)),
      testMedian: round1(median(testTimes.verifyMs)),
    },
    verifierGas: {
      measured: "VerifyingKeyRegistry.verifyUpdateProof, demo development key, eth_estimateGas",
      demoVerifyUpdateProofTx: gas.tx,
      executionOnly: gas.tx - 21_000 - gas.calldataGas,
      intrinsic: 21_000,
      calldata: gas.calldataGas,
    },
    proofSize: {
      calldataBytes: demoTimes.calldataBytes,
      publicInputsBytes: 3 * 32,
      baselineSnarkjsJsonBytes: demoTimes.jsonProofBytes,
    },
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  run().then(
    (result) => {
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      process.exit(0);
    },
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
