import { keccak_256 } from "@noble/hashes/sha3.js";
import { bytesToHex } from "@noble/hashes/utils.js";
import { expect } from "chai";
import fc from "fast-check";
import {
  applyDelta,
  decodeGlobalModel,
  encodeGlobalModel,
  globalModelHash,
  initialGlobalModel,
  ModelFormatError,
  MODEL_HEADER_BYTES,
  toFloatParams,
  type GlobalModel,
  type ModelFormatErrorCode,
} from "../../src/model/index.js";
import type { SparseUpdate } from "../../src/sparse/types.js";

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

const uint32 = fc.integer({ min: 0, max: 2 ** 32 - 1 });
const modelArb: fc.Arbitrary<GlobalModel> = fc.record({
  task: uint32,
  round: uint32,
  scale: fc.integer({ min: 1, max: 2 ** 32 - 1 }),
  params: fc
    .array(fc.integer({ min: INT32_MIN, max: INT32_MAX }), { minLength: 1, maxLength: 64 })
    .map((a) => Int32Array.from(a)),
});

function expectCode(fn: () => unknown, code: ModelFormatErrorCode): void {
  try {
    fn();
  } catch (error) {
    expect(error).to.be.instanceOf(ModelFormatError);
    expect((error as ModelFormatError).code).to.equal(code);
    return;
  }
  expect.fail(`expected ModelFormatError ${code}`);
}

function delta(dimension: number, indices: number[], values: number[]): SparseUpdate {
  return { dimension, indices: Uint32Array.from(indices), values: Int32Array.from(values) };
}

