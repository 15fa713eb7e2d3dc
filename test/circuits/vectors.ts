/**
 * Commitment test vectors (test/vectors/commitment.json): fixed inputs and the commitment both the TypeScript
 * and the circuit must produce. Regenerate only when the commitment scheme changes deliberately:
 *   npx tsx test/circuits/vectors.ts --write
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { SparseUpdate, UpdateContext } from "../../src/sparse/types.js";
import {
  computeCommitment,
  packContext,
  updateChunks,
  type ChunkState,
  type CircuitParams,
} from "../../src/zk/index.js";
import { REPO_ROOT } from "../../src/zk/setup/index.js";

export const VECTORS_PATH = join(REPO_ROOT, "test", "vectors", "commitment.json");

export interface CommitmentVector {
  readonly name: string;
  readonly instance: "test" | "demo";
  readonly params: CircuitParams;
  readonly context: UpdateContext;
  readonly packedContext: string;
  readonly salt: string;
  readonly lInf: string;
  readonly update: { dimension: number; indices: number[]; values: number[] };
  readonly count: number;
  /** max(1, ceil(count / K)) chunks, in order. */
  readonly chunks: VectorChunk[];
  /** The last chunk's commitment. */
  readonly commitment: string;
}

/** A running state (chain, sumSquares, next, count) as decimal strings. */
export interface VectorState {
  readonly chain: string;
  readonly sumSquares: string;
  readonly next: string;
  readonly count: string;
}

export interface VectorChunk {
  /** Active entries in this chunk. */
  readonly count: number;
  /** The chunk's K packed entries. */
  readonly entries: string[];
  /** The state the chunk starts from (for the first chunk: the start state). */
  readonly before: VectorState;
  readonly after: VectorState;
  /** The value of `before`, or 0 for the first chunk. */
  readonly previous: string;
  /** The value of `after`. */
  readonly commitment: string;
}

export interface VectorFile {
  readonly $comment: string;
  readonly scheme: string;
  readonly vectors: CommitmentVector[];
}

const TEST_PARAMS: CircuitParams = { K: 16, IDX_BITS: 12, VAL_BITS: 16 };
const DEMO_PARAMS: CircuitParams = { K: 128, IDX_BITS: 12, VAL_BITS: 16 };

export function toSparseUpdate(v: CommitmentVector["update"]): SparseUpdate {
  return { dimension: v.dimension, indices: Uint32Array.from(v.indices), values: Int32Array.from(v.values) };
}

function stateStrings(s: ChunkState): VectorState {
  return {
    chain: s.chain.toString(),
    sumSquares: s.sumSquares.toString(),
    next: s.next.toString(),
    count: s.count.toString(),
  };
}

/**
 * A chunk in the vector file's string form. Structural, so that the oracle (test/circuits/helpers.ts, which
 * computes its chunks without src/zk) writes its result in the same form as the generator.
 */
export function vectorChunk(c: {
  count: number;
  entries: readonly bigint[];
  before: ChunkState;
  after: ChunkState;
  previous: bigint;
  commitment: bigint;
}): VectorChunk {
  return {
    count: c.count,
    entries: c.entries.map(String),
    before: stateStrings(c.before),
    after: stateStrings(c.after),
    previous: c.previous.toString(),
    commitment: c.commitment.toString(),
  };
}

function vector(
  name: string,
  instance: "test" | "demo",
  params: CircuitParams,
  context: UpdateContext,
  salt: bigint,
  lInf: bigint,
  update: CommitmentVector["update"],
): CommitmentVector {
  const sparse = toSparseUpdate(update);
  return {
    name,
    instance,
    params,
    context,
    packedContext: packContext(context).toString(),
    salt: salt.toString(),
    lInf: lInf.toString(),
    update,
    count: update.indices.length,
    chunks: updateChunks({ context: packContext(context), salt, update: sparse, lInf, params }).map(
      vectorChunk,
    ),
    commitment: computeCommitment({
      context: packContext(context),
      salt,
      update: sparse,
      lInf,
      params,
    }).toString(),
  };
}

/** Deterministic pseudo-random update (xorshift), so the vectors file is reproducible. */
function pseudoRandomUpdate(
  count: number,
  d: number,
  lInf: number,
  seed: number,
): CommitmentVector["update"] {
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
  while (set.size < count) set.add(next() % d);
  const indices = [...set].sort((a, b) => a - b);
  const values = indices.map(() => (next() % (2 * lInf + 1)) - lInf);
  return { dimension: d, indices, values };
}

