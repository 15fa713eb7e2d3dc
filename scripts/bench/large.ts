/**
 * Benchmark: bytes on the wire for real-size models (issue 14), next to dense float32 in the same run. For
 * d = 1,778 (the AI4I model; k = 128 as the demo and k = 1%), 100,000 (k = 1,000) and 1,000,000
 * (k = 10,000): the update's wire bytes, its fixed header, and the envelope as members send it (sealed once to
 * the task's reader group, whatever the number of readers), beside the per-reader wraps for three readers
 * that the group replaced. Updates come through the real pipeline (top-k with error feedback, L2 clip,
 * fixed-point quantization at scale 4096) from a deterministic Gaussian delta.
 *
 * Proofs of real-size updates on the `large` instance (K = 128 per chunk, d <= 2^20), for the AI4I model of
 * d = 103,298 with k = 1,000 and one of d ≈ 1M with k = 10,000: a member's local training of that model on its
 * AI4I rows (the demo's one epoch) as the baseline, then proving its real update in chunks on worker threads
 * (total, per chunk, threads) and committing it on an in-process chain (gas for 1, 4, 16, 64 and all chunks
 * batched in one commitChunkedUpdate, next to verifying the same proofs one by one). Then the aggregator's and
 * each auditor's work for 10 such members: recomputing every commitment from the payload, and the mean, with
 * the heap it takes, next to a dense float64 mean. One run. Run alone: `npx tsx scripts/bench/large.ts`.
 */
import { pathToFileURL } from "node:url";
import { getBytes, keccak256, toBeHex, toUtf8Bytes } from "ethers";
import { aggregate } from "../../src/aggregation/index.js";
import { createLocalTask, deployLocalConsortium, localTaskPolicy, startInProcessChain } from "../../src/harness/index.js";
import {
  AI4I_FEATURE_NAMES,
  AI4I_LARGE_MODEL_SPEC,
  initialParams,
  loadDataset,
  paramCount,
  sparseEncoderSpec,
  trainLocal,
  type ModelSpec,
} from "../../src/learning/index.js";
import { generateReaderKeyPair, sealPayload, sealToGroup } from "../../src/seal/index.js";
import { encodeUpdate, sparsifyUpdate, type SparseUpdate } from "../../src/sparse/index.js";
import {
  computeCommitment,
  loadCircuitArtifacts,
  packContext,
  proveUpdateChunks,
  provingThreads,
  randomSalt,
  releaseZkWorkers,
} from "../../src/zk/index.js";
import { VerifyingKeyRegistry__factory } from "../../types/ethers-contracts/index.js";
import { gaussianDelta } from "./sparse.js";

const SCALE = 4096;
const MEMBER = "0x" + "42".repeat(20);
const CASES = [
  { dimension: 1_778, k: 128, note: "AI4I model, the demo's k" },
  { dimension: 1_778, k: 18, note: "AI4I model, k = 1%" },
  { dimension: 100_000, k: 1_000, note: "k = 1%" },
  { dimension: 1_000_000, k: 10_000, note: "k = 1%" },
] as const;

const round = (x: number, digits = 1): number => Number(x.toFixed(digits));

/** The ten AI4I features into 1,024 → 960 → 2: d = 997,186, a model of a million parameters. */
const MILLION_SPEC: ModelSpec = sparseEncoderSpec({
  id: "bench-ai4i-1m-mlp",
  inputShape: [AI4I_FEATURE_NAMES.length],
  encoderUnits: [1024, 960],
  classes: 2,
  l1Kernel: 0,
  l1Activity: 0,
});

const PROVING_CASES = [
  { spec: AI4I_LARGE_MODEL_SPEC, k: 1_000 },
  { spec: MILLION_SPEC, k: 10_000 },
] as const;
/** Full chunks of a further d = 1M case, k = this × the instance's K: the gas table's 64-chunk row. */
const FULL_CHUNKS_CASE = 64;
/** The demo's local training (src/demo: one epoch, batch 64, Adam at 0.01). */
const TRAINING = { epochs: 1, batchSize: 64, learningRate: 0.01 } as const;
const CHUNK_COUNTS = [1, 4, 16, 64];
const TRAINING_RUNS = 3;
const AGGREGATED_MEMBERS = 10;
const BASE_TX_GAS = 21_000;