describe("global model format", function () {
  it("lays out the documented bytes", function () {
    const model: GlobalModel = { task: 7, round: 258, scale: 4096, params: Int32Array.of(1, -1, INT32_MIN) };
    const hex = Buffer.from(encodeGlobalModel(model)).toString("hex");
    expect(hex).to.equal(
      "43464c4d" + // "CFLM"
        "01000000" + // version 1
        "07000000" + // task 7
        "02010000" + // round 258
        "03000000" + // d = 3
        "00100000" + // scale 4096
        "01000000" +
        "ffffffff" +
        "00000080",
    );
    expect(MODEL_HEADER_BYTES).to.equal(24);
  });

  it("round-trips every model", function () {
    fc.assert(
      fc.property(modelArb, (model) => {
        const bytes = encodeGlobalModel(model);
        expect(bytes.length).to.equal(24 + 4 * model.params.length);
        expect(decodeGlobalModel(bytes)).to.deep.equal(model);
      }),
      { numRuns: 500 },
    );
  });

  it("decodes from a view into a larger buffer", function () {
    const bytes = encodeGlobalModel({ task: 1, round: 2, scale: 3, params: Int32Array.of(4, 5) });
    const padded = new Uint8Array(bytes.length + 3);
    padded.set(bytes, 3);
    expect(decodeGlobalModel(padded.subarray(3))).to.deep.equal({
      task: 1,
      round: 2,
      scale: 3,
      params: Int32Array.of(4, 5),
    });
  });

  it("rejects malformed bytes with codes", function () {
    const good = encodeGlobalModel({ task: 1, round: 2, scale: 3, params: Int32Array.of(4, 5) });
    const mutate = (offset: number, value: number): Uint8Array => {
      const copy = good.slice();
      copy[offset] = value;
      return copy;
    };
    expectCode(() => decodeGlobalModel(new Uint8Array(0)), "truncated");
    expectCode(() => decodeGlobalModel(good.subarray(0, 23)), "truncated");
    expectCode(() => decodeGlobalModel(good.subarray(0, good.length - 1)), "truncated");
    expectCode(() => decodeGlobalModel(mutate(0, 0x63)), "bad-magic");
    expectCode(() => decodeGlobalModel(mutate(4, 2)), "unsupported-version");
    expectCode(() => decodeGlobalModel(mutate(7, 1)), "unsupported-version");
    const zeroDimension = good.slice(0, 24);
    zeroDimension[16] = 0;
    expectCode(() => decodeGlobalModel(zeroDimension), "bad-dimension");
    const zeroScale = good.slice();
    zeroScale[20] = 0;
    expectCode(() => decodeGlobalModel(zeroScale), "bad-scale");
    expectCode(() => decodeGlobalModel(Uint8Array.from([...good, 0])), "trailing-bytes");
    // A header claiming d = 2^32 - 1 is refused by its length, before anything is allocated.
    const huge = good.slice();
    huge.set([0xff, 0xff, 0xff, 0xff], 16);
    expectCode(() => decodeGlobalModel(huge), "truncated");
    expectCode(() => decodeGlobalModel([1, 2] as unknown as Uint8Array), "bad-params");
  });

  it("reports every truncation as truncated", function () {
    const good = encodeGlobalModel({ task: 9, round: 9, scale: 9, params: Int32Array.of(1, 2, 3, 4) });
    for (let length = 0; length < good.length; length++) {
      expectCode(() => decodeGlobalModel(good.subarray(0, length)), "truncated");
    }
  });

  it("only ever throws ModelFormatError on random and mutated bytes", function () {
    const mutated = fc
      .tuple(
        modelArb,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
      )
      .map(([model, edits]) => {
        const bytes = encodeGlobalModel(model);
        for (const [position, value] of edits) bytes[position % bytes.length] = value;
        return bytes;
      });
    const random = fc.uint8Array({ maxLength: 80 });
    const withMagic = fc
      .uint8Array({ maxLength: 80 })
      .map((tail) => Uint8Array.from([0x43, 0x46, 0x4c, 0x4d, 1, 0, 0, 0, ...tail]));
    fc.assert(
      fc.property(fc.oneof(mutated, random, withMagic), (bytes) => {
        try {
          const model = decodeGlobalModel(bytes);
          // Whatever decodes must re-encode to the very same bytes: the encoding is canonical.
          expect(Buffer.from(encodeGlobalModel(model)).equals(Buffer.from(bytes))).to.be.true;
        } catch (error) {
          expect(error).to.be.instanceOf(ModelFormatError);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it("rejects models that cannot be encoded", function () {
    const params = Int32Array.of(1);
    expectCode(() => encodeGlobalModel({ task: -1, round: 0, scale: 1, params }), "bad-header-field");
    expectCode(() => encodeGlobalModel({ task: 2 ** 32, round: 0, scale: 1, params }), "bad-header-field");
    expectCode(() => encodeGlobalModel({ task: 0, round: 0.5, scale: 1, params }), "bad-header-field");
    expectCode(() => encodeGlobalModel({ task: 0, round: 0, scale: 0, params }), "bad-scale");
    expectCode(
      () => encodeGlobalModel({ task: 0, round: 0, scale: 1, params: new Int32Array(0) }),
      "bad-dimension",
    );
    expectCode(
      () =>
        encodeGlobalModel({
          task: 0,
          round: 0,
          scale: 1,
          params: Float32Array.of(1) as unknown as Int32Array,
        }),
      "bad-params",
    );
  });
});

describe("global model hash", function () {
  it("is keccak256 of the canonical bytes", function () {
    fc.assert(
      fc.property(modelArb, (model) => {
        const bytes = encodeGlobalModel(model);
        const hash = globalModelHash(bytes);
        expect(hash).to.match(/^0x[0-9a-f]{64}$/);
        expect(hash).to.equal("0x" + bytesToHex(keccak_256(bytes)));
      }),
      { numRuns: 200 },
    );
  });

  it("changes when any byte changes, and refuses bytes that are not a model", function () {
    const bytes = encodeGlobalModel({ task: 3, round: 4, scale: 5, params: Int32Array.of(6, -7, 8) });
    const reference = globalModelHash(bytes);
    for (let i = 0; i < bytes.length; i++) {
      const copy = bytes.slice();
      copy[i]! ^= 0x01;
      let hash: string | undefined;
      try {
        hash = globalModelHash(copy);
      } catch (error) {
        expect(error).to.be.instanceOf(ModelFormatError);
      }
      if (hash !== undefined) expect(hash).to.not.equal(reference);
    }
    expectCode(() => globalModelHash(Uint8Array.from([...bytes, 0])), "trailing-bytes");
  });
});

describe("building global models", function () {
  it("starts at round 0 with zeros when no parameters are given", function () {
    const model = initialGlobalModel({ task: 5, dimension: 4, scale: 100 });
    expect(model).to.deep.equal({ task: 5, round: 0, scale: 100, params: new Int32Array(4) });
  });

  it("quantizes initial floats half away from zero", function () {
    const model = initialGlobalModel({
      task: 1,
      dimension: 6,
      scale: 2,
      params: Float32Array.of(0.25, -0.25, 0.75, -0.75, 1.2, -0.2),
    });
    // ×2: 0.5 → 1, −0.5 → −1, 1.5 → 2, −1.5 → −2, 2.4 → 2, −0.4 → 0.
    expect(Array.from(model.params)).to.deep.equal([1, -1, 2, -2, 2, 0]);
    expect(Object.is(model.params[5], -0)).to.be.false;
  });

  it("round-trips floats through toFloatParams within half a fixed-point step", function () {
    fc.assert(
      fc.property(
        fc.array(fc.float({ min: -1000, max: 1000, noNaN: true }), { minLength: 1, maxLength: 50 }),
        fc.integer({ min: 1, max: 1 << 20 }),
        (floats, scale) => {
          const params = Float32Array.from(floats);
          const model = initialGlobalModel({ task: 0, dimension: params.length, scale, params });
          const back = toFloatParams(model);
          for (let i = 0; i < params.length; i++) {
            // Half a step from rounding, plus float32 rounding of the result.
            const tolerance = 0.5 / scale + Math.abs(params[i]!) * 2 ** -23 + 1e-30;
            expect(Math.abs(back[i]! - params[i]!)).to.be.at.most(tolerance);
          }
        },
      ),
    );
  });

  it("refuses initial parameters it cannot represent", function () {
    expectCode(
      () => initialGlobalModel({ task: 0, dimension: 1, scale: 1, params: Float32Array.of(Number.NaN) }),
      "bad-params",
    );
    expectCode(
      () =>
        initialGlobalModel({
          task: 0,
          dimension: 1,
          scale: 1,
          params: Float32Array.of(Number.POSITIVE_INFINITY),
        }),
      "bad-params",
    );
    expectCode(
      () => initialGlobalModel({ task: 0, dimension: 1, scale: 65536, params: Float32Array.of(40000) }),
      "param-out-of-range",
    );
    expectCode(
      () => initialGlobalModel({ task: 0, dimension: 2, scale: 1, params: Float32Array.of(1) }),
      "dimension-mismatch",
    );
    expectCode(() => initialGlobalModel({ task: 0, dimension: 0, scale: 1 }), "bad-dimension");
    expectCode(() => initialGlobalModel({ task: 0, dimension: 1, scale: 0 }), "bad-scale");
    expectCode(() => initialGlobalModel({ task: -3, dimension: 1, scale: 1 }), "bad-header-field");
  });

  it("applies a delta, moving to the next round by default, without touching the input", function () {
    const model: GlobalModel = { task: 2, round: 6, scale: 10, params: Int32Array.of(1, 2, 3, 4) };
    const next = applyDelta({ model, delta: delta(4, [0, 3], [10, -4]) });
    expect(next).to.deep.equal({ task: 2, round: 7, scale: 10, params: Int32Array.of(11, 2, 3, 0) });
    expect(Array.from(model.params)).to.deep.equal([1, 2, 3, 4]);
    expect(applyDelta({ model, delta: delta(4, [], []), round: 42 }).round).to.equal(42);
  });

  it("saturates at the int32 range", function () {
    const model: GlobalModel = {
      task: 0,
      round: 0,
      scale: 1,
      params: Int32Array.of(INT32_MAX - 1, INT32_MIN + 1, 5),
    };
    const next = applyDelta({ model, delta: delta(3, [0, 1, 2], [INT32_MAX, INT32_MIN, INT32_MIN]) });
    expect(Array.from(next.params)).to.deep.equal([INT32_MAX, INT32_MIN, INT32_MIN + 5]);
  });

  it("matches exact clamped addition on random deltas", function () {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: INT32_MIN, max: INT32_MAX }), { minLength: 1, maxLength: 40 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: INT32_MIN, max: INT32_MAX }))),
        (params, entries) => {
          const d = params.length;
          const byIndex = new Map(entries.map(([i, v]) => [i % d, v]));
          const indices = [...byIndex.keys()].sort((a, b) => a - b);
          const model: GlobalModel = { task: 0, round: 0, scale: 1, params: Int32Array.from(params) };
          const next = applyDelta({
            model,
            delta: delta(
              d,
              indices,
              indices.map((i) => byIndex.get(i)!),
            ),
          });
          params.forEach((p, i) => {
            const sum = p + (byIndex.get(i) ?? 0);
            expect(next.params[i]).to.equal(Math.max(INT32_MIN, Math.min(INT32_MAX, sum)));
          });
        },
      ),
    );
  });

  it("rejects deltas that do not fit the model", function () {
    const model: GlobalModel = { task: 0, round: 0, scale: 1, params: Int32Array.of(0, 0, 0) };
    expectCode(() => applyDelta({ model, delta: delta(4, [0], [1]) }), "dimension-mismatch");
    expectCode(() => applyDelta({ model, delta: delta(3, [1, 0], [1, 1]) }), "bad-delta");
    expectCode(() => applyDelta({ model, delta: delta(3, [3], [1]) }), "bad-delta");
    expectCode(
      () =>
        applyDelta({ model, delta: { dimension: 3, indices: Uint32Array.of(0), values: Int32Array.of() } }),
      "bad-delta",
    );
    expectCode(() => applyDelta({ model, delta: delta(3, [], []), round: 2 ** 32 }), "bad-header-field");
  });
});
