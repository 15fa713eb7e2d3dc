/**
 * Tests written for mutants of src/sparse/wire.ts that survived the other sparse tests (`npm run mutation --
 * --area sparse`): every check the decoder applies to bytes from another member, at its boundary, with the
 * error code and offset it must report, and the encoder's refusal of headers and updates it cannot represent.
 */
import { expect } from "chai";
import {
  BN254_FIELD_MODULUS,
  WIRE_MAGIC,
  WIRE_VERSION,
  WireFormatError,
  decodeUpdate,
  encodeUpdate,
  type UpdateHeader,
} from "../../src/sparse/index.js";
import type { SparseUpdate } from "../../src/sparse/types.js";

const MEMBER = "0x" + "ab".repeat(20);
const HEADER: UpdateHeader = { task: 7, round: 3, member: MEMBER, scale: 100, salt: 5n };
const LIMITS = { maxCount: 8, maxDimension: 1000 };

function catchWire(fn: () => unknown): WireFormatError {
  try {
    fn();
  } catch (error) {
    expect(error, String(error)).to.be.instanceOf(WireFormatError);
    return error as WireFormatError;
  }
  return expect.fail("expected a WireFormatError");
}

function expectCode(fn: () => unknown, code: string, offset?: number): WireFormatError {
  const error = catchWire(fn);
  expect(error.code, error.message).to.equal(code);
  if (offset !== undefined) expect(error.offset, error.message).to.equal(offset);
  return error;
}

/** The fixed header (magic, version, task, round, member): 33 bytes. */
function fixedHeader(): number[] {
  return [...WIRE_MAGIC, WIRE_VERSION, 0, 0, 0, 7, 0, 0, 0, 3, ...Buffer.from(MEMBER.slice(2), "hex")];
}

/** Raw bytes with single-byte varints for d, count and scale, a zero salt, then the given entry bytes. */
function raw({
  d,
  count,
  scale,
  entries = [],
}: {
  d: number;
  count: number;
  scale: number;
  entries?: number[];
}) {
  return Uint8Array.from([...fixedHeader(), d, count, scale, ...new Array<number>(32).fill(0), ...entries]);
}

const update = (dimension: number, indices: number[], values: number[]): SparseUpdate => ({
  dimension,
  indices: Uint32Array.from(indices),
  values: Int32Array.from(values),
});

