/**
 * Benchmark: sparse aggregation (src/aggregation) of n updates of k entries in d dimensions, per rule,
 * next to the dense baseline measured in the same run on the same updates: materialise one dense
 * Int32Array per update, then aggregate coordinate by coordinate over all d.
 *
 * Run alone: `npx tsx scripts/bench/aggregation.ts` prints the JSON.
 */
import { pathToFileURL } from "node:url";
import {
  aggregate,
  divRoundHalfAwayFromZero,
  type AggregationRule,
  type MemberUpdate,
} from "../../src/aggregation/index.js";
import type { SparseUpdate } from "../../src/sparse/types.js";

const DIMENSION = 100_000;
const K = 128;
const COUNTS = [10, 100, 1000];
const VALUE_BOUND = 4096; // one unit at scale 4096
const SEED = 0xc1f1;
// An update of 128 values uniform in ±4096 has norm ≈ 26,800: a clip of 16,384 binds for nearly all.
const CLIP_L2 = 4n * BigInt(VALUE_BOUND);

function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    // xorshift32: deterministic across machines, good enough to spread indices.
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state;
  };
}

/**
 * `uniform`: each update's k coordinates are drawn uniformly from d, so supports barely overlap.
 * `overlapping`: three quarters of them come from a shared pool of k hot coordinates, as when members'
 * top-k deltas agree on the important parameters; robust rules then sort long per-coordinate lists.
 */
type Workload = "uniform" | "overlapping";
const WORKLOADS: Workload[] = ["uniform", "overlapping"];
const HOT_POOL = K;

function makeUpdates(n: number, seed: number, workload: Workload): MemberUpdate[] {
  const next = prng(seed);
  const updates: MemberUpdate[] = [];
  for (let m = 0; m < n; m++) {
    const chosen = new Set<number>();
    if (workload === "overlapping") while (chosen.size < (3 * K) / 4) chosen.add(next() % HOT_POOL);
    while (chosen.size < K) chosen.add(next() % DIMENSION);
    const indices = Uint32Array.from([...chosen]).sort();
    const values = new Int32Array(K);
    for (let i = 0; i < K; i++) {
      let v = 0;
      while (v === 0) v = (next() % (2 * VALUE_BOUND + 1)) - VALUE_BOUND;
      values[i] = v;
    }
    updates.push({ member: "0x" + (m + 1).toString(16).padStart(40, "0"), update: { dimension: DIMENSION, indices, values } });
  }
  return updates;
}

function rulesFor(updates: readonly MemberUpdate[]): AggregationRule[] {
  const weights: Record<string, bigint> = {};
  updates.forEach((u, i) => (weights[u.member] = BigInt(1 + (i % 3))));
  return [
    { kind: "mean" },
    { kind: "weighted-mean", weights },
    { kind: "trimmed-mean", trim: Math.floor(updates.length / 10) },
    { kind: "median" },
    { kind: "clipped-mean", clipL2: CLIP_L2 },
  ];
}

// ---- dense baseline: same semantics, O(n · d) ----

function materialise(updates: readonly MemberUpdate[]): Int32Array[] {
  return updates.map(({ update }) => {
    const row = new Int32Array(DIMENSION);
    for (let i = 0; i < update.indices.length; i++) row[update.indices[i]!] = update.values[i]!;
    return row;
  });
}

function denseClip(row: Int32Array, clipL2: bigint): Int32Array {
  // Number arithmetic where it is exact (|v| ≤ 4096 here), BigInt only for the scaled non-zeros, so the
  // baseline is not slowed by BigInt work on zeros.
  let squares = 0;
  for (let j = 0; j < row.length; j++) squares += row[j]! * row[j]!;
  const sumOfSquares = BigInt(squares);
  if (sumOfSquares <= clipL2 * clipL2) return row;
  let root = BigInt(Math.floor(Math.sqrt(Number(sumOfSquares))));
  while (root * root < sumOfSquares) root++;
  while ((root - 1n) * (root - 1n) >= sumOfSquares) root--;
  const out = new Int32Array(row.length);
  for (let j = 0; j < row.length; j++) if (row[j] !== 0) out[j] = Number((BigInt(row[j]!) * clipL2) / root);
  return out;
}

