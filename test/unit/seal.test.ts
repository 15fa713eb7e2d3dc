import { expect } from "chai";
import fc from "fast-check";
import {
  SealError,
  generateReaderKeyPair,
  inspectEnvelope,
  openPayload,
  sealPayload,
  type ReaderKeyPair,
} from "../../src/seal/index.js";

const address = (n: number): string => "0x" + n.toString(16).padStart(40, "0");

function expectSealError(fn: () => unknown, code?: string): SealError {
  try {
    fn();
  } catch (error) {
    expect(error, String(error)).to.be.instanceOf(SealError);
    if (code !== undefined) expect((error as SealError).code, (error as Error).message).to.equal(code);
    return error as SealError;
  }
  expect.fail(`expected SealError ${code ?? ""}`);
}

describe("seal: envelope encryption to the task's readers", () => {
  const keys: ReaderKeyPair[] = [generateReaderKeyPair(), generateReaderKeyPair(), generateReaderKeyPair()];
  const readers = keys.map((k, i) => ({ id: address(0xa0 + i), publicKey: k.publicKey }));
  const context = { task: 3, round: 17, member: "0x00000000000000000000000000000000000000Fe" };
  const payload = Uint8Array.from(Buffer.from("a sparse update, in wire format"));
  const envelope = sealPayload({ payload, readers, context });

  it("every reader opens it", () => {
    keys.forEach((k, i) => {
      const opened = openPayload({
        envelope,
        reader: { id: readers[i]!.id, secretKey: k.secretKey },
        context,
      });
      expect(Buffer.from(opened).toString()).to.equal("a sparse update, in wire format");
    });
  });

  it("does not contain the payload in clear and never repeats (fresh keys and nonces)", () => {
    expect(Buffer.from(envelope).includes(Buffer.from(payload))).to.be.false;
    const again = sealPayload({ payload, readers, context });
    expect(Buffer.from(again).equals(Buffer.from(envelope))).to.be.false;
  });

  it("a non-reader cannot open it, neither under its own id nor under a reader's id", () => {
    const outsider = generateReaderKeyPair();
    expectSealError(
      () => openPayload({ envelope, reader: { id: address(0xbb), secretKey: outsider.secretKey }, context }),
      "not-a-reader",
    );
    expectSealError(
      () => openPayload({ envelope, reader: { id: readers[0]!.id, secretKey: outsider.secretKey }, context }),
      "not-a-reader",
    );
  });

  it("a payload moved to another round, task or member fails", () => {
    const reader = { id: readers[1]!.id, secretKey: keys[1]!.secretKey };
    for (const other of [
      { ...context, round: 18 },
      { ...context, task: 4 },
      { ...context, member: address(1) },
    ]) {
      expectSealError(() => openPayload({ envelope, reader, context: other }), "context-mismatch");
    }
  });

  it("a header rewritten to another round does not open either (the context is authenticated)", () => {
    const moved = envelope.slice();
    new DataView(moved.buffer).setUint32(9, 18);
    expectSealError(
      () =>
        openPayload({
          envelope: moved,
          reader: { id: readers[0]!.id, secretKey: keys[0]!.secretKey },
          context: { ...context, round: 18 },
        }),
      "tampered",
    );
  });

  it("flipping any single bit of any byte fails with SealError", () => {
    const small = sealPayload({ payload: Uint8Array.from([1, 2, 3]), readers: readers.slice(0, 2), context });
    const reader = { id: readers[1]!.id, secretKey: keys[1]!.secretKey };
    expect(openPayload({ envelope: small, reader, context })).to.deep.equal(Uint8Array.from([1, 2, 3]));
    const codes = new Set<string>();
    for (let position = 0; position < small.length; position++) {
      for (const bit of [0x01, 0x80]) {
        const flipped = small.slice();
        flipped[position] = flipped[position]! ^ bit;
        codes.add(expectSealError(() => openPayload({ envelope: flipped, reader, context })).code);
      }
    }
    expect([...codes].sort()).to.deep.equal(["context-mismatch", "malformed", "not-a-reader", "tampered"]);
  });

  it("truncated or extended envelopes fail with SealError", () => {
    const reader = { id: readers[0]!.id, secretKey: keys[0]!.secretKey };
    for (let length = 0; length < envelope.length; length += 7) {
      expectSealError(() => openPayload({ envelope: envelope.subarray(0, length), reader, context }));
    }
    expectSealError(
      () => openPayload({ envelope: Uint8Array.from([...envelope, 0]), reader, context }),
      "tampered",
    );
  });

  it("property: random bytes never open and only give SealError", () => {
    const reader = { id: readers[0]!.id, secretKey: keys[0]!.secretKey };
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
        const prefixed = Uint8Array.from([0x43, 0x46, 0x4c, 0x53, 0x01, ...bytes]);
        expectSealError(() => openPayload({ envelope: prefixed, reader, context }));
      }),
      { numRuns: 500 },
    );
  });

  it("inspectEnvelope reads the context and reader list without a key", () => {
    const info = inspectEnvelope(envelope);
    expect(info.context).to.deep.equal({ ...context, member: context.member.toLowerCase() });
    expect(info.readerIds).to.deep.equal(readers.map((r) => r.id));
    expect(info.payloadBytes).to.equal(payload.length);
  });

  it("refuses to seal to no reader, duplicate readers or a bad key", () => {
    expectSealError(() => sealPayload({ payload, readers: [], context }), "invalid-input");
    expectSealError(
      () => sealPayload({ payload, readers: [readers[0]!, readers[0]!], context }),
      "invalid-input",
    );
    expectSealError(
      () => sealPayload({ payload, readers: [{ id: address(1), publicKey: new Uint8Array(31) }], context }),
      "invalid-input",
    );
    expectSealError(
      () => sealPayload({ payload, readers: [{ id: address(1), publicKey: new Uint8Array(32) }], context }),
      "invalid-input",
    );
  });
});
