import { randomBytes } from "node:crypto";
import { chacha20poly1305 } from "@noble/ciphers/chacha.js";
import { x25519 } from "@noble/curves/ed25519.js";
import { hkdf } from "@noble/hashes/hkdf.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { addressBytes, checkKey, concat, contextBytes, equalBytes, KEY_BYTES } from "./bytes.js";
import {
  SealError,
  type ReaderKeyPair,
  type SealOpener,
  type SealRecipient,
  type UpdateContext,
} from "./types.js";

/**
 * Sealed envelope, version 1 (specified in docs/wire-format.md, "Sealed envelope"):
 *
 *   magic "CFLS" | version u8 = 1 | task u32 BE | round u32 BE | member 20 | reader count u16 BE
 *   reader count x { reader id 20 | reader public key 32 | ephemeral public key 32 | wrapped content key 48 }
 *   payload nonce 12 | ChaCha20-Poly1305(content key, nonce, payload, aad = every byte before the ciphertext)
 *
 * Content key: 32 random bytes, used for this payload only. Per reader a fresh ephemeral X25519 key;
 * wrap key = HKDF-SHA256(ikm = X25519(ephemeral secret, reader public), salt = ephemeral public || reader
 * public, info = "circular-fl/seal/v1/wrap" || task || round || member), and the content key is sealed
 * with ChaCha20-Poly1305 under the wrap key, a zero nonce (the wrap key is single-use) and
 * aad = the fixed header || this reader's record without the wrapped key.
 */
const MAGIC = Uint8Array.from([0x43, 0x46, 0x4c, 0x53]); // "CFLS"
export const SEAL_VERSION = 1;
const FIXED_HEADER_BYTES = 4 + 1 + 4 + 4 + 20 + 2;

const TAG_BYTES = 16;
const NONCE_BYTES = 12;
const ID_BYTES = 20;
const WRAPPED_KEY_BYTES = KEY_BYTES + TAG_BYTES;
const RECORD_BYTES = ID_BYTES + KEY_BYTES + KEY_BYTES + WRAPPED_KEY_BYTES;
/** Far above any realistic reader set, small enough that a forged count cannot cost much. */
export const MAX_READERS = 1024;
const WRAP_INFO = new TextEncoder().encode("circular-fl/seal/v1/wrap");
const ZERO_NONCE = new Uint8Array(NONCE_BYTES);

export function generateReaderKeyPair(): ReaderKeyPair {
  const secretKey = x25519.utils.randomSecretKey();
  return { publicKey: x25519.getPublicKey(secretKey), secretKey };
}

export function readerPublicKey(secretKey: Uint8Array): Uint8Array {
  checkKey(secretKey, "secret key");
  return x25519.getPublicKey(secretKey);
}

function wrapKey(
  shared: Uint8Array,
  ephemeralPublic: Uint8Array,
  readerPublic: Uint8Array,
  context: Uint8Array,
) {
  return hkdf(sha256, shared, concat(ephemeralPublic, readerPublic), concat(WRAP_INFO, context), KEY_BYTES);
}

/**
 * Encrypts a payload so that only the listed readers can open it, bound to (task, round, member):
 * a payload copied into another round, task or member's slot will not open there.
 */
export function sealPayload({
  payload,
  readers,
  context,
}: {
  payload: Uint8Array;
  readers: readonly SealRecipient[];
  context: UpdateContext;
}): Uint8Array {
  if (!(payload instanceof Uint8Array)) throw new SealError("invalid-input", "payload must be a Uint8Array");
  if (readers.length === 0 || readers.length > MAX_READERS) {
    throw new SealError(
      "invalid-input",
      `between 1 and ${MAX_READERS} readers are needed, got ${readers.length}`,
    );
  }
  const ctx = contextBytes(context);
  const seen = new Set<string>();
  const ids = readers.map((reader) => {
    const id = addressBytes(reader.id, "reader id");
    const key = reader.id.toLowerCase();
    if (seen.has(key)) throw new SealError("invalid-input", `reader ${reader.id} is listed twice`);
    seen.add(key);
    checkKey(reader.publicKey, `public key of reader ${reader.id}`);
    return id;
  });

  const fixed = new Uint8Array(FIXED_HEADER_BYTES);
  fixed.set(MAGIC, 0);
  fixed[4] = SEAL_VERSION;
  fixed.set(ctx, 5);
  new DataView(fixed.buffer).setUint16(33, readers.length);

  const contentKey = Uint8Array.from(randomBytes(KEY_BYTES));
  const records = readers.map((reader, i) => {
    const ephemeral = x25519.utils.randomSecretKey();
    const ephemeralPublic = x25519.getPublicKey(ephemeral);
    let shared: Uint8Array;
    try {
      shared = x25519.getSharedSecret(ephemeral, reader.publicKey);
    } catch {
      throw new SealError("invalid-input", `public key of reader ${reader.id} is not a usable X25519 key`);
    }
    const recordHead = concat(ids[i] as Uint8Array, reader.publicKey, ephemeralPublic);
    const wrapped = chacha20poly1305(
      wrapKey(shared, ephemeralPublic, reader.publicKey, ctx),
      ZERO_NONCE,
      concat(fixed, recordHead),
    ).encrypt(contentKey);
    return concat(recordHead, wrapped);
  });
  const nonce = Uint8Array.from(randomBytes(NONCE_BYTES));
  const header = concat(fixed, ...records, nonce);
  const ciphertext = chacha20poly1305(contentKey, nonce, header).encrypt(payload);
  return concat(header, ciphertext);
}

