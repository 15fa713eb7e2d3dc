/**
 * Benchmark: whole rounds on the in-process chain with the product's role code (src/roles), an embedded
 * Helia node and real Groth16 proofs from the `test` instance (K = 16), proved one after another as on one
 * machine. For 4, 16 and 64 members: wall time split into proving, the rest of each member's commit
 * (sparsify, seal to the task's reader group, commitUpdate transaction carrying the envelope), the chain's
 * round steps (open, close), the aggregation (read the envelopes from the commit events, pin them, open,
 * check commitments, aggregate, store, publish) and the audit (two auditors'
 * replays, attestations, finalization). Then a 100-member round: total gas, wall time, and the
 * aggregator's memory (heap and RSS sampled every 10 ms during aggregateRound, next to the process's
 * figures just before it).
 *
 * Members' deltas are synthetic (seeded Gaussian, the AI4I model's d = 1778): local training time is the
 * learning section's figure, not a chain or proof cost.
 * Run alone: `npx tsx scripts/bench/rounds.ts` prints the JSON (a few minutes on 2 cores).
 */
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { startInProcessChain } from "../../src/harness/index.js";
import {
  localTaskPolicy,
  createLocalTask,
  deployLocalConsortium,
  runLocalRound,
  type ConsortiumAccount,
  type LocalConsortium,
} from "../../src/harness/index.js";
import { AI4I_MODEL_SPEC, createRng, initialParams, loadDataset, trainLocal } from "../../src/learning/index.js";
import { encodeGlobalModel, globalModelHash, initialGlobalModel } from "../../src/model/index.js";
import type { AggregationResult, RoleEnvironment } from "../../src/roles/index.js";
import { createHeliaStore, type ContentStore } from "../../src/storage/index.js";
import { loadCircuitArtifacts, releaseZkWorkers, type CircuitArtifacts } from "../../src/zk/index.js";

const SIZES = [4, 16, 64];
const LARGE = 100;
const SCALE = 4096;
const STORE_PATH = fileURLToPath(new URL("../../bench/out/rounds-ipfs", import.meta.url));

const ms = (x: number): number => Math.round(x);
const mib = (bytes: number): number => Math.round((bytes / 2 ** 20) * 10) / 10;
const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** A seeded delta with the spread of a real local step: N(0, 0.02) per parameter. */
function syntheticDelta(d: number, seed: number): Float32Array {
  const rng = createRng(seed);
  const delta = new Float32Array(d);
  for (let i = 0; i < d; i++) {
    const u = Math.max(rng.next(), 1e-12);
    delta[i] = 0.02 * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
  }
  return delta;
}

/** Samples heap and RSS while `work` runs; returns the peaks next to the figures just before it. */
interface MemorySample<T> {
  value: T;
  before: NodeJS.MemoryUsage;
  peakHeapUsed: number;
  peakRss: number;
}

async function withMemorySampling<T>(work: () => Promise<T>): Promise<MemorySample<T>> {
  global.gc?.();
  const before = process.memoryUsage();
  let peakHeapUsed = before.heapUsed;
  let peakRss = before.rss;
  const timer = setInterval(() => {
    const m = process.memoryUsage();
    peakHeapUsed = Math.max(peakHeapUsed, m.heapUsed);
    peakRss = Math.max(peakRss, m.rss);
  }, 10);
  try {
    const value = await work();
    const m = process.memoryUsage();
    return { value, before, peakHeapUsed: Math.max(peakHeapUsed, m.heapUsed), peakRss: Math.max(peakRss, m.rss) };
  } finally {
    clearInterval(timer);
  }
}

async function gasBetween(bench: LocalConsortium, fromBlock: number, toBlock: number): Promise<{ gas: number; txs: number }> {
  const provider = bench.connection.ethers.provider;
  let gas = 0;
  let txs = 0;
  for (let n = fromBlock; n <= toBlock; n++) {
    const block = await provider.getBlock(n);
    for (const hash of block?.transactions ?? []) {
      const receipt = await provider.getTransactionReceipt(hash);
      gas += Number(receipt?.gasUsed ?? 0n);
      txs++;
    }
  }
  return { gas, txs };
}

