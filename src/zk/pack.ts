import type { SparseUpdate, UpdateContext } from "../sparse/types.js";
import { ZkInputError } from "./errors.js";
import type { CircuitParams, PolicyBounds } from "./types.js";

const UINT32_MAX = 0xffff_ffff;

function requireUint32(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 0 || value > UINT32_MAX) {
    throw new ZkInputError(`${name} must be an integer in [0, 2^32), got ${value}`);
  }
}

function requireBelowPow2(name: string, value: bigint | number, bits: number): bigint {
  if (typeof value === "number" && !Number.isSafeInteger(value)) {
    throw new ZkInputError(`${name} must be a safe integer, got ${value}`);
  }
  const v = BigInt(value);
  if (v < 0n || v >= 1n << BigInt(bits)) {
    throw new ZkInputError(`${name} must be in [0, 2^${bits}), got ${v}`);
  }
  return v;
}

/** context = task << 192 | round << 160 | member: one public input binding the proof to who, where and when. */
export function packContext({ task, round, member }: UpdateContext): bigint {
  requireUint32("task", task);
  requireUint32("round", round);
  if (!/^0x[0-9a-fA-F]{40}$/.test(member)) {
    throw new ZkInputError(`member must be a 0x-prefixed 20-byte address, got "${member}"`);
  }
  return (BigInt(task) << 192n) | (BigInt(round) << 160n) | BigInt(member);
}

/** Inverse of packContext (member as lower-case hex). */
export function unpackContext(context: bigint): UpdateContext {
  if (context < 0n || context >= 1n << 224n)
    throw new ZkInputError(`context must be below 2^224, got ${context}`);
  return {
    task: Number(context >> 192n),
    round: Number((context >> 160n) & 0xffff_ffffn),
    member: `0x${(context & ((1n << 160n) - 1n)).toString(16).padStart(40, "0")}`,
  };
}

/** bounds = d | k << 32 | lInf << 64 | l2Sq << 128: the policy as one public input. */
export function packBounds({ d, k, lInf, l2Sq }: PolicyBounds): bigint {
  requireUint32("d", d);
  requireUint32("k", k);
  const linf = requireBelowPow2("lInf", lInf, 64);
  const l2 = requireBelowPow2("l2Sq", l2Sq, 96);
  return BigInt(d) | (BigInt(k) << 32n) | (linf << 64n) | (l2 << 128n);
}

/** Inverse of packBounds. */
export function unpackBounds(bounds: bigint): PolicyBounds {
  if (bounds < 0n || bounds >= 1n << 224n)
    throw new ZkInputError(`bounds must be below 2^224, got ${bounds}`);
  return {
    d: Number(bounds & 0xffff_ffffn),
    k: Number((bounds >> 32n) & 0xffff_ffffn),
    lInf: (bounds >> 64n) & ((1n << 64n) - 1n),
    l2Sq: (bounds >> 128n) & ((1n << 96n) - 1n),
  };
}

/** Checks what the circuit will check, so a bad update fails here with a message instead of in the prover. */
export function checkUpdateAgainstBounds({
  update,
  bounds,
  params,
}: {
  update: SparseUpdate;
  bounds: PolicyBounds;
  params: CircuitParams;
}): void {
  const { d, k } = bounds;
  const lInf = BigInt(bounds.lInf);
  const l2Sq = BigInt(bounds.l2Sq);
  if (d < 1 || d > 2 ** params.IDX_BITS) {
    throw new ZkInputError(`policy d=${d} must be in [1, 2^${params.IDX_BITS}] for this circuit`);
  }
  if (2n * lInf >= 1n << BigInt(params.VAL_BITS)) {
    throw new ZkInputError(
      `policy lInf=${lInf} too large for VAL_BITS=${params.VAL_BITS} (needs 2*lInf < 2^VAL_BITS)`,
    );
  }
  if (update.dimension !== d)
    throw new ZkInputError(`update dimension ${update.dimension} differs from policy d=${d}`);
  if (update.indices.length > k)
    throw new ZkInputError(`update has ${update.indices.length} entries, policy k=${k}`);
  let sum = 0n;
  for (const v of update.values) sum += BigInt(v) * BigInt(v);
  if (sum > l2Sq) throw new ZkInputError(`update's sum of squares ${sum} exceeds l2Sq=${l2Sq}`);
  // Order, value range and bit widths over the whole update (chunks split it into K slots each later).
  packEntries({
    update,
    lInf,
    K: Math.max(1, update.indices.length),
    valBits: params.VAL_BITS,
    idxBits: params.IDX_BITS,
  });
  for (const idx of update.indices) {
    if (idx >= d) throw new ZkInputError(`index ${idx} is not below d=${d}`);
  }
}

/**
 * The circuit's private entries: entry = idx * 2^valBits + (value + lInf) for each non-zero, then zeros up
 * to K slots. Rejects what no honest proof could carry (unsorted or duplicate indices, |value| > lInf, too
 * many entries, values or indices that do not fit their bit widths).
 */
export function packEntries({
  update,
  lInf,
  K,
  valBits,
  idxBits = 32,
}: {
  update: SparseUpdate;
  lInf: bigint | number;
  K: number;
  valBits: number;
  idxBits?: number;
}): bigint[] {
  const { indices, values } = update;
  if (indices.length !== values.length) {
    throw new ZkInputError(`update has ${indices.length} indices but ${values.length} values`);
  }
  if (!Number.isInteger(K) || K < 1) throw new ZkInputError(`K must be a positive integer, got ${K}`);
  if (indices.length > K)
    throw new ZkInputError(`update has ${indices.length} entries, the circuit has ${K} slots`);
  const offset = requireBelowPow2("lInf", lInf, 64);
  if (2n * offset >= 1n << BigInt(valBits)) {
    throw new ZkInputError(`lInf=${offset} too large for valBits=${valBits} (needs 2*lInf < 2^valBits)`);
  }
  const shift = BigInt(valBits);
  const idxLimit = 2 ** idxBits;
  const entries: bigint[] = new Array<bigint>(K).fill(0n);
  for (let i = 0; i < indices.length; i++) {
    const idx = indices[i]!;
    const value = BigInt(values[i]!);
    if (i > 0 && idx <= indices[i - 1]!) {
      throw new ZkInputError(
        `indices must strictly increase: ${indices[i - 1]} then ${idx} at position ${i}`,
      );
    }
    if (idx >= idxLimit) throw new ZkInputError(`index ${idx} does not fit ${idxBits} bits`);
    if (value > offset || value < -offset) {
      throw new ZkInputError(`value ${value} at index ${idx} exceeds the L-infinity bound ${offset}`);
    }
    entries[i] = (BigInt(idx) << shift) | (value + offset);
  }
  return entries;
}
