import { readFileSync } from "node:fs";
import { expect } from "chai";
import fc from "fast-check";
import {
  BN254_FIELD_MODULUS,
  WireFormatError,
  decodeUpdate,
  encodeUpdate,
  type UpdateHeader,
} from "../../src/sparse/index.js";
import type { SparseUpdate } from "../../src/sparse/types.js";

interface GoldenVectors {
  limits: { maxCount: number; maxDimension: number };
  valid: {
    name: string;
    header: Omit<UpdateHeader, "salt"> & { salt: string };
    update: { dimension: number; indices: number[]; values: number[] };
    hex: string;
  }[];
  invalid: { name: string; hex: string; code: string }[];
}

const vectors = JSON.parse(
  readFileSync(new URL("../vectors/wire-v1.json", import.meta.url), "utf8"),
) as GoldenVectors;

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

describe("sparse: wire format v1", () => {
  it("golden vectors decode to their fields and re-encode to the same bytes", () => {
    expect(vectors.valid.length).to.be.greaterThan(0);
    for (const vector of vectors.valid) {
      const { header, update } = decodeUpdate({ bytes: fromHex(vector.hex), limits: vectors.limits });
      expect({ ...header, salt: "0x" + header.salt.toString(16) }, vector.name).to.deep.equal(vector.header);
      expect(update.dimension).to.equal(vector.update.dimension);
      expect([...update.indices]).to.deep.equal(vector.update.indices);
      expect([...update.values]).to.deep.equal(vector.update.values);
      expect(toHex(encodeUpdate({ header, update })), vector.name).to.equal(vector.hex);
    }
  });

  it("golden invalid vectors fail with their error code", () => {
    expect(vectors.invalid.length).to.be.greaterThan(0);
    for (const vector of vectors.invalid) {
      expectWireError(
        () => decodeUpdate({ bytes: fromHex(vector.hex), limits: vectors.limits }),
        vector.code,
      );
    }
  });

  it("property: decode(encode(x)) = x", () => {
    fc.assert(
      fc.property(headerArb, updateArb, (header, update) => {
        const bytes = encodeUpdate({ header, update });
        const decoded = decodeUpdate({ bytes, limits: wide });
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
    const bytes = encodeUpdate({
      header,
      update: { dimension: 100, indices: Uint32Array.from([1, 2, 3]), values: Int32Array.from([1, 2, 3]) },
    });
    expectWireError(
      () => decodeUpdate({ bytes, limits: { maxCount: 2, maxDimension: 100 } }),
      "count-exceeds-limit",
    );
    expectWireError(
      () => decodeUpdate({ bytes, limits: { maxCount: 3, maxDimension: 99 } }),
      "dimension-exceeds-limit",
    );
    expect(
      decodeUpdate({ bytes, limits: { maxCount: 3, maxDimension: 100 } }).update.indices.length,
    ).to.equal(3);
  });

  it("refuses a huge claimed count without allocating for it", () => {
    const header = { task: 1, round: 1, member: "0x" + "22".repeat(20), scale: 10, salt: 5n };
    const bytes = encodeUpdate({
      header,
      update: { dimension: 0xffffffff, indices: new Uint32Array(), values: new Int32Array() },
    });
    // count byte follows the 5-byte d varint at offset 33
    const forged = Uint8Array.from([
      ...bytes.subarray(0, 38),
      0xff,
      0xff,
      0xff,
      0xff,
      0x0f,
      ...bytes.subarray(39),
    ]);
    const error = expectWireError(
      () => decodeUpdate({ bytes: forged, limits: { maxCount: 0xffffffff, maxDimension: 0xffffffff } }),
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
        const bytes = withPrefix ? Uint8Array.from([0x43, 0x46, 0x4c, 0x55, 0x01, ...random]) : random;
        try {
          decodeUpdate({ bytes, limits: wide });
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
            decoded = decodeUpdate({ bytes: mutated, limits: wide });
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
