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
 * The running state a chunk proof carries to the next (circuits/update_bounds.circom): the hash chain over
 * everything so far, the sum of squares, the smallest index the next entry may have, and the count so far.
 */
export interface ChunkState {
  readonly chain: bigint;
  readonly sumSquares: bigint;
  readonly next: bigint;
  readonly count: bigint;
}

function checkContextAndSalt({ context, salt }: { context: bigint; salt: bigint }): void {
  if (salt < 0n || salt >= BN254_SCALAR_FIELD)
    throw new ZkInputError("salt must be below the BN254 scalar field");
  if (context < 0n || context >= 1n << 224n) throw new ZkInputError("context must be below 2^224");
}

/**
 * The state before the first chunk: the chain starts at the random salt (what hides the entries), nothing
 * counted yet. The context needs no place in the chain: every state's public value hashes it.
 */
export function startState({ context, salt }: { context: bigint; salt: bigint }): ChunkState {
  checkContextAndSalt({ context, salt });
  return { chain: salt, sumSquares: 0n, next: 0n, count: 0n };
}

/**
 * The totals of a state in one field element, as the circuit hashes them: sumSquares (< 2^96) | next << 96
 * (next <= 2^32) | count << 129 (count < 2^32). The fields do not overlap, so it is injective on states the
 * circuit accepts.
 */
export function packTotals({ sumSquares, next, count }: Omit<ChunkState, "chain">): bigint {
  return sumSquares + (next << 96n) + (count << 129n);
}

/** The public value of a state: Poseidon(context, chain, packTotals(sumSquares, next, count)). */
export function stateCommitment({ context, state }: { context: bigint; state: ChunkState }): bigint {
  return poseidon([context, state.chain, packTotals(state)]);
}

/**
 * The state after one chunk of K packed entries (`count` of them active, the rest 0), exactly as the circuit
 * computes it: the chain hashes the count so far with the first 14 lanes, then 15 lanes per hash.
 */
export function advanceState({
  state,
  entries,
  count,
  lInf,
  params,
}: {
  state: ChunkState;
  entries: readonly bigint[];
  count: number;
  lInf: bigint | number;
  params: CircuitParams;
}): ChunkState {
  if (!Number.isInteger(count) || count < 0 || count > params.K) {
    throw new ZkInputError(`count must be an integer in [0, ${params.K}], got ${count}`);
  }
  const lanes = packLanes({ entries, params });
  const offset = BigInt(lInf);
  const valueMask = (1n << BigInt(params.VAL_BITS)) - 1n;
  let sumSquares = state.sumSquares;
  let next = state.next;
  for (let i = 0; i < count; i++) {
    const entry = entries[i]!;
    const value = (entry & valueMask) - offset;
    sumSquares += value * value;
    next = (entry >> BigInt(params.VAL_BITS)) + 1n;
  }
  const total = state.count + BigInt(count);
  const first = Math.min(lanes.length, LANES_PER_HASH - 1);
  let chain = poseidon([state.chain, total, ...lanes.slice(0, first)]);
  for (let c = first; c < lanes.length; c += LANES_PER_HASH) {
    chain = poseidon([chain, ...lanes.slice(c, c + LANES_PER_HASH)]);
  }
  return { chain, sumSquares, next, count: total };
}

/**
 * The commitment of a one-chunk update from already-packed entries: the state after that chunk. `count` is
 * the number of non-zeros (active slots); it disambiguates a lone (index 0, value -lInf) entry, which packs to
 * 0 like an empty slot.
 */
export function commitmentFromEntries({
  context,
  salt,
  entries,
  count,
  lInf,
  params,
}: {
  context: bigint;
  salt: bigint;
  entries: readonly bigint[];
  count: number;
  lInf: bigint | number;
  params: CircuitParams;
}): bigint {
  const state = advanceState({ state: startState({ context, salt }), entries, count, lInf, params });
  return stateCommitment({ context, state });
}

/** One chunk of an update: its packed entries (K slots), how many are active, and the states around it. */
export interface UpdateChunk {
  readonly entries: bigint[];
  readonly count: number;
  readonly before: ChunkState;
  readonly after: ChunkState;
  /** stateCommitment of `before`, or 0 for the first chunk: the chunk proof's `previous` signal. */
  readonly previous: bigint;
  /** stateCommitment of `after`: the chunk proof's `commitment` signal. */
  readonly commitment: bigint;
}

/** What an update's commitment depends on: who, where and when (`context`), the salt, the entries, lInf, the shape. */
export interface UpdateCommitmentArgs {
  readonly context: bigint;
  readonly salt: bigint;
  readonly update: SparseUpdate;
  readonly lInf: bigint | number;
  readonly params: CircuitParams;
}

/** Chunks of an update of n entries: max(1, ceil(n / K)), entries in index order, K per chunk. */
export function chunkCount({ entries, K }: { entries: number; K: number }): number {
  return Math.max(1, Math.ceil(entries / K));
}

/**
 * Splits an update into the chunks its proofs cover, in the only order the commitment accepts (K entries per
 * chunk in index order, the last one partial), and computes the states between them.
 */
export function updateChunks({ context, salt, update, lInf, params }: UpdateCommitmentArgs): UpdateChunk[] {
  const n = update.indices.length;
  if (update.values.length !== n) {
    throw new ZkInputError(`update has ${n} indices but ${update.values.length} values`);
  }
  const chunks: UpdateChunk[] = [];
  let before = startState({ context, salt });
  let previous = 0n;
  for (let c = 0; c < chunkCount({ entries: n, K: params.K }); c++) {
    const from = c * params.K;
    const to = Math.min(n, from + params.K);
    if (c > 0 && update.indices[from - 1]! >= update.indices[from]!) {
      throw new ZkInputError(
        `indices must strictly increase: ${update.indices[from - 1]} then ${update.indices[from]} at position ${from}`,
      );
    }
    const entries = packEntries({
      update: {
        dimension: update.dimension,
        indices: update.indices.subarray(from, to),
        values: update.values.subarray(from, to),
      },
      lInf,
      K: params.K,
      valBits: params.VAL_BITS,
      idxBits: params.IDX_BITS,
    });
    const after = advanceState({ state: before, entries, count: to - from, lInf, params });
    const commitment = stateCommitment({ context, state: after });
    chunks.push({ entries, count: to - from, before, after, previous, commitment });
    before = after;
    previous = commitment;
  }
  return chunks;
}

/**
 * The public commitment to one update, bit-identical to the circuit's: the state after its last chunk. It
 * binds (task, round, member) through `context`, hides the entries behind `salt`, and depends on the circuit
 * shape (K, IDX_BITS, VAL_BITS) and lInf.
 */
export function computeCommitment(args: UpdateCommitmentArgs): bigint {
  const chunks = updateChunks(args);
  return chunks[chunks.length - 1]!.commitment;
}
