/**
 * Benchmark: bytes on the wire for real-size models (issue 14), next to dense float32 in the same run. For
 * d = 1,778 (the AI4I model; k = 128 as the demo and k = 1%), 100,000 (k = 1,000) and 1,000,000
 * (k = 10,000): the update's wire bytes, its fixed header, and the envelope as members send it (sealed once to
 * the task's reader group, whatever the number of readers), beside the per-reader wraps for three readers
 * that the group replaced. Updates come through the real pipeline (top-k with error feedback, L2 clip,
 * fixed-point quantization at scale 4096) from a deterministic Gaussian delta.
 *
 * What this section does not measure yet: proofs of updates larger than a circuit's K (the circuits prove
 * k <= 128 and d <= 4,096 today), their gas and their proving time. Run alone:
 * `npx tsx scripts/bench/large.ts` prints the JSON.
 */
import { pathToFileURL } from "node:url";
import { generateReaderKeyPair, sealPayload, sealToGroup } from "../../src/seal/index.js";
import { encodeUpdate, sparsifyUpdate } from "../../src/sparse/index.js";
import { gaussianDelta } from "./sparse.js";

const SCALE = 4096;
const MEMBER = "0x" + "42".repeat(20);
const CASES = [
  { dimension: 1_778, k: 128, note: "AI4I model, the demo's k" },
  { dimension: 1_778, k: 18, note: "AI4I model, k = 1%" },
  { dimension: 100_000, k: 1_000, note: "k = 1%" },
  { dimension: 1_000_000, k: 10_000, note: "k = 1%" },
] as const;

const round = (x: number, digits = 1): number => Number(x.toFixed(digits));

// eslint-disable-next-line @typescript-eslint/require-await -- every bench exports an async run()
export async function run(): Promise<Record<string, unknown>> {
  const readers = Array.from({ length: 3 }, (_, i) => ({
    id: "0x" + (i + 1).toString(16).padStart(40, "0"),
    publicKey: generateReaderKeyPair().publicKey,
  }));
  const groupPublicKey = generateReaderKeyPair().publicKey;
  const context = { task: 1, round: 1, member: MEMBER };
  const header = { task: 1, round: 1, member: MEMBER, scale: SCALE, salt: 123456789n ** 3n };
  const results = CASES.map(({ dimension, k, note }) => {
    const delta = gaussianDelta(0x5eed + dimension, dimension);
    const { update } = sparsifyUpdate({ delta, policy: { k, scale: SCALE, l2Bound: 8 * SCALE, lInfBound: 2 ** 15 } });
    const wire = encodeUpdate({ header, update });
    const headerBytes = encodeUpdate({
      header,
      update: { dimension, indices: new Uint32Array(), values: new Int32Array() },
    }).length;
    const sealed = sealToGroup({ payload: wire, groupPublicKey, context });
    const perReader = sealPayload({ payload: wire, readers, context });
    const dense = 4 * dimension;
    return {
      dimension,
      k,
      note,
      entries: update.indices.length,
      bytes: {
        denseFloat32: dense,
        wire: wire.length,
        wireHeader: headerBytes,
        wirePerEntry: round((wire.length - headerBytes) / Math.max(1, update.indices.length), 2),
        sealedReaderGroup: sealed.length,
        sealOverhead: sealed.length - wire.length,
        sealedThreeReadersPerReaderWraps: perReader.length,
        denseOverSealed: round(dense / sealed.length, 1),
        denseOverSealedPerReaderWraps: round(dense / perReader.length, 1),
      },
    };
  });
  return {
    what: "sealed sparse update bytes vs dense float32 for real-size models (proofs of such updates: not yet)",
    scale: SCALE,
    results,
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  process.stdout.write(JSON.stringify(await run(), null, 2) + "\n");
}
