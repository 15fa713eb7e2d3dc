import {
  poseidon2,
  poseidon3,
  poseidon4,
  poseidon5,
  poseidon6,
  poseidon7,
  poseidon8,
  poseidon9,
  poseidon10,
  poseidon11,
  poseidon12,
  poseidon13,
  poseidon14,
  poseidon15,
  poseidon16,
} from "poseidon-lite";
import type { SparseUpdate } from "../sparse/types.js";
import { ZkInputError } from "./errors.js";
import { BN254_SCALAR_FIELD, LANE_BITS, LANES_PER_HASH } from "./field.js";
import { packEntries } from "./pack.js";
import type { CircuitParams } from "./types.js";

type PoseidonN = (inputs: bigint[]) => bigint;
// Index = number of inputs; circomlib's Poseidon(n) for n in [2, 16].
const POSEIDON: Record<number, PoseidonN> = {
  2: poseidon2,
  3: poseidon3,
  4: poseidon4,
  5: poseidon5,
  6: poseidon6,
  7: poseidon7,
  8: poseidon8,
  9: poseidon9,
  10: poseidon10,
  11: poseidon11,
  12: poseidon12,
  13: poseidon13,
  14: poseidon14,
  15: poseidon15,
  16: poseidon16,
};

function poseidon(inputs: bigint[]): bigint {
  const fn = POSEIDON[inputs.length];
  if (fn === undefined) throw new ZkInputError(`no Poseidon with ${inputs.length} inputs`);
  return fn(inputs);
}

/** Entries per commitment lane for a circuit shape (floor(253 / (IDX_BITS + VAL_BITS))). */
export function entriesPerLane(params: CircuitParams): number {
  return Math.floor(LANE_BITS / (params.IDX_BITS + params.VAL_BITS));
}

/** Concatenates consecutive packed entries little-endian into lanes, exactly as the circuit does. */
export function packLanes({
  entries,
  params,
}: {
  entries: readonly bigint[];
  params: CircuitParams;
}): bigint[] {
  if (entries.length !== params.K)
    throw new ZkInputError(`expected ${params.K} entries, got ${entries.length}`);
  const perLane = entriesPerLane(params);
  const width = BigInt(params.IDX_BITS + params.VAL_BITS);
  const lanes: bigint[] = [];
  for (let start = 0; start < entries.length; start += perLane) {
    let lane = 0n;
    for (let t = 0; t < perLane && start + t < entries.length; t++) {
      const e = entries[start + t]!;
      if (e < 0n || e >= 1n << width) throw new ZkInputError(`entry ${start + t} does not fit ${width} bits`);
      lane |= e << (BigInt(t) * width);
    }
    lanes.push(lane);
  }
  return lanes;
}

/**
 * The Poseidon hash chain the circuit constrains over already-packed entries:
 * h = Poseidon(context, salt, count); for each chunk of at most 15 lanes, h = Poseidon(h, chunk...).
 * `count` is the number of non-zeros (active slots); it disambiguates a lone (index 0, value -lInf) entry,
 * which packs to 0 like an empty slot.
 */
export function commitmentFromEntries({
  context,
  salt,
  entries,
  count,
  params,
}: {
  context: bigint;
  salt: bigint;
  entries: readonly bigint[];
  count: number;
  params: CircuitParams;
}): bigint {
  if (salt < 0n || salt >= BN254_SCALAR_FIELD)
    throw new ZkInputError("salt must be below the BN254 scalar field");
  if (context < 0n || context >= 1n << 224n) throw new ZkInputError("context must be below 2^224");
  if (!Number.isInteger(count) || count < 0 || count > params.K) {
    throw new ZkInputError(`count must be an integer in [0, ${params.K}], got ${count}`);
  }
  const lanes = packLanes({ entries, params });
  let h = poseidon([context, salt, BigInt(count)]);
  for (let c = 0; c < lanes.length; c += LANES_PER_HASH) {
    h = poseidon([h, ...lanes.slice(c, c + LANES_PER_HASH)]);
  }
  return h;
}

/**
 * The public commitment to one update, bit-identical to the circuit's: binds (task, round, member) through
 * `context`, hides the entries behind `salt`, and depends on the circuit shape (K, IDX_BITS, VAL_BITS) and lInf.
 */
export function computeCommitment({
  context,
  salt,
  update,
  lInf,
  params,
}: {
  context: bigint;
  salt: bigint;
  update: SparseUpdate;
  lInf: bigint | number;
  params: CircuitParams;
}): bigint {
  const entries = packEntries({
    update,
    lInf,
    K: params.K,
    valBits: params.VAL_BITS,
    idxBits: params.IDX_BITS,
  });
  return commitmentFromEntries({ context, salt, entries, count: update.indices.length, params });
}
