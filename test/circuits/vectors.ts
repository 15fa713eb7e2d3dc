/**
 * Commitment test vectors (test/vectors/commitment.json): fixed inputs and the commitment both the TypeScript
 * and the circuit must produce. Regenerate only when the commitment scheme changes deliberately:
 *   npx tsx test/circuits/vectors.ts --write
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { SparseUpdate, UpdateContext } from "../../src/sparse/types.js";
import { computeCommitment, packContext, packEntries, type CircuitParams } from "../../src/zk/index.js";
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
  readonly entries: string[];
  readonly commitment: string;
}

export interface VectorFile {
  readonly scheme: string;
  readonly vectors: CommitmentVector[];
}

const TEST_PARAMS: CircuitParams = { K: 16, IDX_BITS: 12, VAL_BITS: 16 };
const DEMO_PARAMS: CircuitParams = { K: 128, IDX_BITS: 12, VAL_BITS: 16 };

export function toSparseUpdate(v: CommitmentVector["update"]): SparseUpdate {
  return { dimension: v.dimension, indices: Uint32Array.from(v.indices), values: Int32Array.from(v.values) };
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
    entries: packEntries({
      update: sparse,
      lInf,
      K: params.K,
      valBits: params.VAL_BITS,
      idxBits: params.IDX_BITS,
    }).map(String),
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
    scheme:
      "entry = idx * 2^VAL_BITS + (value + lInf); lanes of floor(253 / (IDX_BITS + VAL_BITS)) entries, little-endian; " +
      "h = Poseidon(context, salt, count); for each chunk of <= 15 lanes: h = Poseidon(h, chunk...)",
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
      vector("demo: all 128 slots (15 lanes, one Poseidon(16))", "demo", DEMO_PARAMS, bob, 12345n, 4096n, {
        ...pseudoRandomUpdate(128, 4096, 4096, 128),
      }),
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
