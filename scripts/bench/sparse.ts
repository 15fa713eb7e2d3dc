/**
 * Benchmark: size and speed of the update wire format (src/sparse/wire.ts) for d = 10,000 at several
 * densities, next to baselines measured in the same run on the same updates:
 * - dense float32 (4 bytes per coordinate) and naive COO (int32 index + float32 value per entry);
 * - the sealed envelope as members send it (version 2: sealed once to the task's reader group), next to the
 *   per-reader wraps it replaced (version 1) for 1 and 3 readers;
 * - encode/decode throughput next to naive COO encode/decode through a DataView.
 *
 * Updates come from a deterministic pseudo-random Gaussian delta through the real pipeline
 * (top-k with error feedback, L2 clip, fixed-point quantization at scale 4096).
 * Run alone: `npx tsx scripts/bench/sparse.ts` prints the JSON.
 */
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import { generateReaderKeyPair, sealPayload, sealToGroup } from "../../src/seal/index.js";
import { decodeUpdate, encodeUpdate, sparsifyUpdate, type SparseUpdate } from "../../src/sparse/index.js";

const DIMENSION = 10_000;
const DENSITIES = [0.001, 0.01, 0.05, 0.1];
const SCALE = 4096;
const SEED = 0x5eed;
const MEMBER = "0x" + "42".repeat(20);
const MIN_SECONDS = 0.3;

export function gaussianDelta(seed: number, d: number): Float32Array {
  let state = seed >>> 0;
  const uniform = (): number => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return (state + 0.5) / 2 ** 32;
  };
  const out = new Float32Array(d);
  for (let i = 0; i < d; i++) {
    // Box-Muller; gradients of a small model are around 1e-2.
    out[i] = 0.01 * Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
  }
  return out;
}

function naiveCooEncode(update: SparseUpdate, scale: number): Uint8Array {
  const bytes = new Uint8Array(8 * update.indices.length);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < update.indices.length; i++) {
    view.setInt32(8 * i, update.indices[i] as number, true);
    view.setFloat32(8 * i + 4, (update.values[i] as number) / scale, true);
  }
  return bytes;
}

function naiveCooDecode(bytes: Uint8Array): { indices: Int32Array; values: Float32Array } {
  const n = bytes.length / 8;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const indices = new Int32Array(n);
  const values = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    indices[i] = view.getInt32(8 * i, true);
    values[i] = view.getFloat32(8 * i + 4, true);
  }
  return { indices, values };
}

/** Operations per second of `fn`, repeated until at least MIN_SECONDS have passed. */
function perSecond(fn: () => unknown): number {
  for (let i = 0; i < 20; i++) fn(); // warm-up
  let iterations = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < MIN_SECONDS * 1000) {
    for (let i = 0; i < 50; i++) fn();
    iterations += 50;
    elapsed = performance.now() - start;
  }
  return iterations / (elapsed / 1000);
}

const round = (x: number, digits = 1): number => Number(x.toFixed(digits));

// eslint-disable-next-line @typescript-eslint/require-await -- every bench exports an async run()
export async function run(): Promise<Record<string, unknown>> {
  const readers = Array.from({ length: 3 }, (_, i) => ({
    id: "0x" + (i + 1).toString(16).padStart(40, "0"),
    publicKey: generateReaderKeyPair().publicKey,
  }));
  const groupPublicKey = generateReaderKeyPair().publicKey;
  const context = { task: 1, round: 1, member: MEMBER };
  const delta = gaussianDelta(SEED, DIMENSION);
  const results: Record<string, unknown>[] = [];

  for (const density of DENSITIES) {
    const k = Math.round(density * DIMENSION);
    const policy = { k, scale: SCALE, l2Bound: 8 * SCALE, lInfBound: 2 ** 15 };
    const { update } = sparsifyUpdate({ delta, policy });
    const header = { task: 1, round: 1, member: MEMBER, scale: SCALE, salt: 123456789n ** 3n };
    const wire = encodeUpdate({ header, update });
    const coo = naiveCooEncode(update, SCALE);
    const headerBytes = encodeUpdate({
      header,
      update: { dimension: DIMENSION, indices: new Uint32Array(), values: new Int32Array() },
    }).length;
    const sealedGroup = sealToGroup({ payload: wire, groupPublicKey, context });
    const sealedOne = sealPayload({ payload: wire, readers: readers.slice(0, 1), context });
    const sealedThree = sealPayload({ payload: wire, readers, context });
    const limits = { maxCount: k, maxDimension: DIMENSION };

    const encodePerSecond = perSecond(() => encodeUpdate({ header, update }));
    const slot = { ...context, dimension: DIMENSION, scale: SCALE };
    const decodePerSecond = perSecond(() => decodeUpdate({ bytes: wire, limits, slot }));
    const cooEncodePerSecond = perSecond(() => naiveCooEncode(update, SCALE));
    const cooDecodePerSecond = perSecond(() => naiveCooDecode(coo));

    results.push({
      density,
      k,
      entries: update.indices.length,
      bytes: {
        wireFormat: wire.length,
        wireHeader: headerBytes,
        denseFloat32: 4 * DIMENSION,
        naiveCoo: coo.length,
        wireVsDense: round(wire.length / (4 * DIMENSION), 4),
        wireVsNaiveCoo: round(wire.length / coo.length, 3),
        wireEntriesPerEntry: round((wire.length - headerBytes) / Math.max(1, update.indices.length), 2),
        sealedReaderGroup: sealedGroup.length,
        sealOverheadReaderGroup: sealedGroup.length - wire.length,
        sealedOneReader: sealedOne.length,
        sealedThreeReaders: sealedThree.length,
        sealOverheadOneReader: sealedOne.length - wire.length,
        sealOverheadThreeReaders: sealedThree.length - wire.length,
      },
      throughput: {
        encodeUpdatesPerSecond: round(encodePerSecond),
        encodeMBPerSecond: round((encodePerSecond * wire.length) / 1e6, 2),
        decodeUpdatesPerSecond: round(decodePerSecond),
        decodeMBPerSecond: round((decodePerSecond * wire.length) / 1e6, 2),
        naiveCooEncodeUpdatesPerSecond: round(cooEncodePerSecond),
        naiveCooDecodeUpdatesPerSecond: round(cooDecodePerSecond),
      },
    });
  }
  return { dimension: DIMENSION, scale: SCALE, node: process.version, densities: results };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  console.log(JSON.stringify(await run(), null, 2));
}
