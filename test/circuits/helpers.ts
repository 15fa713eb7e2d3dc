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

/**
 * A reference implementation of the commitment, written from circuits/README.md ("Public inputs",
 * "Commitment") and using nothing of src/zk, so that it can serve as an oracle for the code it checks:
 *
 *   context = task << 192 | round << 160 | member
 *   entry   = idx * 2^VAL_BITS + (value + lInf) for the update's entries in index order; later slots 0
 *   lane j  = sum over t of entry[j * L + t] * 2^(t * (IDX_BITS + VAL_BITS)), L = floor(253 / (IDX_BITS + VAL_BITS))
 *   h       = Poseidon(context, salt, count); for each chunk of at most 15 lanes, h = Poseidon(h, chunk...)
 *
 * The Poseidon function itself is poseidon-lite (circomlib's parameters), as in src/zk; the circuit, which
 * uses circomlib's Poseidon template, is the independent check of that part.
 */
export function referenceContext({ task, round, member }: UpdateContext): bigint {
  return (BigInt(task) << 192n) | (BigInt(round) << 160n) | BigInt(member);
}

/** The K packed entries of an update (see referenceContext). */
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
  const entries = indices.map(
    (idx, i) => BigInt(idx) * 2n ** BigInt(params.VAL_BITS) + BigInt(values[i]!) + lInf,
  );
  while (entries.length < params.K) entries.push(0n);
  return entries;
}

/**
 * The commitment the circuit would compute (see referenceContext), for arbitrary field elements as entries
 * (lanes summed mod p, no range checks): also what crafted inputs use, so that they fail only at the
 * constraint under test, not at the commitment.
 */
export function rawCommitment({
  context,
  salt,
  entries,
  count,
  params,
}: {
  context: bigint;
  salt: bigint;
  entries: readonly bigint[];
  count: bigint;
  params: CircuitParams;
}): bigint {
  const perLane = Math.floor(253 / (params.IDX_BITS + params.VAL_BITS));
  const width = BigInt(params.IDX_BITS + params.VAL_BITS);
  const lanes: bigint[] = [];
  for (let s = 0; s < params.K; s += perLane) {
    let lane = 0n;
    for (let t = 0; t < perLane && s + t < params.K; t++)
      lane = mod(lane + mod(entries[s + t]!) * (1n << (BigInt(t) * width)));
    lanes.push(lane);
  }
  let h = poseidon3([context, salt, mod(count)]);
  for (let c = 0; c < lanes.length; c += 15) {
    const chunk = [h, ...lanes.slice(c, c + 15)];
    h = POSEIDON[chunk.length]!(chunk);
  }
  return h;
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

/**
 * A circuit input from raw slots (padded with inactive zeros), with a matching commitment unless one is
 * given: the tool for crafting inputs no honest code path would produce.
 */
export function rawInput({
  slots,
  params,
  bounds = BOUNDS,
  context = CONTEXT,
  salt = SALT,
  rawBounds,
  commitment,
  count,
}: {
  slots: readonly RawSlot[];
  params: CircuitParams;
  bounds?: PolicyBounds;
  context?: UpdateContext;
  salt?: bigint;
  rawBounds?: bigint;
  commitment?: bigint;
  count?: bigint;
}): UpdateWitnessInput {
  const padded: RawSlot[] = [...slots];
  while (padded.length < params.K) padded.push({ entry: 0n, active: 0n });
  const entries = padded.map((s) => mod(s.entry));
  const active = padded.map((s) => mod(s.active));
  const packedContext = packContext(context);
  const activeCount = count ?? active.reduce((a, b) => a + b, 0n);
  return {
    commitment: (
      commitment ?? rawCommitment({ context: packedContext, salt, entries, count: activeCount, params })
    ).toString(),
    context: packedContext.toString(),
    bounds: (rawBounds ?? packBounds(bounds)).toString(),
    salt: salt.toString(),
    entries: entries.map(String),
    active: active.map(String),
  };
}

/** Runs the witness generator; resolves to the witness or to the error message. */
export async function computeWitness(
  input: UpdateWitnessInput,
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

/** The circom witness calculator names the failing line of the main template last in its trace. */
export function failsAt(error: string, marker: string): boolean {
  return new RegExp(`UpdateBounds_\\d+ line: ${circuitLine(marker)}\\b`).test(error);
}