describe("sparse wire format: checks at their boundaries (mutation testing)", () => {
  describe("decodeUpdate", () => {
    it("refuses dimension 0 and scale 0, which an encoder never writes", () => {
      expectCode(
        () => decodeUpdate({ bytes: raw({ d: 0, count: 0, scale: 1 }), limits: LIMITS }),
        "bad-dimension",
        33,
      );
      expectCode(
        () => decodeUpdate({ bytes: raw({ d: 5, count: 0, scale: 0 }), limits: LIMITS }),
        "bad-scale",
        35,
      );
      // The same bytes with d = 1 and scale = 1 are a valid empty update.
      const ok = decodeUpdate({ bytes: raw({ d: 1, count: 0, scale: 1 }), limits: LIMITS });
      expect(ok.update.dimension).to.equal(1);
      expect(ok.header.scale).to.equal(1);
    });

    it("refuses more entries than the dimension even within the caller's count limit", () => {
      // d = 2, three entries at 0, 1, 2: the count check must fire before any index is read.
      const bytes = raw({ d: 2, count: 3, scale: 1, entries: [0, 0, 0, 0, 0, 0] });
      const error = expectCode(() => decodeUpdate({ bytes, limits: LIMITS }), "count-exceeds-limit", 34);
      expect(error.message).to.contain("dimension d = 2");
      // Two entries in d = 2 are fine.
      const two = decodeUpdate({
        bytes: raw({ d: 2, count: 2, scale: 1, entries: [0, 0, 2, 1] }),
        limits: LIMITS,
      });
      expect([...two.update.indices]).to.deep.equal([0, 1]);
      expect([...two.update.values]).to.deep.equal([1, -1]);
    });

    it("checks the caller's limits and accepts them at their smallest", () => {
      const bytes = raw({ d: 1, count: 0, scale: 1 });
      for (const limits of [
        null,
        undefined,
        5,
        { maxCount: -1, maxDimension: 10 },
        { maxCount: 1.5, maxDimension: 10 },
      ]) {
        expectCode(() => decodeUpdate({ bytes, limits: limits as never }), "bad-limits");
      }
      for (const maxDimension of [0, -3, 2.5, Number.MAX_SAFE_INTEGER + 2]) {
        expectCode(() => decodeUpdate({ bytes, limits: { maxCount: 1, maxDimension } }), "bad-limits");
      }
      expect(
        decodeUpdate({ bytes, limits: { maxCount: 0, maxDimension: 1 } }).update.indices.length,
      ).to.equal(0);
    });

    it("refuses input that is not a Uint8Array", () => {
      const bytes = [...raw({ d: 1, count: 0, scale: 1 })];
      expectCode(() => decodeUpdate({ bytes: bytes as unknown as Uint8Array, limits: LIMITS }), "truncated");
    });

    it("reports truncation at the field where the input ends", () => {
      const whole = encodeUpdate({ header: HEADER, update: update(1000, [1, 500], [3, -4]) });
      const cut = (n: number) => whole.subarray(0, n);
      const magic = expectCode(() => decodeUpdate({ bytes: cut(2), limits: LIMITS }), "truncated", 0);
      expect(magic.message).to.contain("magic: 4 bytes needed, 2 left");
      expectCode(() => decodeUpdate({ bytes: cut(4), limits: LIMITS }), "truncated", 4);
      expectCode(() => decodeUpdate({ bytes: cut(7), limits: LIMITS }), "truncated", 5);
      expectCode(() => decodeUpdate({ bytes: cut(11), limits: LIMITS }), "truncated", 9);
      const member = expectCode(() => decodeUpdate({ bytes: cut(20), limits: LIMITS }), "truncated", 13);
      expect(member.message).to.contain("member address");
      // Cut right before the dimension varint: the varint itself reports it, not a later field.
      const dimension = expectCode(() => decodeUpdate({ bytes: cut(33), limits: LIMITS }), "truncated", 33);
      expect(dimension.message).to.contain("dimension d");
    });

    it("refuses a claimed entry count the remaining bytes cannot hold, before reading entries", () => {
      // Four entries need at least 8 bytes; only 3 follow the salt.
      const bytes = raw({ d: 100, count: 4, scale: 1, entries: [0, 0, 0] });
      const error = expectCode(() => decodeUpdate({ bytes, limits: LIMITS }), "truncated", 68);
      expect(error.message).to.contain("4 entries: 8 bytes needed, 3 left");
    });

    it("says how many bytes trail the last value", () => {
      const bytes = Uint8Array.from([...raw({ d: 1, count: 0, scale: 1 }), 9, 9]);
      const error = expectCode(() => decodeUpdate({ bytes, limits: LIMITS }), "trailing-bytes", 68);
      expect(error.message).to.contain("2 bytes follow the last value");
    });

    it("takes a two-byte varint whose last byte is below 0x10, refuses a redundant zero byte", () => {
      // d = 0x80 + 1 = 129 as [0x81, 0x01]; d = 1 as [0x81, 0x00] is non-canonical.
      const header = fixedHeader();
      const salt = new Array<number>(32).fill(0);
      const ok = decodeUpdate({
        bytes: Uint8Array.from([...header, 0x81, 0x01, 0, 1, ...salt]),
        limits: LIMITS,
      });
      expect(ok.update.dimension).to.equal(129);
      expectCode(
        () =>
          decodeUpdate({ bytes: Uint8Array.from([...header, 0x81, 0x00, 0, 1, ...salt]), limits: LIMITS }),
        "varint-non-canonical",
        33,
      );
    });

    it("WireFormatError says where decoding failed only when it knows", () => {
      expect(new WireFormatError("truncated", "cut").message).to.equal("cut");
      expect(new WireFormatError("truncated", "cut", 0).message).to.equal("cut (at byte 0)");
      expect(new WireFormatError("truncated", "cut", 12).offset).to.equal(12);
    });
  });

  describe("encodeUpdate", () => {
    const ok = update(10, [0, 9], [1, -1]);

    it("takes task, round and scale over the whole uint32 range and nothing outside it", () => {
      for (const v of [0, 0xffffffff]) {
        expect(() => encodeUpdate({ header: { ...HEADER, task: v, round: v }, update: ok })).not.to.throw();
      }
      expect(() => encodeUpdate({ header: { ...HEADER, scale: 0xffffffff }, update: ok })).not.to.throw();
      for (const bad of [-1, 0x100000000, 1.5, Number.NaN]) {
        expectCode(() => encodeUpdate({ header: { ...HEADER, task: bad }, update: ok }), "bad-header");
        expectCode(() => encodeUpdate({ header: { ...HEADER, round: bad }, update: ok }), "bad-header");
        expectCode(() => encodeUpdate({ header: { ...HEADER, scale: bad }, update: ok }), "bad-scale");
      }
    });

    it("takes a salt in [0, r) only", () => {
      expect(() => encodeUpdate({ header: { ...HEADER, salt: 0n }, update: ok })).not.to.throw();
      expect(() =>
        encodeUpdate({ header: { ...HEADER, salt: BN254_FIELD_MODULUS - 1n }, update: ok }),
      ).not.to.throw();
      for (const salt of [-1n, BN254_FIELD_MODULUS, 5]) {
        expectCode(
          () => encodeUpdate({ header: { ...HEADER, salt: salt as bigint }, update: ok }),
          "salt-out-of-field",
        );
      }
    });

    it("takes a member as exactly 0x and 40 hex digits", () => {
      const hex = "ab".repeat(20);
      for (const member of [
        `0x${hex}00`,
        `00x${hex}`,
        `x0${hex}`,
        `0x${hex.slice(1)}`,
        `0x${hex.slice(2)}zz`,
      ]) {
        expectCode(() => encodeUpdate({ header: { ...HEADER, member }, update: ok }), "bad-header");
      }
      // Not a string, though it prints as a valid address.
      const lookalike = { toString: () => MEMBER } as unknown as string;
      expectCode(() => encodeUpdate({ header: { ...HEADER, member: lookalike }, update: ok }), "bad-header");
    });

    it("takes a dimension in [1, 2^32 - 1] and typed arrays of one length", () => {
      for (const dimension of [0, 0x100000000, 2.5]) {
        expectCode(() => encodeUpdate({ header: HEADER, update: { ...ok, dimension } }), "bad-dimension");
      }
      expect(() => encodeUpdate({ header: HEADER, update: update(1, [0], [1]) })).not.to.throw();
      const plain = { dimension: 10, indices: [1] as unknown as Uint32Array, values: Int32Array.from([1]) };
      expectCode(() => encodeUpdate({ header: HEADER, update: plain }), "bad-header");
      const floats = { dimension: 10, indices: Uint32Array.from([1]), values: [1] as unknown as Int32Array };
      expectCode(() => encodeUpdate({ header: HEADER, update: floats }), "bad-header");
      expectCode(
        () => encodeUpdate({ header: HEADER, update: { ...ok, values: Int32Array.from([1]) } }),
        "bad-header",
      );
    });

    it("refuses a repeated index and an index equal to d", () => {
      expectCode(() => encodeUpdate({ header: HEADER, update: update(10, [4, 4], [1, 1]) }), "index-order");
      expectCode(
        () => encodeUpdate({ header: HEADER, update: update(10, [3, 10], [1, 1]) }),
        "index-out-of-range",
      );
    });
  });
});