interface RoundTiming {
  members: number;
  wallMs: number;
  /** The same round's wall time without the proving: what a round costs without zero knowledge. */
  wallWithoutProvingMs: number;
  provingMs: number;
  provingMedianMs: number;
  memberCommitOtherMs: number;
  chainRoundStepsMs: number;
  aggregationMs: number;
  auditMs: number;
  gas: number;
  transactions: number;
  sealedBytesMedian: number;
  finalized: boolean;
  aggregatorMemory?: Record<string, number>;
}

async function oneRound({
  bench,
  store,
  artifacts,
  members,
  seed,
  measureMemory,
}: {
  bench: LocalConsortium;
  store: ContentStore;
  artifacts: CircuitArtifacts;
  members: ConsortiumAccount[];
  seed: number;
  measureMemory: boolean;
}): Promise<RoundTiming> {
  const { connection } = bench;
  const params0 = initialParams({ spec: AI4I_MODEL_SPEC, seed });
  const nextTask = Number(await bench.contracts.consortium.taskCount()) + 1;
  const model0 = encodeGlobalModel(initialGlobalModel({ task: nextTask, dimension: params0.length, scale: SCALE, params: params0 }));
  const model0Cid = await store.put(model0);
  await store.pin(model0Cid);
  const now = BigInt(await connection.networkHelpers.time.latest());
  const policy = localTaskPolicy({
    consortium: bench,
    now,
    model: { name: AI4I_MODEL_SPEC.id, dimension: params0.length, hash: globalModelHash(model0), cid: model0Cid },
    settings: { minParticipants: members.length },
  });
  const { taskId } = await createLocalTask({ consortium: bench, policy, members });
  const envOf = (a: ConsortiumAccount): RoleEnvironment => ({
    signer: a.signer,
    address: a.address,
    contracts: bench.contracts,
    store,
    taskId,
    fetchTimeoutMs: 10_000,
  });
  const aggregatorEnv = envOf(bench.aggregator);
  const firstBlock = (await connection.ethers.provider.getBlockNumber()) + 1;
  const started = performance.now();

  const stepMs = { open: 0, commit: 0, close: 0, aggregate: 0, audit: 0 };
  let sampled: MemorySample<AggregationResult | undefined> | undefined;
  const { committed, published: aggregated, verdicts, finalized } = await runLocalRound({
    aggregator: { env: aggregatorEnv, reader: bench.readerKeyOf(bench.aggregator) },
    members: members.map((m, i) => ({ env: envOf(m), delta: syntheticDelta(params0.length, seed * 1000 + i) })),
    auditors: bench.auditors.map((a) => ({ env: envOf(a), reader: bench.readerKeyOf(a) })),
    artifacts,
    onStep: (step, ms) => {
      stepMs[step] += ms;
    },
    aroundAggregation: async (run) => {
      sampled = await withMemorySampling(run);
      return sampled.value;
    },
  });
  if (!aggregated || aggregated.included.length !== members.length) {
    throw new Error(`round: ${aggregated?.included.length ?? 0} of ${members.length} updates included`);
  }
  for (const verdict of verdicts) {
    if (!verdict.matches) throw new Error(`audit mismatch: ${verdict.findings.join("; ")}`);
  }
  const proveMs = committed.map((c) => c.result.proveMs);
  const sealedBytes = committed.map((c) => c.result.sealedBytes);
  const commitTotalMs = stepMs.commit;
  const chainRoundStepsMs = stepMs.open + stepMs.close;
  const aggregationMs = stepMs.aggregate;
  const auditMs = stepMs.audit;
  const wallMs = performance.now() - started;
  const lastBlock = await connection.ethers.provider.getBlockNumber();
  const { gas, txs } = await gasBetween(bench, firstBlock, lastBlock);
  const provingMs = sum(proveMs);
  return {
    members: members.length,
    wallMs: ms(wallMs),
    wallWithoutProvingMs: ms(wallMs - provingMs),
    provingMs: ms(provingMs),
    provingMedianMs: ms(median(proveMs)),
    memberCommitOtherMs: ms(commitTotalMs - provingMs),
    chainRoundStepsMs: ms(chainRoundStepsMs),
    aggregationMs: ms(aggregationMs),
    auditMs: ms(auditMs),
    gas,
    transactions: txs,
    sealedBytesMedian: median(sealedBytes),
    finalized,
    ...(measureMemory && sampled
      ? {
          aggregatorMemory: {
            heapUsedBeforeMiB: mib(sampled.before.heapUsed),
            heapUsedPeakMiB: mib(sampled.peakHeapUsed),
            heapGrowthMiB: mib(sampled.peakHeapUsed - sampled.before.heapUsed),
            rssBeforeMiB: mib(sampled.before.rss),
            rssPeakMiB: mib(sampled.peakRss),
          },
        }
      : {}),
  };
}

