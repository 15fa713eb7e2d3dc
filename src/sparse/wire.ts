import type { SparseUpdate } from "./types.js";

/**
 * The update wire format, version 2. Specified in docs/wire-format.md; summary:
 *
 *   magic "CFLU" | version u8 = 2 | count varint | salt 32 bytes BE (< BN254 r) | count index varints |
 *   count value varints
 *
 * Varints are unsigned LEB128, minimal, at most 5 bytes (uint32). The first index is absolute, every
 * later one is stored as (gap - 1): indices strictly increase by construction and every byte string
 * has at most one meaning. Values are zigzag-encoded int32.
 *
 * The update's slot (task, round, member), its dimension d and its fixed-point scale are not in the bytes:
 * every reader knows them before decoding (the commit names the slot, the task policy fixes d and the
 * scale), the sealed envelope binds the slot, and the commitment binds the slot and the policy. Version 1
 * carried all five (33-36 bytes of every update) only for readers to check them against what they knew.
 */
export const WIRE_MAGIC = Object.freeze([0x43, 0x46, 0x4c, 0x55]); // "CFLU"
export const WIRE_VERSION = 2;

/** The BN254 scalar field modulus: the salt enters the Poseidon commitment, so it must be a field element. */
export const BN254_FIELD_MODULUS =
  21888242871839275222246405745257275088548364400416034343698204186575808495617n;

const FIXED_HEADER_BYTES = 4 + 1;
const SALT_BYTES = 32;
const MAX_VARINT_BYTES = 5;
/** Every entry takes at least one index byte and one value byte. */
const MIN_ENTRY_BYTES = 2;

export type WireFormatErrorCode =
  | "bad-magic"
  | "unsupported-version"
  | "truncated"
  | "count-exceeds-limit"
  | "dimension-exceeds-limit"
  | "bad-dimension"
  | "bad-scale"
  | "index-order"
  | "index-out-of-range"
  | "varint-overflow"
  | "varint-non-canonical"
  | "trailing-bytes"
  | "salt-out-of-field"
  | "bad-header"
  | "bad-limits";

/** Bytes that are not a valid update, or an update/header that cannot be encoded. */
export class WireFormatError extends Error {
  readonly code: WireFormatErrorCode;
  /** Byte offset where decoding failed, when decoding. */
  readonly offset: number | undefined;

  constructor(code: WireFormatErrorCode, message: string, offset?: number) {
    super(offset === undefined ? message : `${message} (at byte ${offset})`);
    this.name = "WireFormatError";
    this.code = code;
    this.offset = offset;
  }
}

export interface UpdateHeader {
  /** Task id (uint32). */
  readonly task: number;
  /** Round number (uint32). */
  readonly round: number;
  /** Sender's address, 0x-prefixed; decoded as lower case. */
  readonly member: string;
  /** Fixed-point scale of the values (uint32, >= 1). */
  readonly scale: number;
  /** Commitment salt, a BN254 field element. */
  readonly salt: bigint;
}

/** What the decoder knows before it reads the bytes: the slot from the commit, d and scale from the policy. */
export interface UpdateSlot {
  /** Task id (uint32). */
  readonly task: number;
  /** Round number (uint32). */
  readonly round: number;
  /** The committing member's address, 0x-prefixed; the decoded header carries it in lower case. */
  readonly member: string;
  /** The policy's dimension d (>= 1). */
  readonly dimension: number;
  /** The policy's fixed-point scale (>= 1). */
  readonly scale: number;
}

export interface DecodeLimits {
  /** The policy's k: the most entries an update may carry. */
  readonly maxCount: number;
  /** The policy's d (or a larger cap): the largest dimension accepted. */
  readonly maxDimension: number;
}

export interface DecodedUpdate {
  readonly header: UpdateHeader;
  readonly update: SparseUpdate;
}

function isUint32(x: number): boolean {
  return Number.isInteger(x) && x >= 0 && x <= 0xffffffff;
}

function varintLength(value: number): number {
  let n = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 128);
    n++;
  }
  return n;
}

function zigzag(value: number): number {
  return value >= 0 ? value * 2 : -value * 2 - 1;
}

class Writer {
  readonly bytes: Uint8Array;
  offset = 0;

  constructor(size: number) {
    this.bytes = new Uint8Array(size);
  }

  byte(b: number): void {
    this.bytes[this.offset++] = b;
  }

  varint(value: number): void {
    while (value >= 0x80) {
      this.byte((value & 0x7f) | 0x80);
      value = Math.floor(value / 128);
    }
    this.byte(value);
  }
}

function memberBytes(member: string): Uint8Array {
  if (typeof member !== "string" || !/^0x[0-9a-fA-F]{40}$/.test(member)) {
    throw new WireFormatError(
      "bad-header",
      `member must be a 0x-prefixed 20-byte address, got "${String(member)}"`,
    );
  }
  return Uint8Array.from(Buffer.from(member.slice(2), "hex"));
}

/**
 * Encodes one update in wire format version 2. The header's task, round, member and scale and the update's
 * dimension are checked but not written (the reader supplies them to `decodeUpdate`). Throws WireFormatError
 * when the input cannot be encoded.
 */