/** JS heap plus typed-array memory (updates and dense rows live in ArrayBuffers, outside the heap). */
const memoryInUse = (): number => {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};

/** Wall time and the largest memory growth seen while `fn` runs (sampled every 5 ms and at the end). */
async function measured<T>(fn: () => Promise<T> | T): Promise<{ value: T; ms: number; heapMiB: number }> {
  const before = memoryInUse();
  let peak = before;
  const sampler = setInterval(() => {
    peak = Math.max(peak, memoryInUse());
  }, 5);
  const started = performance.now();
  try {
    const value = await fn();
    peak = Math.max(peak, memoryInUse());
    return { value, ms: performance.now() - started, heapMiB: round((peak - before) / 2 ** 20, 1) };
  } finally {
    clearInterval(sampler);
  }
}

/** The first `entries` entries of an update: what its first chunks prove on their own. */
function prefix(update: SparseUpdate, entries: number): SparseUpdate {
  return {
    dimension: update.dimension,
    indices: update.indices.slice(0, entries),
    values: update.values.slice(0, entries),
  };
}

/**
 * One member's round on a model of `spec`: local training (baseline), sparsification to k, proving in chunks,
 * and the gas of committing 1, 4, 16, 64 and all of its chunks on a fresh in-process chain.
 */
async function provingCase({
  spec,
  k,
}: {
  spec: ModelSpec;
  k: number;
}): Promise<{ figures: Record<string, unknown>; update: SparseUpdate }> {
  const dimension = paramCount(spec);
  const artifacts = await loadCircuitArtifacts({ instance: "large" });
  const connection = await startInProcessChain();
  try {
    const bench = await deployLocalConsortium({ connection, members: 1, circuit: "large" });
    const member = bench.members[0]!;
    const now = BigInt(await connection.networkHelpers.time.latest());
    const policy = localTaskPolicy({
      consortium: bench,
      now,
      model: { name: spec.id, dimension, hash: keccak256(toUtf8Bytes(spec.id)), cid: "bafkreibenchlargemodel" },
      settings: { maxNonZeros: k, l2Bound: 64n * BigInt(SCALE), scale: SCALE },
    });
    const { taskId } = await createLocalTask({ consortium: bench, policy, members: [member] });
    await bench.contracts.rounds
      .connect(bench.aggregator.signer)
      .openRound(taskId, policy.initialModelCid, policy.initialModelHash, now + 3600n);

    const data = loadDataset({ name: "ai4i", members: 4, seed: 1 });
    const rows = data.members[0]!;
    // The baseline is the median of three identical runs (same seed, same delta): one run of TF.js training
    // moved by 40% between bench runs (the first pays for warm-up), which would move the ratio as much.
    const runs = [];
    for (let r = 0; r < TRAINING_RUNS; r++) {
      runs.push(
        await measured(() =>
          trainLocal({ spec, globalParams: initialParams({ spec, seed: 1 }), data: rows, policy: TRAINING, seed: 1 }),
        ),
      );
    }
    const trained = runs.sort((a, b) => a.ms - b.ms)[Math.floor(TRAINING_RUNS / 2)]!;
    const { update } = sparsifyUpdate({
      delta: trained.value.delta,
      policy: { k, scale: SCALE, l2Bound: Number(policy.l2Bound), lInfBound: Number(policy.lInfBound) },
    });
    const context = { task: Number(taskId), round: 1, member: member.address };
    const salt = randomSalt();
    const threads = provingThreads(Math.ceil(update.indices.length / artifacts.params.K));
    const proving = await measured(() =>
      proveUpdateChunks({
        update,
        context,
        salt,
        policyBounds: { d: dimension, k, lInf: policy.lInfBound, l2Sq: policy.l2Bound * policy.l2Bound },
        artifacts,
        threads,
      }),
    );
    const proved = proving.value;
    const chunks = proved.chunks.length;

    const registry = VerifyingKeyRegistry__factory.connect(
      await bench.contracts.consortium.verifyingKeys(),
      connection.ethers.provider,
    );
    const keyHash = bench.verifyingKey.keyHash;
    const signals = proved.chunks.map((c) => c.publicSignals.map(BigInt) as [bigint, bigint, bigint, bigint]);
    const calldata = proved.chunks.map((c) => [...c.calldata]);
    const singleVerify: number[] = [];
    for (let i = 0; i < chunks; i++) {
      singleVerify.push(Number(await registry.verifyUpdateProof.estimateGas(keyHash, calldata[i]!, signals[i]!)));
    }
    const rounds = bench.contracts.rounds.connect(member.signer);
    const gas = [];
    for (const count of [...CHUNK_COUNTS.filter((c) => c < chunks), chunks]) {
      const entries = Math.min(update.indices.length, count * artifacts.params.K);
      const part = prefix(update, entries);
      const payload = encodeUpdate({ header: { ...context, scale: SCALE, salt }, update: part });
      const envelope = sealToGroup({ payload, groupPublicKey: getBytes(policy.readerKey), context });
      const commitment = count === chunks ? proved.commitment : proved.links[count - 1]!;
      const links = proved.links.slice(0, count - 1);
      const proofs = calldata.slice(0, count);
      const commitGas = Number(
        count === 1
          ? await rounds.commitUpdate.estimateGas(taskId, 1n, envelope, toBeHex(commitment, 32), proofs[0]!)
          : await rounds.commitChunkedUpdate.estimateGas(taskId, 1n, envelope, toBeHex(commitment, 32), links, proofs),
      );
      const batchedVerify =
        count === 1
          ? singleVerify[0]!
          : Number(await registry.verifyUpdateProofs.estimateGas(keyHash, proofs, signals.slice(0, count)));
      // One by one inside one transaction: each verification's gas less the 21,000 every transaction pays.
      const oneByOne = singleVerify.slice(0, count).reduce((a, g) => a + g - BASE_TX_GAS, BASE_TX_GAS);
      gas.push({
        chunks: count,
        entries,
        envelopeBytes: envelope.length,
        commitTx: commitGas,
        commitTxPerChunk: Math.round(commitGas / count),
        verifyBatched: batchedVerify,
        verifyOneByOne: oneByOne,
        verifyBatchedPerChunk: Math.round((batchedVerify - BASE_TX_GAS) / count),
        verifyOneByOnePerChunk: Math.round((oneByOne - BASE_TX_GAS) / count),
      });
    }
    return {
      update,
      figures: {
        model: spec.id,
        dimension,
        k,
        entries: update.indices.length,
        chunks,
        entriesPerChunk: artifacts.params.K,
        threads,
        trainMs: round(trained.ms, 0),
        trainRuns: TRAINING_RUNS,
        trainRows: rows.rows,
        proveMs: round(proving.ms, 0),
        proveMsPerChunk: round(proving.ms / chunks, 0),
        proveOverTrain: round(proving.ms / trained.ms, 2),
        gas,
      },
    };
  } finally {
    await connection.close();
    await releaseZkWorkers();
  }
}