/**
 * Median time of one member's local training on AI4I (10-member split, the attack matrix's policy:
 * 2 epochs, batch 64): the work a member does anyway, beside which its proving time is read.
 */
async function localTrainingMedianMs(): Promise<{ medianMs: number; samples: number; rowsMedian: number }> {
  const dataset = loadDataset({ name: "ai4i", members: 10, seed: 1 });
  const params = initialParams({ spec: dataset.spec, seed: 1 });
  const policy = { epochs: 2, batchSize: 64, learningRate: 0.01, classWeighting: "sqrt" } as const;
  // Warm-up: the first call compiles the backend's kernels.
  await trainLocal({ spec: dataset.spec, globalParams: params, data: dataset.members[0]!, policy, seed: 0 });
  const times: number[] = [];
  const members = dataset.members.slice(0, 6);
  for (const [i, data] of members.entries()) {
    const t = performance.now();
    await trainLocal({ spec: dataset.spec, globalParams: params, data, policy, seed: i + 1 });
    times.push(performance.now() - t);
  }
  return { medianMs: ms(median(times)), samples: times.length, rowsMedian: median(members.map((m) => m.rows)) };
}

export async function run(): Promise<Record<string, unknown>> {
  const training = await localTrainingMedianMs();
  const artifacts = await loadCircuitArtifacts({ instance: "test" });
  const connection = await startInProcessChain();
  await rm(STORE_PATH, { recursive: true, force: true });
  const store = await createHeliaStore({ path: STORE_PATH });
  try {
    let t = performance.now();
    const bench = await deployLocalConsortium({ connection, members: LARGE, circuit: "test" });
    const setupMs = performance.now() - t;
    const rounds: RoundTiming[] = [];
    for (const [i, n] of SIZES.entries()) {
      process.stderr.write(`  round with ${n} members ...\n`);
      rounds.push(
        await oneRound({ bench, store, artifacts, members: bench.members.slice(0, n), seed: 10 + i, measureMemory: true }),
      );
    }
    process.stderr.write(`  round with ${LARGE} members ...\n`);
    t = performance.now();
    const large = await oneRound({ bench, store, artifacts, members: bench.members, seed: 99, measureMemory: true });
    return {
      network: "hardhat in-process (EDR), automine; embedded Helia; test circuit (K=16), sequential proving",
      delta: "synthetic N(0, 0.02) over d = 1778 (AI4I model), top-16 with error feedback, clipped to the policy",
      setup: { membersAdmitted: LARGE, consortiumSetupMs: ms(setupMs) },
      // A member's proving time (test instance, median over the 64-member round) next to its local training.
      provingVsTraining: {
        provingMedianMs: rounds[2]!.provingMedianMs,
        localTrainingMedianMs: training.medianMs,
        trainingSamples: training.samples,
        trainingRowsMedian: training.rowsMedian,
      },
      rounds,
      large: { ...large, wallIncludingTaskSetupMs: ms(performance.now() - t) },
      perMember: {
        // Each member adds a proof plus its commit; the fixed steps are the baseline a round pays regardless.
        wallMsPerMember64: ms(rounds[2]!.wallMs / 64),
        wallMsPerMember100: ms(large.wallMs / LARGE),
        gasPerMember100: Math.round(large.gas / LARGE),
      },
    };
  } finally {
    await store.stop();
    await releaseZkWorkers();
    await connection.close();
    await rm(join(STORE_PATH), { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  run().then(
    (result) => {
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      process.exit(0);
    },
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}
