import { readFileSync } from "node:fs";
import { expect } from "chai";
import fc from "fast-check";
import {
  BN254_FIELD_MODULUS,
  WireFormatError,
  decodeUpdate,
  encodeUpdate,
  type UpdateHeader,
  type UpdateSlot,
} from "../../src/sparse/index.js";
import type { SparseUpdate } from "../../src/sparse/types.js";

interface GoldenVectors {
  limits: { maxCount: number; maxDimension: number };
  invalidSlot: UpdateSlot;
  valid: {
    name: string;
    slot: UpdateSlot;
    salt: string;
    update: { indices: number[]; values: number[] };
    hex: string;
  }[];
  invalid: { name: string; hex: string; code: string }[];
}

// Produced by test/vectors/wire-v2.py, a second implementation of docs/wire-format.md in Python.
const vectors = JSON.parse(
  readFileSync(new URL("../vectors/wire-v2.json", import.meta.url), "utf8"),
) as GoldenVectors;

/** The slot a header and an update were encoded for: what a reader knows before decoding. */
const slotOf = (header: UpdateHeader, update: SparseUpdate): UpdateSlot => ({
  task: header.task,
  round: header.round,
  member: header.member,
  dimension: update.dimension,
  scale: header.scale,
});

const fromHex = (hex: string): Uint8Array => Uint8Array.from(Buffer.from(hex, "hex"));
const toHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");

function expectWireError(fn: () => unknown, code: string): WireFormatError {
  try {
    fn();
  } catch (error) {
    expect(error).to.be.instanceOf(WireFormatError);
    expect((error as WireFormatError).code, (error as Error).message).to.equal(code);
    return error as WireFormatError;
  }
  expect.fail(`expected WireFormatError ${code}`);
}

const headerArb: fc.Arbitrary<UpdateHeader> = fc.record({
  task: fc.nat({ max: 0xffffffff }),
  round: fc.nat({ max: 0xffffffff }),
  member: fc.uint8Array({ minLength: 20, maxLength: 20 }).map((b) => "0x" + toHex(b)),
  scale: fc.integer({ min: 1, max: 0xffffffff }),
  salt: fc.bigInt({ min: 0n, max: BN254_FIELD_MODULUS - 1n }),
});

const updateArb: fc.Arbitrary<SparseUpdate> = fc.integer({ min: 1, max: 0xffffffff }).chain((dimension) =>
  fc
    .uniqueArray(fc.integer({ min: 0, max: dimension - 1 }), { maxLength: Math.min(dimension, 100) })
    .chain((idx) =>
      fc
        .array(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), {
          minLength: idx.length,
          maxLength: idx.length,
        })
        .map((values) => ({
          dimension,
          indices: Uint32Array.from(idx.sort((a, b) => a - b)),
          values: Int32Array.from(values),
        })),
    ),
);

const wide = { maxCount: 1000, maxDimension: 0xffffffff };