/**
 * The aggregator's (and every auditor's) work on `members` updates of this size: recompute each commitment
 * from its payload, then the mean; next to a dense float64 mean of the same updates.
 */
async function aggregationCase({
  update,
  members,
  k,
}: {
  update: SparseUpdate;
  members: number;
  k: number;
}): Promise<Record<string, unknown>> {
  const params = (await loadCircuitArtifacts({ instance: "large" })).params;
  const shifted = Array.from({ length: members }, (_, m) => ({
    member: "0x" + (m + 1).toString(16).padStart(40, "0"),
    update: { ...update, values: update.values.map((v, i) => ((v + m * (i % 7)) % 4096) | 0) },
  }));
  const commitments = await measured(() =>
    shifted.map(({ member, update: u }) =>
      computeCommitment({ context: packContext({ task: 1, round: 1, member }), salt: 7n, update: u, lInf: 4096, params }),
    ),
  );
  const sparse = await measured(() => aggregate({ updates: shifted, rule: { kind: "mean" }, dimension: update.dimension }));
  const dense = await measured(() => {
    const sum = new Float64Array(update.dimension);
    for (const { update: u } of shifted) {
      const row = new Float64Array(update.dimension);
      u.indices.forEach((idx, i) => (row[idx] = u.values[i]!));
      for (let j = 0; j < row.length; j++) sum[j]! += row[j]!;
    }
    for (let j = 0; j < sum.length; j++) sum[j]! /= members;
    return sum;
  });
  return {
    dimension: update.dimension,
    k,
    members,
    recomputeCommitmentsMs: round(commitments.ms, 0),
    recomputeCommitmentMsPerMember: round(commitments.ms / members, 1),
    sparseMeanMs: round(sparse.ms, 0),
    sparseMeanHeapMiB: sparse.heapMiB,
    denseMeanMs: round(dense.ms, 0),
    denseMeanHeapMiB: dense.heapMiB,
  };
}

