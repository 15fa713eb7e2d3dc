import { x25519 } from "@noble/curves/ed25519.js";
import { chacha20poly1305 } from "@noble/ciphers/chacha.js";
import { hkdf } from "@noble/hashes/hkdf.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { checkKey, concat, contextBytes, equalBytes, KEY_BYTES } from "./bytes.js";
import { openPayload, sealPayload } from "./envelope.js";
import { SealError, type SealOpener, type SealRecipient, type UpdateContext } from "./types.js";

/**
 * Sealed envelope, version 3: one recipient, the task's reader group (specified in docs/wire-format.md).
 *
 *   magic "CFLS" | version u8 = 3 | ephemeral public key 32
 *   | ChaCha20-Poly1305(key, nonce 0, payload, aad = magic || version || E || context || group public key)
 *
 * key = HKDF-SHA256(ikm = X25519(ephemeral secret, group public), salt = ephemeral public || group public,
 * info = "circular-fl/seal/v3/group" || task || round || member). The key is used once (a fresh ephemeral
 * key per envelope), so the zero nonce is never reused.
 *
 * The slot (task, round, member) and the group key are bound, not carried: every reader already knows
 * them (the commit transaction names the task, the round and its sender; the task policy pins the group
 * key), so the envelope spends no bytes on them (version 2 carried both: 60 bytes of every update). An
 * envelope opened for any other slot or with any other key fails authentication like an altered one.
 *
 * Why one group key instead of a wrap per reader (version 1): with per-reader wraps a member can wrap a
 * different content key for one reader, so the aggregator opens an update that an auditor cannot, and an
 * honest round is disputed. Every reader holds the same group secret (checked against the policy's
 * `readerKey` on chain), so every reader derives the same key from the same bytes: the envelope opens to
 * the same plaintext for all of them, or fails for all of them.
 */
const MAGIC = Uint8Array.from([0x43, 0x46, 0x4c, 0x53]); // "CFLS"
export const GROUP_SEAL_VERSION = 3;

const TAG_BYTES = 16;
const HEADER_BYTES = 4 + 1 + KEY_BYTES;
/** Bytes a version-3 envelope adds to its payload. */
export const GROUP_SEAL_OVERHEAD_BYTES = HEADER_BYTES + TAG_BYTES;
const INFO = new TextEncoder().encode("circular-fl/seal/v3/group");
const ZERO_NONCE = new Uint8Array(12);

function derive(shared: Uint8Array, ephemeralPublic: Uint8Array, groupPublic: Uint8Array, ctx: Uint8Array) {
  return hkdf(sha256, shared, concat(ephemeralPublic, groupPublic), concat(INFO, ctx), KEY_BYTES);
}

/** Seals an update payload to the task's reader group, bound to (task, round, member). */
export function sealToGroup({
  payload,
  groupPublicKey,
  context,
}: {
  payload: Uint8Array;
  groupPublicKey: Uint8Array;
  context: UpdateContext;
}): Uint8Array {
  if (!(payload instanceof Uint8Array)) throw new SealError("invalid-input", "payload must be a Uint8Array");
  checkKey(groupPublicKey, "group public key");
  const ctx = contextBytes(context);
  const ephemeral = x25519.utils.randomSecretKey();
  const ephemeralPublic = x25519.getPublicKey(ephemeral);
  let shared: Uint8Array;
  try {
    shared = x25519.getSharedSecret(ephemeral, groupPublicKey);
  } catch {
    throw new SealError("invalid-input", "the group public key is not a usable X25519 key");
  }
  const header = concat(MAGIC, Uint8Array.of(GROUP_SEAL_VERSION), ephemeralPublic);
  const key = derive(shared, ephemeralPublic, groupPublicKey, ctx);
  const aad = concat(header, ctx, groupPublicKey);
  return concat(header, chacha20poly1305(key, ZERO_NONCE, aad).encrypt(payload));
}

/** Header fields of a version-3 envelope, readable without any key (the slot and the key are not in it). */
export interface GroupEnvelopeInfo {
  readonly version: number;
  readonly ephemeralPublicKey: Uint8Array;
  readonly payloadBytes: number;
}

export function inspectGroupEnvelope(envelope: Uint8Array): GroupEnvelopeInfo {
  if (!(envelope instanceof Uint8Array)) throw new SealError("malformed", "envelope must be a Uint8Array");
  if (envelope.length < GROUP_SEAL_OVERHEAD_BYTES)
    throw new SealError("malformed", `envelope is ${envelope.length} bytes, shorter than header and tag`);
  if (!equalBytes(envelope.subarray(0, 4), MAGIC))
    throw new SealError("malformed", 'not a sealed circular-fl envelope: the first bytes are not "CFLS"');
  if (envelope[4] !== GROUP_SEAL_VERSION)
    throw new SealError(
      "malformed",
      `envelope version ${envelope[4]} is not a reader-group envelope (version ${GROUP_SEAL_VERSION})`,
    );
  return {
    version: GROUP_SEAL_VERSION,
    ephemeralPublicKey: envelope.slice(5, HEADER_BYTES),
    payloadBytes: envelope.length - GROUP_SEAL_OVERHEAD_BYTES,
  };
}

