/** Shared helpers for the circuit tests: raw (unvalidated) witness inputs and witness-generation probes. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as snarkjs from "snarkjs";
import {
  loadCircuitArtifacts,
  packBounds,
  packContext,
  type CircuitArtifacts,
  type CircuitParams,
  type PolicyBounds,
  type UpdateWitnessInput,
} from "../../src/zk/index.js";
import type { UpdateContext } from "../../src/sparse/types.js";
import { REPO_ROOT } from "../../src/zk/setup/index.js";
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

let testArtifacts: Promise<CircuitArtifacts> | undefined;
/** The `test` instance's artifacts (built once per process; cached on disk across runs). */
export function artifacts(): Promise<CircuitArtifacts> {
  testArtifacts ??= loadCircuitArtifacts({ instance: "test" });
  return testArtifacts;
}

export const CONTEXT: UpdateContext = { task: 7, round: 3, member: "0x" + "ab".repeat(20) };
export const BOUNDS: PolicyBounds = { d: 1000, k: 12, lInf: 2000n, l2Sq: 2000n * 2000n * 6n };
export const SALT = 0x1234_5678_9abc_def0_1234_5678_9abc_def0_1234_5678_9abc_def0n;

/** The BN254 scalar field (written out: the reference below takes nothing from src/zk). */
const p = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;
const mod = (x: bigint): bigint => ((x % p) + p) % p;