export function generateVectors(): VectorFile {
  const alice: UpdateContext = { task: 1, round: 0, member: "0x70997970c51812dc3a010c7d01b50e0d17dc79c8" };
  const bob: UpdateContext = { task: 4_294_967_295, round: 4_294_967_295, member: "0x" + "ff".repeat(20) };
  const saltA = 0x0badc0ffee0ddf00dn;
  const saltMax = 21888242871839275222246405745257275088548364400416034343698204186575808495616n; // p - 1
  return {
    $comment:
      "GENERATED from src/zk by test/circuits/vectors.ts (npx tsx test/circuits/vectors.ts --write). Generated by " +
      "the code it checks, this file alone is a regression check: it pins today's commitments. The oracle is in " +
      "test/circuits/commitment.test.ts: a reference implementation written from the circuit's header comment " +
      "without src/ (test/circuits/helpers.ts) and the circuit's witness generator must both reproduce every " +
      "vector, chunk by chunk.",
    scheme:
      "entry = idx * 2^VAL_BITS + (value + lInf); n entries in index order make max(1, ceil(n / K)) chunks of K " +
      "slots (K entries each, the last padded with 0); lanes of floor(253 / (IDX_BITS + VAL_BITS)) entries, " +
      "little-endian; state = (chain, sumSquares, next, count), starting at (Poseidon(context, salt), 0, 0, 0); " +
      "per chunk: count += entries, chain = Poseidon(chain, count, lanes[0..14)), then " +
      "chain = Poseidon(chain, <= 15 lanes) while lanes remain, sumSquares += value^2, next = last index + 1; " +
      "a chunk's commitment (the next one's previous; 0 before the first) = " +
      "Poseidon(context, chain, sumSquares, next, count); the update's commitment is the last chunk's",
    vectors: [
      vector("test: empty update", "test", TEST_PARAMS, alice, saltA, 2000n, {
        dimension: 1000,
        indices: [],
        values: [],
      }),
      vector(
        "test: lone (0, -lInf) entry packs to 0 but count differs",
        "test",
        TEST_PARAMS,
        alice,
        saltA,
        2000n,
        {
          dimension: 1000,
          indices: [0],
          values: [-2000],
        },
      ),
      vector("test: three entries", "test", TEST_PARAMS, alice, saltA, 2000n, {
        dimension: 1000,
        indices: [3, 40, 999],
        values: [-5, 1999, -2000],
      }),
      vector(
        "test: all 16 slots, extreme context and salt, lInf 2^15 - 1",
        "test",
        TEST_PARAMS,
        bob,
        saltMax,
        32767n,
        {
          ...pseudoRandomUpdate(16, 4096, 32767, 16),
        },
      ),
      vector(
        "demo: 10 entries",
        "demo",
        DEMO_PARAMS,
        alice,
        saltA,
        4096n,
        pseudoRandomUpdate(10, 2000, 4096, 10),
      ),
      vector(
        "demo: all 128 slots (15 lanes: one Poseidon(16), one Poseidon(2))",
        "demo",
        DEMO_PARAMS,
        bob,
        12345n,
        4096n,
        {
          ...pseudoRandomUpdate(128, 4096, 4096, 128),
        },
      ),
      vector(
        "test: 32 entries, exactly two full chunks",
        "test",
        TEST_PARAMS,
        alice,
        saltA,
        2000n,
        pseudoRandomUpdate(32, 1000, 2000, 32),
      ),
      vector(
        "test: 40 entries, three chunks (16 + 16 + 8)",
        "test",
        TEST_PARAMS,
        bob,
        saltMax,
        32767n,
        pseudoRandomUpdate(40, 4096, 32767, 40),
      ),
      vector(
        "demo: 300 entries, three chunks (128 + 128 + 44)",
        "demo",
        DEMO_PARAMS,
        alice,
        saltA,
        4096n,
        pseudoRandomUpdate(300, 4096, 4096, 300),
      ),
    ],
  };
}

export function readVectors(): VectorFile {
  return JSON.parse(readFileSync(VECTORS_PATH, "utf8")) as VectorFile;
}

if (process.argv.includes("--write")) {
  writeFileSync(VECTORS_PATH, `${JSON.stringify(generateVectors(), null, 2)}\n`);
  process.stdout.write(`wrote ${VECTORS_PATH}\n`);
}