export function encodeUpdate({ header, update }: { header: UpdateHeader; update: SparseUpdate }): Uint8Array {
  const { task, round, member, scale, salt } = header;
  if (!isUint32(task)) throw new WireFormatError("bad-header", `task must be a uint32, got ${task}`);
  if (!isUint32(round)) throw new WireFormatError("bad-header", `round must be a uint32, got ${round}`);
  if (!isUint32(scale) || scale < 1) {
    throw new WireFormatError("bad-scale", `scale must be an integer in [1, 2^32-1], got ${scale}`);
  }
  if (typeof salt !== "bigint" || salt < 0n || salt >= BN254_FIELD_MODULUS) {
    throw new WireFormatError(
      "salt-out-of-field",
      `salt must be a bigint in [0, BN254 r), got ${String(salt)}`,
    );
  }
  memberBytes(member);
  const { dimension, indices, values } = update;
  if (!isUint32(dimension) || dimension < 1) {
    throw new WireFormatError(
      "bad-dimension",
      `dimension must be an integer in [1, 2^32-1], got ${dimension}`,
    );
  }
  if (!(indices instanceof Uint32Array) || !(values instanceof Int32Array)) {
    throw new WireFormatError("bad-header", "update needs indices as Uint32Array and values as Int32Array");
  }
  const count = indices.length;
  if (values.length !== count) {
    throw new WireFormatError("bad-header", `${count} indices but ${values.length} values`);
  }

  let size = FIXED_HEADER_BYTES + varintLength(count) + SALT_BYTES;
  let previous = -1;
  for (let i = 0; i < count; i++) {
    const index = indices[i] as number;
    if (index <= previous) {
      throw new WireFormatError(
        "index-order",
        `indices must strictly increase: indices[${i}] = ${index} after ${previous}`,
      );
    }
    if (index >= dimension) {
      throw new WireFormatError(
        "index-out-of-range",
        `indices[${i}] = ${index} is not below d = ${dimension}`,
      );
    }
    size += varintLength(i === 0 ? index : index - previous - 1) + varintLength(zigzag(values[i] as number));
    previous = index;
  }

  const writer = new Writer(size);
  for (const b of WIRE_MAGIC) writer.byte(b);
  writer.byte(WIRE_VERSION);
  writer.varint(count);
  let s = salt;
  for (let i = SALT_BYTES - 1; i >= 0; i--) {
    writer.bytes[writer.offset + i] = Number(s & 0xffn);
    s >>= 8n;
  }
  writer.offset += SALT_BYTES;
  previous = -1;
  for (let i = 0; i < count; i++) {
    const index = indices[i] as number;
    writer.varint(i === 0 ? index : index - previous - 1);
    previous = index;
  }
  for (let i = 0; i < count; i++) writer.varint(zigzag(values[i] as number));
  return writer.bytes;
}

class Reader {
  offset = 0;

  constructor(readonly bytes: Uint8Array) {}

  need(n: number, what: string): void {
    if (this.bytes.length - this.offset < n) {
      throw new WireFormatError(
        "truncated",
        `input ends inside the ${what}: ${n} bytes needed, ${this.bytes.length - this.offset} left`,
        this.offset,
      );
    }
  }

  byte(what: string): number {
    this.need(1, what);
    return this.bytes[this.offset++] as number;
  }

  /** Minimal unsigned LEB128 of at most 5 bytes, value < 2^32. */
  varint(what: string): number {
    const start = this.offset;
    // Fast path: one byte, the common case for index gaps and small values.
    const first = this.bytes[start];
    if (first !== undefined && first < 0x80) {
      this.offset = start + 1;
      return first;
    }
    let value = 0;
    let multiplier = 1;
    for (let i = 0; i < MAX_VARINT_BYTES; i++) {
      const b = this.byte(what);
      if (i === MAX_VARINT_BYTES - 1 && b > 0x0f) {
        throw new WireFormatError("varint-overflow", `the ${what} does not fit in 32 bits`, start);
      }
      value += (b & 0x7f) * multiplier;
      if ((b & 0x80) === 0) {
        if (b === 0 && i > 0) {
          throw new WireFormatError(
            "varint-non-canonical",
            `the ${what} has a redundant trailing zero byte`,
            start,
          );
        }
        return value;
      }
      multiplier *= 128;
    }
    throw new WireFormatError(
      "varint-overflow",
      `the ${what} is longer than ${MAX_VARINT_BYTES} bytes`,
      start,
    );
  }
}

function checkLimits(limits: DecodeLimits): DecodeLimits {
  if (typeof limits !== "object" || limits === null) {
    throw new WireFormatError("bad-limits", "decodeUpdate needs limits { maxCount, maxDimension }");
  }
  const { maxCount, maxDimension } = limits;
  if (!Number.isSafeInteger(maxCount) || maxCount < 0) {
    throw new WireFormatError(
      "bad-limits",
      `limits.maxCount must be a non-negative integer, got ${maxCount}`,
    );
  }
  if (!Number.isSafeInteger(maxDimension) || maxDimension < 1) {
    throw new WireFormatError(
      "bad-limits",
      `limits.maxDimension must be a positive integer, got ${maxDimension}`,
    );
  }
  return limits;
}