describe("sparse: wire format v2", () => {
  it("golden vectors decode to their fields and re-encode to the same bytes", () => {
    expect(vectors.valid.length).to.be.greaterThan(0);
    for (const vector of vectors.valid) {
      const { slot } = vector;
      const { header, update } = decodeUpdate({ bytes: fromHex(vector.hex), limits: vectors.limits, slot });
      expect({ ...header, salt: "0x" + header.salt.toString(16) }, vector.name).to.deep.equal({
        task: slot.task,
        round: slot.round,
        member: slot.member.toLowerCase(),
        scale: slot.scale,
        salt: vector.salt,
      });
      expect(update.dimension).to.equal(slot.dimension);
      expect([...update.indices]).to.deep.equal(vector.update.indices);
      expect([...update.values]).to.deep.equal(vector.update.values);
      expect(toHex(encodeUpdate({ header, update })), vector.name).to.equal(vector.hex);
    }
  });

  it("golden invalid vectors fail with their error code", () => {
    expect(vectors.invalid.length).to.be.greaterThan(0);
    for (const vector of vectors.invalid) {
      expectWireError(
        () => decodeUpdate({ bytes: fromHex(vector.hex), limits: vectors.limits, slot: vectors.invalidSlot }),
        vector.code,
      );
    }
  });

  it("property: decode(encode(x)) = x", () => {
    fc.assert(
      fc.property(headerArb, updateArb, (header, update) => {
        const bytes = encodeUpdate({ header, update });
        const decoded = decodeUpdate({ bytes, limits: wide, slot: slotOf(header, update) });
        expect(decoded.header).to.deep.equal({ ...header, member: header.member.toLowerCase() });
        expect(decoded.update.dimension).to.equal(update.dimension);
        expect([...decoded.update.indices]).to.deep.equal([...update.indices]);
        expect([...decoded.update.values]).to.deep.equal([...update.values]);
      }),
      { numRuns: 500 },
    );
  });

  it("enforces the caller's limits on count and dimension", () => {
    const header = { task: 1, round: 1, member: "0x" + "22".repeat(20), scale: 10, salt: 5n };
    const update = {
      dimension: 100,
      indices: Uint32Array.from([1, 2, 3]),
      values: Int32Array.from([1, 2, 3]),
    };
    const bytes = encodeUpdate({ header, update });
    const slot = slotOf(header, update);
    expectWireError(
      () => decodeUpdate({ bytes, limits: { maxCount: 2, maxDimension: 100 }, slot }),
      "count-exceeds-limit",
    );
    expectWireError(
      () => decodeUpdate({ bytes, limits: { maxCount: 3, maxDimension: 99 }, slot }),
      "dimension-exceeds-limit",
    );
    expect(
      decodeUpdate({ bytes, limits: { maxCount: 3, maxDimension: 100 }, slot }).update.indices.length,
    ).to.equal(3);
    // The same bytes read under a smaller d: the last index no longer fits.
    expectWireError(
      () =>
        decodeUpdate({ bytes, limits: { maxCount: 3, maxDimension: 100 }, slot: { ...slot, dimension: 3 } }),
      "index-out-of-range",
    );
  });

  it("carries neither the slot nor d nor the scale: 37 bytes of header, the same bytes for any slot", () => {
    const update = { dimension: 100, indices: new Uint32Array(), values: new Int32Array() };
    const header = { task: 1, round: 1, member: "0x" + "22".repeat(20), scale: 10, salt: 5n };
    const empty = encodeUpdate({ header, update });
    expect(empty.length).to.equal(4 + 1 + 1 + 32);
    const other = encodeUpdate({
      header: { task: 9, round: 8, member: "0x" + "33".repeat(20), scale: 4096, salt: 5n },
      update: { ...update, dimension: 2 ** 20 },
    });
    expect(toHex(other)).to.equal(toHex(empty));
  });

  it("refuses a slot it cannot use", () => {
    const header = { task: 1, round: 1, member: "0x" + "22".repeat(20), scale: 10, salt: 5n };
    const update = { dimension: 100, indices: Uint32Array.from([1]), values: Int32Array.from([1]) };
    const bytes = encodeUpdate({ header, update });
    const slot = slotOf(header, update);
    const limits = { maxCount: 3, maxDimension: 100 };
    expectWireError(() => decodeUpdate({ bytes, limits, slot: { ...slot, dimension: 0 } }), "bad-dimension");
    expectWireError(() => decodeUpdate({ bytes, limits, slot: { ...slot, scale: 0 } }), "bad-scale");
    expectWireError(() => decodeUpdate({ bytes, limits, slot: { ...slot, member: "0x12" } }), "bad-header");
    expectWireError(() => decodeUpdate({ bytes, limits, slot: { ...slot, task: -1 } }), "bad-header");
    expectWireError(
      () => decodeUpdate({ bytes, limits, slot: undefined as unknown as UpdateSlot }),
      "bad-header",
    );
  });

  it("refuses a huge claimed count without allocating for it", () => {
    const header = { task: 1, round: 1, member: "0x" + "22".repeat(20), scale: 10, salt: 5n };
    const update = { dimension: 0xffffffff, indices: new Uint32Array(), values: new Int32Array() };
    const bytes = encodeUpdate({ header, update });
    // The count varint is the byte after magic and version, at offset 5.
    const forged = Uint8Array.from([
      ...bytes.subarray(0, 5),
      0xff,
      0xff,
      0xff,
      0xff,
      0x0f,
      ...bytes.subarray(6),
    ]);
    const error = expectWireError(
      () =>
        decodeUpdate({
          bytes: forged,
          limits: { maxCount: 0xffffffff, maxDimension: 0xffffffff },
          slot: slotOf(header, update),
        }),
      "truncated",
    );
    expect(error.message).to.match(/entries/);
  });

  it("the encoder refuses what it cannot represent", () => {
    const header = { task: 1, round: 1, member: "0x" + "22".repeat(20), scale: 10, salt: 5n };
    const update = { dimension: 10, indices: Uint32Array.from([2, 1]), values: Int32Array.from([1, 1]) };
    expectWireError(() => encodeUpdate({ header, update }), "index-order");
    expectWireError(
      () => encodeUpdate({ header, update: { ...update, indices: Uint32Array.from([1, 10]) } }),
      "index-out-of-range",
    );
    expectWireError(
      () =>
        encodeUpdate({
          header: { ...header, salt: BN254_FIELD_MODULUS },
          update: { ...update, indices: Uint32Array.from([1, 2]) },
        }),
      "salt-out-of-field",
    );
    expectWireError(() => encodeUpdate({ header: { ...header, member: "0x1234" }, update }), "bad-header");
    expectWireError(() => encodeUpdate({ header: { ...header, scale: 0 }, update }), "bad-scale");
  });

  it("fuzz: random bytes only ever give WireFormatError", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.boolean(), (random, withPrefix) => {
        // Half the cases start with a valid magic and version so that the fuzzing reaches the body.
        const bytes = withPrefix ? Uint8Array.from([0x43, 0x46, 0x4c, 0x55, 0x02, ...random]) : random;
        try {
          decodeUpdate({ bytes, limits: wide, slot: vectors.invalidSlot });
        } catch (error) {
          if (!(error instanceof WireFormatError)) throw error;
        }
      }),
      { numRuns: 5000 },
    );
  });

  it("fuzz: mutated valid encodings either fail with WireFormatError or decode to bytes that re-encode identically", () => {
    let decodedCount = 0;
    fc.assert(
      fc.property(
        headerArb,
        updateArb,
        fc.array(
          fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom("set", "insert", "delete")),
          {
            minLength: 1,
            maxLength: 4,
          },
        ),
        (header, update, mutations) => {
          const bytes = [...encodeUpdate({ header, update })];
          for (const [position, value, kind] of mutations) {
            const at = position % (bytes.length + 1);
            if (kind === "set" && at < bytes.length) bytes[at] = value;
            else if (kind === "insert") bytes.splice(at, 0, value);
            else bytes.splice(at, 1);
          }
          const mutated = Uint8Array.from(bytes);
          let decoded;
          try {
            decoded = decodeUpdate({ bytes: mutated, limits: wide, slot: slotOf(header, update) });
          } catch (error) {
            if (!(error instanceof WireFormatError)) throw error;
            return;
          }
          decodedCount++;
          // Canonical encoding: whatever decodes has exactly one byte representation.
          expect(toHex(encodeUpdate(decoded))).to.equal(toHex(mutated));
        },
      ),
      { numRuns: 5000 },
    );
    expect(decodedCount).to.be.greaterThan(0);
  });
});