/**
 * Opens a version-3 envelope with the reader group's secret. A deterministic function of the envelope, the
 * context and the group secret: every reader gets the same plaintext or the same error.
 */
export function openFromGroup({
  envelope,
  groupSecretKey,
  context,
}: {
  envelope: Uint8Array;
  groupSecretKey: Uint8Array;
  context: UpdateContext;
}): Uint8Array {
  checkKey(groupSecretKey, "group secret key");
  const ctx = contextBytes(context);
  const { ephemeralPublicKey } = inspectGroupEnvelope(envelope);
  const groupPublic = x25519.getPublicKey(groupSecretKey);
  const header = envelope.subarray(0, HEADER_BYTES);
  try {
    const shared = x25519.getSharedSecret(groupSecretKey, ephemeralPublicKey);
    const key = derive(shared, ephemeralPublicKey, groupPublic, ctx);
    return chacha20poly1305(key, ZERO_NONCE, concat(header, ctx, groupPublic)).decrypt(
      envelope.subarray(HEADER_BYTES),
    );
  } catch {
    // The slot and the key are bound, not carried: another slot, another group key and altered bytes all
    // fail the same authentication, and no reader can tell them apart (nor needs to: none opens).
    throw new SealError(
      "tampered",
      `the envelope does not open for task ${context.task} round ${context.round} member ` +
        `${context.member.toLowerCase()} with the reader group's key: sealed for another slot or key, or altered`,
    );
  }
}

/** A reader group's key, handed to each reader sealed to its own admitted encryption key. */
export interface ReaderGroupBundle {
  readonly format: "circular-fl/reader-group/v1";
  /** 0x-prefixed X25519 public key: what the task policy's `readerKey` pins. */
  readonly publicKey: string;
  /** The group secret sealed (envelope version 1) to every reader's own encryption key. */
  readonly sealedSecret: string;
  /** The account that made the group (it saw the secret: choose a reader, or a governor readers trust). */
  readonly dealer: string;
}

const BUNDLE_CONTEXT = (dealer: string): UpdateContext => ({ task: 0, round: 0, member: dealer });

/**
 * Makes a reader group: a fresh X25519 key pair whose secret is sealed to each reader's own key. The dealer
 * learns the secret (it can read updates, nothing more); every reader checks the secret it opens against
 * the policy's `readerKey` before it reads anything, so a dealer cannot give readers different keys
 * without being caught before the first round.
 */
export function createReaderGroup({
  readers,
  dealer,
}: {
  readers: readonly SealRecipient[];
  dealer: string;
}): { publicKey: Uint8Array; secretKey: Uint8Array; bundle: ReaderGroupBundle } {
  const secretKey = x25519.utils.randomSecretKey();
  const publicKey = x25519.getPublicKey(secretKey);
  const sealed = sealPayload({ payload: secretKey, readers, context: BUNDLE_CONTEXT(dealer) });
  return {
    publicKey,
    secretKey,
    bundle: {
      format: "circular-fl/reader-group/v1",
      publicKey: "0x" + Buffer.from(publicKey).toString("hex"),
      sealedSecret: Buffer.from(sealed).toString("base64"),
      dealer,
    },
  };
}

/** Opens a reader-group bundle as one reader and checks the secret against the key the chain pins. */
export function openReaderGroup({
  bundle,
  reader,
  expectedPublicKey,
}: {
  bundle: ReaderGroupBundle;
  reader: SealOpener;
  expectedPublicKey: string;
}): Uint8Array {
  if (bundle.format !== "circular-fl/reader-group/v1")
    throw new SealError("malformed", `not a reader-group bundle (format ${String(bundle.format)})`);
  const secret = openPayload({
    envelope: Uint8Array.from(Buffer.from(bundle.sealedSecret, "base64")),
    reader,
    context: BUNDLE_CONTEXT(bundle.dealer),
  });
  checkKey(secret, "group secret key");
  const actual = "0x" + Buffer.from(x25519.getPublicKey(secret)).toString("hex");
  if (actual.toLowerCase() !== expectedPublicKey.toLowerCase())
    throw new SealError(
      "not-a-reader",
      `the reader-group secret gives public key ${actual}, the task policy pins ${expectedPublicKey}`,
    );
  return secret;
}

/** The group public key of a secret, 0x-prefixed. */
export function groupPublicKeyHex(secretKey: Uint8Array): string {
  checkKey(secretKey, "group secret key");
  return "0x" + Buffer.from(x25519.getPublicKey(secretKey)).toString("hex");
}