/**
 * Decodes an update, trusting nothing in it: every length is checked against the caller's limits and
 * against the bytes actually present before anything is allocated. Any malformed input throws a
 * WireFormatError whose code and message say what is wrong; nothing else is ever thrown for bad bytes.
 */
export function decodeUpdate({
  bytes,
  limits,
  slot,
}: {
  bytes: Uint8Array;
  limits: DecodeLimits;
  /** The update's slot, dimension and scale, as the reader knows them (not in the bytes). */
  slot: UpdateSlot;
}): DecodedUpdate {
  const { maxCount, maxDimension } = checkLimits(limits);
  const { task, round, member, dimension, scale } = checkSlot(slot);
  if (dimension > maxDimension) {
    throw new WireFormatError(
      "dimension-exceeds-limit",
      `dimension d = ${dimension} exceeds the limit ${maxDimension}`,
    );
  }
  if (!(bytes instanceof Uint8Array)) {
    throw new WireFormatError("truncated", "update bytes must be a Uint8Array");
  }
  const reader = new Reader(bytes);
  reader.need(4, "magic");
  for (let i = 0; i < 4; i++) {
    if (bytes[i] !== WIRE_MAGIC[i]) {
      throw new WireFormatError("bad-magic", `not a circular-fl update: the first bytes are not "CFLU"`, 0);
    }
  }
  reader.offset = 4;
  const version = reader.byte("version");
  if (version !== WIRE_VERSION) {
    throw new WireFormatError(
      "unsupported-version",
      `wire format version ${version} is not supported (only ${WIRE_VERSION})`,
      4,
    );
  }
  const countOffset = reader.offset;
  const count = reader.varint("entry count");
  if (count > maxCount) {
    throw new WireFormatError(
      "count-exceeds-limit",
      `entry count ${count} exceeds the policy's k = ${maxCount}`,
      countOffset,
    );
  }
  if (count > dimension) {
    throw new WireFormatError(
      "count-exceeds-limit",
      `entry count ${count} exceeds the dimension d = ${dimension}`,
      countOffset,
    );
  }

  reader.need(SALT_BYTES, "salt");
  let salt = 0n;
  for (let i = 0; i < SALT_BYTES; i++) salt = (salt << 8n) | BigInt(bytes[reader.offset + i] as number);
  if (salt >= BN254_FIELD_MODULUS) {
    throw new WireFormatError(
      "salt-out-of-field",
      "salt is not below the BN254 field modulus",
      reader.offset,
    );
  }
  reader.offset += SALT_BYTES;

  // Only now, with count bounded by the policy and by the bytes present, is allocation safe.
  reader.need(count * MIN_ENTRY_BYTES, `${count} entries`);
  const indices = new Uint32Array(count);
  const values = new Int32Array(count);
  let previous = -1;
  for (let i = 0; i < count; i++) {
    const entryOffset = reader.offset;
    const encoded = reader.varint(`index ${i}`);
    const index = i === 0 ? encoded : previous + 1 + encoded;
    if (index >= dimension) {
      throw new WireFormatError(
        "index-out-of-range",
        `index ${i} is ${index}, not below d = ${dimension}`,
        entryOffset,
      );
    }
    indices[i] = index;
    previous = index;
  }
  for (let i = 0; i < count; i++) {
    const z = reader.varint(`value ${i}`);
    // Zigzag of a uint32 is always an int32.
    values[i] = z % 2 === 0 ? z / 2 : -(z + 1) / 2;
  }
  if (reader.offset !== bytes.length) {
    throw new WireFormatError(
      "trailing-bytes",
      `${bytes.length - reader.offset} bytes follow the last value`,
      reader.offset,
    );
  }
  return {
    header: { task, round, member: member.toLowerCase(), scale, salt },
    update: { dimension, indices, values },
  };
}

function checkSlot(slot: UpdateSlot): UpdateSlot {
  if (typeof slot !== "object" || slot === null) {
    throw new WireFormatError(
      "bad-header",
      "decodeUpdate needs the update's slot { task, round, member, dimension, scale }",
    );
  }
  const { task, round, member, dimension, scale } = slot;
  if (!isUint32(task)) throw new WireFormatError("bad-header", `slot.task must be a uint32, got ${task}`);
  if (!isUint32(round)) throw new WireFormatError("bad-header", `slot.round must be a uint32, got ${round}`);
  memberBytes(member);
  if (!isUint32(dimension) || dimension < 1) {
    throw new WireFormatError(
      "bad-dimension",
      `slot.dimension must be an integer in [1, 2^32-1], got ${dimension}`,
    );
  }
  if (!isUint32(scale) || scale < 1) {
    throw new WireFormatError("bad-scale", `slot.scale must be an integer in [1, 2^32-1], got ${scale}`);
  }
  return slot;
}
