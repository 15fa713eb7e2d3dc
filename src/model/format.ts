/**
 * The canonical binary encoding of a global model (format version 1, see docs/aggregation.md):
 *
 *   offset  size  field
 *   0       4     magic "CFLM" (ASCII)
 *   4       4     version, uint32 little-endian (= 1)
 *   8       4     task, uint32 LE
 *   12      4     round, uint32 LE
 *   16      4     dimension d, uint32 LE (≥ 1)
 *   20      4     scale, uint32 LE (≥ 1)
 *   24      4·d   parameters, int32 LE, coordinate order
 *
 * Every model has exactly one encoding and the decoder accepts nothing else, so the keccak256 of the
 * bytes identifies the model.
 */
import { keccak256 } from "ethers";
import { ModelFormatError } from "./errors.js";
import type { GlobalModel } from "./types.js";

export const MODEL_MAGIC = "CFLM";
export const MODEL_FORMAT_VERSION = 1;
export const MODEL_HEADER_BYTES = 24;

const MAGIC_BYTES = new TextEncoder().encode(MODEL_MAGIC);
const UINT32_MAX = 2 ** 32 - 1;

function isUint32(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= 0 && value <= UINT32_MAX;
}

/** Checks the header fields of a model object (not its parameter values: any int32 is valid). */
export function validateGlobalModel(model: GlobalModel): void {
  if (typeof model !== "object" || model === null) {
    throw new ModelFormatError("bad-header-field", "global model must be an object");
  }
  if (!isUint32(model.task)) {
    throw new ModelFormatError("bad-header-field", `task must be a uint32, got ${String(model.task)}`);
  }
  if (!isUint32(model.round)) {
    throw new ModelFormatError("bad-header-field", `round must be a uint32, got ${String(model.round)}`);
  }
  if (!isUint32(model.scale) || model.scale === 0) {
    throw new ModelFormatError(
      "bad-scale",
      `scale must be a uint32 of at least 1, got ${String(model.scale)}`,
    );
  }
  if (!(model.params instanceof Int32Array)) {
    throw new ModelFormatError("bad-params", "params must be an Int32Array");
  }
  if (model.params.length === 0 || model.params.length > UINT32_MAX) {
    throw new ModelFormatError(
      "bad-dimension",
      `dimension must be in [1, 2^32 - 1], got ${model.params.length}`,
    );
  }
}

export function encodeGlobalModel(model: GlobalModel): Uint8Array {
  validateGlobalModel(model);
  const d = model.params.length;
  const bytes = new Uint8Array(MODEL_HEADER_BYTES + 4 * d);
  const view = new DataView(bytes.buffer);
  bytes.set(MAGIC_BYTES, 0);
  view.setUint32(4, MODEL_FORMAT_VERSION, true);
  view.setUint32(8, model.task, true);
  view.setUint32(12, model.round, true);
  view.setUint32(16, d, true);
  view.setUint32(20, model.scale, true);
  for (let i = 0; i < d; i++) view.setInt32(MODEL_HEADER_BYTES + 4 * i, model.params[i]!, true);
  return bytes;
}

interface ModelHeader {
  readonly task: number;
  readonly round: number;
  readonly dimension: number;
  readonly scale: number;
}

/** Validates everything but the parameter values (which are all valid) in O(1). */
function readHeader(bytes: Uint8Array): { header: ModelHeader; view: DataView } {
  if (!(bytes instanceof Uint8Array)) {
    throw new ModelFormatError("bad-params", "global model bytes must be a Uint8Array");
  }
  if (bytes.length < MODEL_HEADER_BYTES) {
    throw new ModelFormatError(
      "truncated",
      `global model is ${bytes.length} bytes, shorter than its ${MODEL_HEADER_BYTES}-byte header`,
    );
  }
  for (let i = 0; i < MAGIC_BYTES.length; i++) {
    if (bytes[i] !== MAGIC_BYTES[i]) {
      throw new ModelFormatError("bad-magic", `global model does not start with the magic "${MODEL_MAGIC}"`);
    }
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(4, true);
  if (version !== MODEL_FORMAT_VERSION) {
    throw new ModelFormatError(
      "unsupported-version",
      `global model format version ${version} is not supported (expected ${MODEL_FORMAT_VERSION})`,
    );
  }
  const header = {
    task: view.getUint32(8, true),
    round: view.getUint32(12, true),
    dimension: view.getUint32(16, true),
    scale: view.getUint32(20, true),
  };
  if (header.dimension === 0) throw new ModelFormatError("bad-dimension", "global model dimension is 0");
  if (header.scale === 0) throw new ModelFormatError("bad-scale", "global model scale is 0");
  const expected = MODEL_HEADER_BYTES + 4 * header.dimension;
  if (bytes.length < expected) {
    throw new ModelFormatError(
      "truncated",
      `global model of dimension ${header.dimension} needs ${expected} bytes, got ${bytes.length}`,
    );
  }
  if (bytes.length > expected) {
    throw new ModelFormatError(
      "trailing-bytes",
      `global model of dimension ${header.dimension} has ${bytes.length - expected} bytes after its parameters`,
    );
  }
  return { header, view };
}

/** Decodes and validates canonical global model bytes; anything else throws `ModelFormatError`. */
export function decodeGlobalModel(bytes: Uint8Array): GlobalModel {
  const { header, view } = readHeader(bytes);
  const params = new Int32Array(header.dimension);
  for (let i = 0; i < header.dimension; i++) params[i] = view.getInt32(MODEL_HEADER_BYTES + 4 * i, true);
  return { task: header.task, round: header.round, scale: header.scale, params };
}

/**
 * keccak256 over the canonical bytes, as "0x" + 64 lower-case hex digits: the hash the chain records.
 * The bytes are checked to be a well-formed model first, so no hash is ever published for garbage.
 */
export function globalModelHash(bytes: Uint8Array): string {
  readHeader(bytes);
  return keccak256(bytes);
}