function denseAggregate(rows: Int32Array[], rule: AggregationRule, members: readonly string[]): SparseUpdate {
  const n = rows.length;
  const out = new Int32Array(DIMENSION);
  if (rule.kind === "mean" || rule.kind === "clipped-mean" || rule.kind === "weighted-mean") {
    const used = rule.kind === "clipped-mean" ? rows.map((r) => denseClip(r, rule.clipL2)) : rows;
    const weights = rule.kind === "weighted-mean" ? members.map((m) => Number(rule.weights[m]!)) : rows.map(() => 1);
    const total = weights.reduce((a, b) => a + b, 0);
    const sums = new Float64Array(DIMENSION);
    used.forEach((row, i) => {
      const w = weights[i]!;
      for (let j = 0; j < DIMENSION; j++) sums[j] = sums[j]! + w * row[j]!;
    });
    for (let j = 0; j < DIMENSION; j++) out[j] = divRoundHalfAwayFromZero(sums[j]!, total);
  } else {
    const trim = rule.kind === "trimmed-mean" ? rule.trim : Math.floor((n - 1) / 2);
    const column = new Int32Array(n);
    for (let j = 0; j < DIMENSION; j++) {
      for (let i = 0; i < n; i++) column[i] = rows[i]![j]!;
      column.sort();
      let sum = 0;
      for (let i = trim; i < n - trim; i++) sum += column[i]!;
      out[j] = divRoundHalfAwayFromZero(sum, n - 2 * trim);
    }
  }
  const indices: number[] = [];
  const values: number[] = [];
  for (let j = 0; j < DIMENSION; j++) {
    if (out[j] !== 0) {
      indices.push(j);
      values.push(out[j]!);
    }
  }
  return { dimension: DIMENSION, indices: Uint32Array.from(indices), values: Int32Array.from(values) };
}

function sameUpdate(a: SparseUpdate, b: SparseUpdate): boolean {
  if (a.indices.length !== b.indices.length) return false;
  for (let i = 0; i < a.indices.length; i++) {
    if (a.indices[i] !== b.indices[i] || a.values[i] !== b.values[i]) return false;
  }
  return true;
}

function timeMs<T>(fn: () => T): { ms: number; result: T } {
  const start = performance.now();
  const result = fn();
  return { ms: performance.now() - start, result };
}

function medianOf(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return Math.round(sorted[Math.floor(sorted.length / 2)]! * 1000) / 1000;
}

export async function run(): Promise<Record<string, unknown>> {
  // Warm both code paths for every rule so the first timed rule does not pay for compilation.
  const warmUp = makeUpdates(20, SEED, "overlapping");
  for (const rule of rulesFor(warmUp)) {
    aggregate({ updates: warmUp, rule, dimension: DIMENSION });
    denseAggregate(materialise(warmUp), rule, warmUp.map((u) => u.member));
  }
  const results: Record<string, Record<string, unknown[]>> = {};
  for (const workload of WORKLOADS) {
  const byRule: Record<string, unknown[]> = (results[workload] = {});
  for (const n of COUNTS) {
    const updates = makeUpdates(n, SEED + n, workload);
    const members = updates.map((u) => u.member);
    const sparseRepetitions = n >= 1000 ? 3 : 5;
    const denseRepetitions = n >= 1000 ? 1 : 3;
    for (const rule of rulesFor(updates)) {
      // Warm-up so both paths are compiled before timing.
      aggregate({ updates, rule, dimension: DIMENSION });
      const sparseSamples: number[] = [];
      let sparseResult: SparseUpdate | undefined;
      for (let r = 0; r < sparseRepetitions; r++) {
        const timed = timeMs(() => aggregate({ updates, rule, dimension: DIMENSION }));
        sparseSamples.push(timed.ms);
        sparseResult = timed.result;
      }
      const materialiseSamples: number[] = [];
      const denseSamples: number[] = [];
      let denseResult: SparseUpdate | undefined;
      for (let r = 0; r < denseRepetitions; r++) {
        const rows = timeMs(() => materialise(updates));
        materialiseSamples.push(rows.ms);
        const timed = timeMs(() => denseAggregate(rows.result, rule, members));
        denseSamples.push(rows.ms + timed.ms);
        denseResult = timed.result;
      }
      const sparseMs = medianOf(sparseSamples);
      const denseMs = medianOf(denseSamples);
      (byRule[rule.kind] ??= []).push({
        updates: n,
        sparseMs,
        denseMs,
        denseMaterialiseMs: medianOf(materialiseSamples),
        speedupVsDense: Math.round((denseMs / sparseMs) * 10) / 10,
        outputNonZeros: sparseResult!.indices.length,
        sameResultAsDense: sameUpdate(sparseResult!, denseResult!),
        sparseRepetitions,
        denseRepetitions,
      });
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  }
  return {
    dimension: DIMENSION,
    entriesPerUpdate: K,
    valueRange: [-VALUE_BOUND, VALUE_BOUND],
    trimmedMeanTrim: "floor(n / 10) per side",
    clippedMeanClipL2: Number(CLIP_L2),
    workloads: { uniform: "k coordinates uniform in d", overlapping: `3k/4 from a shared pool of ${HOT_POOL}, rest uniform` },
    weightedMeanWeights: "1, 2, 3 cycling over members",
    note: "sparseMs and denseMs are medians over the repetitions; denseMs includes materialising the dense rows",
    byWorkloadAndRule: results,
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  console.log(JSON.stringify(await run(), null, 2));
}