export async function run(): Promise<Record<string, unknown>> {
  const readers = Array.from({ length: 3 }, (_, i) => ({
    id: "0x" + (i + 1).toString(16).padStart(40, "0"),
    publicKey: generateReaderKeyPair().publicKey,
  }));
  const groupPublicKey = generateReaderKeyPair().publicKey;
  const context = { task: 1, round: 1, member: MEMBER };
  const header = { task: 1, round: 1, member: MEMBER, scale: SCALE, salt: 123456789n ** 3n };
  const results = CASES.map(({ dimension, k, note }) => {
    const delta = gaussianDelta(0x5eed + dimension, dimension);
    const { update } = sparsifyUpdate({ delta, policy: { k, scale: SCALE, l2Bound: 8 * SCALE, lInfBound: 2 ** 15 } });
    const wire = encodeUpdate({ header, update });
    const headerBytes = encodeUpdate({
      header,
      update: { dimension, indices: new Uint32Array(), values: new Int32Array() },
    }).length;
    const sealed = sealToGroup({ payload: wire, groupPublicKey, context });
    const perReader = sealPayload({ payload: wire, readers, context });
    const dense = 4 * dimension;
    return {
      dimension,
      k,
      note,
      entries: update.indices.length,
      bytes: {
        denseFloat32: dense,
        wire: wire.length,
        wireHeader: headerBytes,
        wirePerEntry: round((wire.length - headerBytes) / Math.max(1, update.indices.length), 2),
        sealedReaderGroup: sealed.length,
        sealOverhead: sealed.length - wire.length,
        sealedThreeReadersPerReaderWraps: perReader.length,
        denseOverSealed: round(dense / sealed.length, 1),
        denseOverSealedPerReaderWraps: round(dense / perReader.length, 1),
      },
    };
  });
  const proving = [];
  const aggregation = [];
  // k = 10,000 takes fewer than 64 chunks of the large instance, so one more case fills exactly 64.
  const { K } = (await loadCircuitArtifacts({ instance: "large" })).params;
  for (const c of [...PROVING_CASES, { spec: MILLION_SPEC, k: FULL_CHUNKS_CASE * K }]) {
    const { figures, update } = await provingCase(c);
    proving.push(figures);
    aggregation.push(await aggregationCase({ update, members: AGGREGATED_MEMBERS, k: c.k }));
  }
  return {
    what: "real-size models: sealed bytes vs dense float32; chunked proofs vs local training; gas of batched vs one-by-one verification; aggregation and audit",
    scale: SCALE,
    results,
    proving,
    aggregation,
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  process.stdout.write(JSON.stringify(await run(), null, 2) + "\n");
}
