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

/** Magic and version: 5 bytes (the slot, d and scale are the reader's, not in the bytes). */
function fixedHeader(): number[] {
  return [...WIRE_MAGIC, WIRE_VERSION];
}

/** Raw bytes with a single-byte count varint, a zero salt, then the given entry bytes (salt at 6, entries at 38). */
function raw({ count, entries = [] }: { count: number; entries?: number[] }) {
  return Uint8Array.from([...fixedHeader(), count, ...new Array<number>(32).fill(0), ...entries]);
}

/** The slot the reader decodes with: HEADER's, and the dimension given. */
const slot = (dimension: number) => ({ ...HEADER, dimension });

const update = (dimension: number, indices: number[], values: number[]): SparseUpdate => ({
  dimension,
  indices: Uint32Array.from(indices),
  values: Int32Array.from(values),
});

describe("sparse wire format: checks at their boundaries (mutation testing)", () => {
  describe("decodeUpdate", () => {
    it("refuses a slot of dimension 0 or scale 0, and takes d = scale = 1", () => {
      const bytes = raw({ count: 0 });
      expectCode(() => decodeUpdate({ bytes, limits: LIMITS, slot: slot(0) }), "bad-dimension");
      expectCode(() => decodeUpdate({ bytes, limits: LIMITS, slot: { ...slot(5), scale: 0 } }), "bad-scale");
      const ok = decodeUpdate({ bytes, limits: LIMITS, slot: { ...slot(1), scale: 1 } });
      expect(ok.update.dimension).to.equal(1);
      expect(ok.header.scale).to.equal(1);
      expect(ok.header.member).to.equal(MEMBER);
    });

    it("refuses more entries than the dimension even within the caller's count limit", () => {
      // d = 2, three entries at 0, 1, 2: the count check must fire before any index is read.
      const bytes = raw({ count: 3, entries: [0, 0, 0, 0, 0, 0] });
      const error = expectCode(
        () => decodeUpdate({ bytes, limits: LIMITS, slot: slot(2) }),
        "count-exceeds-limit",
        5,
      );
      expect(error.message).to.contain("dimension d = 2");
      // Two entries in d = 2 are fine.
      const two = decodeUpdate({
        bytes: raw({ count: 2, entries: [0, 0, 2, 1] }),
        limits: LIMITS,
        slot: slot(2),
      });
      expect([...two.update.indices]).to.deep.equal([0, 1]);
      expect([...two.update.values]).to.deep.equal([1, -1]);
    });

    it("checks the caller's limits and accepts them at their smallest", () => {
      const bytes = raw({ count: 0 });
      for (const limits of [
        null,
        undefined,
        5,
        { maxCount: -1, maxDimension: 10 },
        { maxCount: 1.5, maxDimension: 10 },
      ]) {
        expectCode(() => decodeUpdate({ bytes, limits: limits as never, slot: slot(1) }), "bad-limits");
      }
      for (const maxDimension of [0, -3, 2.5, Number.MAX_SAFE_INTEGER + 2]) {
        expectCode(
          () => decodeUpdate({ bytes, limits: { maxCount: 1, maxDimension }, slot: slot(1) }),
          "bad-limits",
        );
      }
      expect(
        decodeUpdate({ bytes, limits: { maxCount: 0, maxDimension: 1 }, slot: slot(1) }).update.indices
          .length,
      ).to.equal(0);
      // A slot above the caller's dimension limit is refused before any byte is read.
      expectCode(
        () => decodeUpdate({ bytes, limits: { maxCount: 0, maxDimension: 1 }, slot: slot(2) }),
        "dimension-exceeds-limit",
      );
    });

    it("refuses input that is not a Uint8Array", () => {
      const bytes = [...raw({ count: 0 })];
      expectCode(
        () => decodeUpdate({ bytes: bytes as unknown as Uint8Array, limits: LIMITS, slot: slot(1) }),
        "truncated",
      );
    });

    it("reports truncation at the field where the input ends", () => {
      const whole = encodeUpdate({ header: HEADER, update: update(1000, [1, 500], [3, -4]) });
      const cut = (n: number) =>
        decodeUpdate({ bytes: whole.subarray(0, n), limits: LIMITS, slot: slot(1000) });
      const magic = expectCode(() => cut(2), "truncated", 0);
      expect(magic.message).to.contain("magic: 4 bytes needed, 2 left");
      expectCode(() => cut(4), "truncated", 4);
      // Cut right before the count varint: the varint itself reports it, not a later field.
      const count = expectCode(() => cut(5), "truncated", 5);
      expect(count.message).to.contain("entry count");
      const salt = expectCode(() => cut(20), "truncated", 6);
      expect(salt.message).to.contain("salt");
    });

    it("refuses a claimed entry count the remaining bytes cannot hold, before reading entries", () => {
      // Four entries need at least 8 bytes; only 3 follow the salt.
      const bytes = raw({ count: 4, entries: [0, 0, 0] });
      const error = expectCode(
        () => decodeUpdate({ bytes, limits: LIMITS, slot: slot(100) }),
        "truncated",
        38,
      );
      expect(error.message).to.contain("4 entries: 8 bytes needed, 3 left");
    });

    it("says how many bytes trail the last value", () => {
      const bytes = Uint8Array.from([...raw({ count: 0 }), 9, 9]);
      const error = expectCode(
        () => decodeUpdate({ bytes, limits: LIMITS, slot: slot(1) }),
        "trailing-bytes",
        38,
      );
      expect(error.message).to.contain("2 bytes follow the last value");
    });

    it("takes a two-byte varint whose last byte is below 0x10, refuses a redundant zero byte", () => {
      // A first index of 0x80 + 1 = 129 as [0x81, 0x01]; index 1 as [0x81, 0x00] is non-canonical.
      const ok = decodeUpdate({
        bytes: raw({ count: 1, entries: [0x81, 0x01, 2] }),
        limits: LIMITS,
        slot: slot(200),
      });
      expect([...ok.update.indices]).to.deep.equal([129]);
      expectCode(
        () =>
          decodeUpdate({
            bytes: raw({ count: 1, entries: [0x81, 0x00, 2] }),
            limits: LIMITS,
            slot: slot(200),
          }),
        "varint-non-canonical",
        38,
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