const POSEIDON: Record<number, (xs: bigint[]) => bigint> = {
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
/** Poseidon over field elements (inputs reduced mod p first). */
const hash = (xs: readonly bigint[]): bigint => POSEIDON[xs.length]!(xs.map(mod));

/*
 * A reference implementation of the chunked commitment, written from the header comment of
 * circuits/update_bounds.circom and using nothing of src/zk, so that it can serve as an oracle for the code it
 * checks:
 *
 *   context = task << 192 | round << 160 | member
 *   entry   = idx * 2^VAL_BITS + (value + lInf); an update of n entries (index order) is max(1, ceil(n / K))
 *             chunks of K slots, K entries per chunk, the last one partial and padded with 0
 *   lane j  = sum over t of entry[j * L + t] * 2^(t * (IDX_BITS + VAL_BITS)), L = floor(253 / (IDX_BITS + VAL_BITS))
 *   state   = (chain, sumSquares, next, count), starting at (salt, 0, 0, 0); per chunk
 *             count += active entries, chain = Poseidon(chain, count, lanes[0..14)), then
 *             chain = Poseidon(chain, next <= 15 lanes) while lanes remain, sumSquares += value^2 per entry,
 *             next = last index + 1 (unchanged by an empty chunk)
 *   value   = Poseidon(context, chain, sumSquares + next * 2^96 + count * 2^129): a chunk's `commitment`, the next one's
 *             `previous` (0 before the first), the last one's the update's commitment
 *
 * The Poseidon function itself is poseidon-lite (circomlib's parameters), as in src/zk; the circuit, which
 * uses circomlib's Poseidon template, is the independent check of that part.
 */

/** The running state a chunk carries to the next (see the comment above). */
export interface RawState {
  readonly chain: bigint;
  readonly sumSquares: bigint;
  readonly next: bigint;
  readonly count: bigint;
}

export function referenceContext({ task, round, member }: UpdateContext): bigint {
  return (BigInt(task) << 192n) | (BigInt(round) << 160n) | BigInt(member);
}

/** The state before the first chunk: the chain starts at the salt (the context is hashed into every state). */
export function referenceStart({ salt }: { salt: bigint }): RawState {
  return { chain: mod(salt), sumSquares: 0n, next: 0n, count: 0n };
}

/** The public value of a state: Poseidon(context, chain, sumSquares + next * 2^96 + count * 2^129). */
export function referenceStateValue({ context, state }: { context: bigint; state: RawState }): bigint {
  return hash([
    context,
    state.chain,
    mod(state.sumSquares + state.next * 2n ** 96n + state.count * 2n ** 129n),
  ]);
}

/** The K packed entries of one chunk (at most K entries, in index order; later slots 0). */
export function referenceEntries({
  indices,
  values,
  lInf,
  params,
}: {
  indices: readonly number[];
  values: readonly number[];
  lInf: bigint;
  params: CircuitParams;
}): bigint[] {
  if (indices.length > params.K) throw new Error(`${indices.length} entries do not fit ${params.K} slots`);
  const entries = indices.map(
    (idx, i) => BigInt(idx) * 2n ** BigInt(params.VAL_BITS) + BigInt(values[i]!) + lInf,
  );
  while (entries.length < params.K) entries.push(0n);
  return entries;
}

/** The lanes of K entries, for arbitrary field elements as entries (summed mod p, no range checks). */
export function referenceLanes({
  entries,
  params,
}: {
  entries: readonly bigint[];
  params: CircuitParams;
}): bigint[] {
  const perLane = Math.floor(253 / (params.IDX_BITS + params.VAL_BITS));
  const width = BigInt(params.IDX_BITS + params.VAL_BITS);
  const lanes: bigint[] = [];
  for (let s = 0; s < params.K; s += perLane) {
    let lane = 0n;
    for (let t = 0; t < perLane && s + t < params.K; t++)
      lane = mod(lane + mod(entries[s + t]!) * (1n << (BigInt(t) * width)));
    lanes.push(lane);
  }
  return lanes;
}

/**
 * The state after one chunk of K slots, for arbitrary field elements as entries and flags: entry i is read
 * as its low VAL_BITS bits (u, value = u - lInf) and the IDX_BITS above them (the index), as the circuit's
 * bit decomposition reads an entry that has one; count adds the flags. Also what crafted inputs use, so that
 * they fail only at the constraint under test, not at the commitment.
 */
export function rawAdvance({
  state,
  entries,
  active,
  lInf,
  params,
}: {
  state: RawState;
  entries: readonly bigint[];
  active: readonly bigint[];
  lInf: bigint;
  params: CircuitParams;
}): RawState {
  const valBits = BigInt(params.VAL_BITS);
  let sumSquares = state.sumSquares;
  let next = state.next;
  let count = state.count;
  for (let i = 0; i < params.K; i++) {
    if (mod(active[i]!) === 0n) continue;
    const e = mod(entries[i]!);
    const value = (e & ((1n << valBits) - 1n)) - lInf;
    sumSquares += value * value;
    next = ((e >> valBits) & ((1n << BigInt(params.IDX_BITS)) - 1n)) + 1n;
    count += mod(active[i]!);
  }
  const lanes = referenceLanes({ entries, params });
  const first = Math.min(lanes.length, 14);
  let chain = hash([state.chain, count, ...lanes.slice(0, first)]);
  for (let c = first; c < lanes.length; c += 15) chain = hash([chain, ...lanes.slice(c, c + 15)]);
  return { chain, sumSquares, next, count };
}

/** One chunk of an honest update as the reference splits it. */
export interface ReferenceChunk {
  readonly entries: bigint[];
  readonly count: number;
  readonly before: RawState;
  readonly after: RawState;
  /** The value of `before`, or 0 for the first chunk. */
  readonly previous: bigint;
  /** The value of `after`. */
  readonly commitment: bigint;
}

/** The chunks of an update (entries in index order, K per chunk) and the states between them. */
export function referenceChunks({
  context,
  salt,
  indices,
  values,
  lInf,
  params,
}: {
  context: bigint;
  salt: bigint;
  indices: readonly number[];
  values: readonly number[];
  lInf: bigint;
  params: CircuitParams;
}): ReferenceChunk[] {
  const chunks: ReferenceChunk[] = [];
  let before = referenceStart({ salt });
  let previous = 0n;
  const n = Math.max(1, Math.ceil(indices.length / params.K));
  for (let c = 0; c < n; c++) {
    const from = c * params.K;
    const to = Math.min(indices.length, from + params.K);
    const entries = referenceEntries({
      indices: indices.slice(from, to),
      values: values.slice(from, to),
      lInf,
      params,
    });
    const active = entries.map((_, i) => (i < to - from ? 1n : 0n));
    const after = rawAdvance({ state: before, entries, active, lInf, params });
    const commitment = referenceStateValue({ context, state: after });
    chunks.push({ entries, count: to - from, before, after, previous, commitment });
    before = after;
    previous = commitment;
  }
  return chunks;
}

/** The update's commitment: the value of the state after its last chunk. */
export function referenceCommitment(args: Parameters<typeof referenceChunks>[0]): bigint {
  const chunks = referenceChunks(args);
  return chunks[chunks.length - 1]!.commitment;
}

export interface RawSlot {
  /** The packed entry as a field element (already reduced or not; it is reduced mod p). */
  readonly entry: bigint;
  readonly active: bigint;
}

/** Packs (idx, value) exactly like an honest prover would, without any range validation. */
export function slot(
  idx: number | bigint,
  value: number | bigint,
  lInf: bigint,
  params: CircuitParams,
): RawSlot {
  return { entry: mod((BigInt(idx) << BigInt(params.VAL_BITS)) + BigInt(value) + lInf), active: 1n };
}

/** A chunk's circuit input and the state it ends in (what the next chunk continues). */
export interface RawChunk {
  readonly input: UpdateWitnessInput;
  readonly after: RawState;
}

/**
 * One chunk's circuit input from raw slots (padded with inactive zeros), with a matching commitment unless
 * one is given: the tool for crafting inputs no honest code path would produce.
 *
 * Without `continues` it is a first chunk: previous = 0, the carried-over inputs the start state's, as the
 * product's witness builder sets them (or `opening`'s: the circuit ignores them), and the chunk starts from
 * the start state. With `continues` it continues that state:
 * previous = its value under `context` unless `previous` is given, the private opening (chainIn,
 * sumSquaresIn, nextIn, countIn) is `opening` if given, else `continues` itself, and the commitment is
 * computed from the opening, the state the circuit starts from once `previous` opens.
 */
export function rawChunk({
  slots,
  params,
  bounds = BOUNDS,
  context = CONTEXT,
  salt = SALT,
  rawBounds,
  commitment,
  continues,
  opening,
  previous,
}: {
  slots: readonly RawSlot[];
  params: CircuitParams;
  bounds?: PolicyBounds;
  context?: UpdateContext;
  salt?: bigint;
  rawBounds?: bigint;
  commitment?: bigint;
  continues?: RawState;
  opening?: RawState;
  previous?: bigint;
}): RawChunk {
  const padded: RawSlot[] = [...slots];
  while (padded.length < params.K) padded.push({ entry: 0n, active: 0n });
  const entries = padded.map((s) => mod(s.entry));
  const active = padded.map((s) => mod(s.active));
  const packedContext = packContext(context);
  const initial = referenceStart({ salt });
  const carried = opening ?? continues ?? initial;
  const previousValue =
    previous ??
    (continues === undefined ? 0n : referenceStateValue({ context: packedContext, state: continues }));
  const start = mod(previousValue) === 0n ? initial : carried;
  const after = rawAdvance({ state: start, entries, active, lInf: BigInt(bounds.lInf), params });
  return {
    input: {
      commitment: (commitment ?? referenceStateValue({ context: packedContext, state: after })).toString(),
      context: packedContext.toString(),
      bounds: (rawBounds ?? packBounds(bounds)).toString(),
      previous: previousValue.toString(),
      salt: salt.toString(),
      chainIn: carried.chain.toString(),
      sumSquaresIn: carried.sumSquares.toString(),
      nextIn: carried.next.toString(),
      countIn: carried.count.toString(),
      entries: entries.map(String),
      active: active.map(String),
    },
    after,
  };
}

/** rawChunk's circuit input alone (a first chunk unless `continues` is given). */
export function rawInput(args: Parameters<typeof rawChunk>[0]): UpdateWitnessInput {
  return rawChunk(args).input;
}

/**
 * Consecutive chunks from raw slots, each continuing the state the one before ended in (all other options
 * as rawChunk's, shared by every chunk).
 */
export function rawChunks({
  chunks,
  ...rest
}: { chunks: readonly (readonly RawSlot[])[] } & Omit<
  Parameters<typeof rawChunk>[0],
  "slots" | "continues" | "opening" | "previous" | "commitment"
>): RawChunk[] {
  const out: RawChunk[] = [];
  for (const slots of chunks) {
    out.push(rawChunk({ ...rest, slots, continues: out[out.length - 1]?.after }));
  }
  return out;
}

/** Runs the witness generator; resolves to the witness or to the error message. */
export async function computeWitness(
  input: snarkjs.CircuitSignals,
  wasmPath: string,
): Promise<{ ok: true; witness: bigint[] } | { ok: false; error: string }> {
  const file = { type: "mem" as const };
  try {
    await snarkjs.wtns.calculate(input, wasmPath, file);
    return { ok: true, witness: await snarkjs.wtns.exportJson(file) };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  }
}

const SOURCE_LINES = readFileSync(join(REPO_ROOT, "circuits", "update_bounds.circom"), "utf8").split("\n");

/** 1-based line of the (unique) line of update_bounds.circom containing `marker`. */
export function circuitLine(marker: string): number {
  const hits = SOURCE_LINES.flatMap((l, i) => (l.includes(marker) ? [i + 1] : []));
  if (hits.length !== 1)
    throw new Error(`marker "${marker}" matches ${hits.length} lines of update_bounds.circom`);
  return hits[0]!;
}

/**
 * The circom witness calculator names the failing line of each template in its trace: the main template's
 * or, for the per-slot rules, ChunkSlots's.
 */
export function failsAt(error: string, marker: string): boolean {
  return new RegExp(`(UpdateBounds|ChunkSlots)_\\d+ line: ${circuitLine(marker)}\\b`).test(error);
}