/** Sealed-envelope header fields, readable without any key (e.g. to route or to check the context). */
export interface EnvelopeInfo {
  readonly version: number;
  readonly context: UpdateContext;
  readonly readerIds: readonly string[];
  readonly payloadBytes: number;
}

function parse(envelope: Uint8Array) {
  if (!(envelope instanceof Uint8Array)) throw new SealError("malformed", "envelope must be a Uint8Array");
  if (envelope.length < FIXED_HEADER_BYTES) {
    throw new SealError("malformed", `envelope is ${envelope.length} bytes, shorter than its fixed header`);
  }
  if (!equalBytes(envelope.subarray(0, 4), MAGIC)) {
    throw new SealError("malformed", 'not a sealed circular-fl envelope: the first bytes are not "CFLS"');
  }
  if (envelope[4] !== SEAL_VERSION) {
    throw new SealError(
      "malformed",
      `envelope version ${envelope[4]} is not supported (only ${SEAL_VERSION})`,
    );
  }
  const view = new DataView(envelope.buffer, envelope.byteOffset, envelope.byteLength);
  const readerCount = view.getUint16(33);
  if (readerCount === 0 || readerCount > MAX_READERS) {
    throw new SealError("malformed", `envelope lists ${readerCount} readers (1 to ${MAX_READERS} allowed)`);
  }
  const ciphertextOffset = FIXED_HEADER_BYTES + readerCount * RECORD_BYTES + NONCE_BYTES;
  if (envelope.length < ciphertextOffset + TAG_BYTES) {
    throw new SealError(
      "malformed",
      `envelope is ${envelope.length} bytes, too short for ${readerCount} readers and an authentication tag`,
    );
  }
  const context: UpdateContext = {
    task: view.getUint32(5),
    round: view.getUint32(9),
    member: "0x" + Buffer.from(envelope.subarray(13, 33)).toString("hex"),
  };
  return { readerCount, ciphertextOffset, context };
}

export function inspectEnvelope(envelope: Uint8Array): EnvelopeInfo {
  const { readerCount, ciphertextOffset, context } = parse(envelope);
  const readerIds: string[] = [];
  for (let i = 0; i < readerCount; i++) {
    const at = FIXED_HEADER_BYTES + i * RECORD_BYTES;
    readerIds.push("0x" + Buffer.from(envelope.subarray(at, at + ID_BYTES)).toString("hex"));
  }
  return {
    version: SEAL_VERSION,
    context,
    readerIds,
    payloadBytes: envelope.length - ciphertextOffset - TAG_BYTES,
  };
}

/** Opens an envelope as one of its readers, checking that it was sealed for exactly this context. */
export function openPayload({
  envelope,
  reader,
  context,
}: {
  envelope: Uint8Array;
  reader: SealOpener;
  context: UpdateContext;
}): Uint8Array {
  const expected = contextBytes(context);
  const openerId = addressBytes(reader.id, "reader id");
  checkKey(reader.secretKey, "reader secret key");
  const { readerCount, ciphertextOffset, context: sealedFor } = parse(envelope);
  if (!equalBytes(envelope.subarray(5, 33), expected)) {
    throw new SealError(
      "context-mismatch",
      `envelope is sealed for task ${sealedFor.task} round ${sealedFor.round} member ${sealedFor.member}, ` +
        `not task ${context.task} round ${context.round} member ${context.member.toLowerCase()}`,
    );
  }
  let record: Uint8Array | undefined;
  for (let i = 0; i < readerCount && record === undefined; i++) {
    const at = FIXED_HEADER_BYTES + i * RECORD_BYTES;
    if (equalBytes(envelope.subarray(at, at + ID_BYTES), openerId))
      record = envelope.subarray(at, at + RECORD_BYTES);
  }
  if (record === undefined) {
    throw new SealError(
      "not-a-reader",
      `${reader.id} is not among the ${readerCount} readers of this envelope`,
    );
  }
  const sealedToKey = record.subarray(ID_BYTES, ID_BYTES + KEY_BYTES);
  const ownPublic = x25519.getPublicKey(reader.secretKey);
  if (!equalBytes(sealedToKey, ownPublic)) {
    throw new SealError(
      "not-a-reader",
      `the envelope was sealed to another encryption key for ${reader.id} than the one given`,
    );
  }
  const ephemeralPublic = record.subarray(ID_BYTES + KEY_BYTES, ID_BYTES + 2 * KEY_BYTES);
  const wrapped = record.subarray(ID_BYTES + 2 * KEY_BYTES);
  let contentKey: Uint8Array;
  try {
    const shared = x25519.getSharedSecret(reader.secretKey, ephemeralPublic);
    contentKey = chacha20poly1305(
      wrapKey(shared, ephemeralPublic, ownPublic, expected),
      ZERO_NONCE,
      concat(envelope.subarray(0, FIXED_HEADER_BYTES), record.subarray(0, ID_BYTES + 2 * KEY_BYTES)),
    ).decrypt(wrapped);
  } catch {
    throw new SealError("tampered", `the content key wrapped for ${reader.id} fails authentication`);
  }
  const header = envelope.subarray(0, ciphertextOffset);
  const nonce = envelope.subarray(ciphertextOffset - NONCE_BYTES, ciphertextOffset);
  try {
    return chacha20poly1305(contentKey, nonce, header).decrypt(envelope.subarray(ciphertextOffset));
  } catch {
    throw new SealError("tampered", "the sealed payload or the envelope header fails authentication");
  }
}
