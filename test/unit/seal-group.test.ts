import { expect } from "chai";
import fc from "fast-check";
import {
  GROUP_SEAL_OVERHEAD_BYTES,
  SealError,
  createReaderGroup,
  generateReaderKeyPair,
  groupPublicKeyHex,
  inspectGroupEnvelope,
  openFromGroup,
  openReaderGroup,
  sealToGroup,
} from "../../src/seal/index.js";

const address = (n: number): string => "0x" + n.toString(16).padStart(40, "0");

function sealErrorCode(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error, String(error)).to.be.instanceOf(SealError);
    return (error as SealError).code;
  }
  return expect.fail("expected a SealError");
}

describe("seal: reader-group envelopes (version 3)", () => {
  const personal = [generateReaderKeyPair(), generateReaderKeyPair(), generateReaderKeyPair()];
  const readers = personal.map((k, i) => ({ id: address(0xa0 + i), publicKey: k.publicKey }));
  const group = createReaderGroup({ readers, dealer: readers[0]!.id });
  const context = { task: 3, round: 17, member: "0x00000000000000000000000000000000000000Fe" };
  const payload = Uint8Array.from(Buffer.from("a sparse update, in wire format"));
  const envelope = sealToGroup({ payload, groupPublicKey: group.publicKey, context });

  it("every reader opens the bundle to the same secret, checked against the key the policy pins", () => {
    const secrets = personal.map((k, i) =>
      openReaderGroup({
        bundle: group.bundle,
        reader: { id: readers[i]!.id, secretKey: k.secretKey },
        expectedPublicKey: group.bundle.publicKey,
      }),
    );
    for (const s of secrets) expect(Buffer.from(s).equals(Buffer.from(group.secretKey))).to.equal(true);
    expect(groupPublicKeyHex(group.secretKey)).to.equal(group.bundle.publicKey);
  });

  it("a reader refuses a bundle whose secret is not the policy's reader key (a dealer cannot split readers)", () => {
    const other = createReaderGroup({ readers, dealer: readers[0]!.id });
    expect(
      sealErrorCode(() =>
        openReaderGroup({
          bundle: other.bundle,
          reader: { id: readers[1]!.id, secretKey: personal[1]!.secretKey },
          expectedPublicKey: group.bundle.publicKey,
        }),
      ),
    ).to.equal("not-a-reader");
  });

  it("round-trips, and its overhead is 53 bytes: magic, version, ephemeral key and tag", () => {
    expect(openFromGroup({ envelope, groupSecretKey: group.secretKey, context })).to.deep.equal(payload);
    expect(GROUP_SEAL_OVERHEAD_BYTES).to.equal(4 + 1 + 32 + 16);
    expect(envelope.length).to.equal(payload.length + GROUP_SEAL_OVERHEAD_BYTES);
    const info = inspectGroupEnvelope(envelope);
    expect(info.version).to.equal(3);
    expect(info.payloadBytes).to.equal(payload.length);
    // The slot and the group key are bound, not carried: neither appears in the bytes.
    const hex = Buffer.from(envelope).toString("hex");
    expect(hex).to.not.include(Buffer.from(group.publicKey).toString("hex"));
    expect(hex).to.not.include(context.member.slice(2).toLowerCase());
  });

  it("is bound to its task, round and member, although it does not carry them", () => {
    for (const other of [
      { ...context, task: 4 },
      { ...context, round: 18 },
      { ...context, member: address(0xff) },
    ]) {
      expect(
        sealErrorCode(() => openFromGroup({ envelope, groupSecretKey: group.secretKey, context: other })),
      ).to.equal("tampered");
    }
    // The member's address is read in any case, as the chain reports it checksummed.
    expect(
      openFromGroup({
        envelope,
        groupSecretKey: group.secretKey,
        context: { ...context, member: context.member.toLowerCase() },
      }),
    ).to.deep.equal(payload);
  });

  it("any flipped byte fails for every holder of the group key alike", () => {
    fc.assert(
      fc.property(fc.nat({ max: envelope.length - 1 }), fc.integer({ min: 1, max: 255 }), (at, xor) => {
        const bad = Uint8Array.from(envelope);
        bad[at] = bad[at]! ^ xor;
        const verdicts = [0, 1, 2].map(() => {
          try {
            return Buffer.from(
              openFromGroup({ envelope: bad, groupSecretKey: group.secretKey, context }),
            ).toString("hex");
          } catch (error) {
            return (error as SealError).code;
          }
        });
        expect(new Set(verdicts).size).to.equal(1);
        expect(verdicts[0]).to.not.equal(Buffer.from(payload).toString("hex"));
      }),
      { numRuns: 300 },
    );
  });

  it("an envelope sealed to another key opens for no reader", () => {
    const stray = sealToGroup({ payload, groupPublicKey: generateReaderKeyPair().publicKey, context });
    expect(
      sealErrorCode(() => openFromGroup({ envelope: stray, groupSecretKey: group.secretKey, context })),
    ).to.equal("tampered");
  });

  it("refuses the version-2 layout, which carried the slot and the group key (60 bytes more)", () => {
    const old = Uint8Array.from(envelope);
    old[4] = 2;
    expect(sealErrorCode(() => inspectGroupEnvelope(old))).to.equal("malformed");
    expect(
      sealErrorCode(() => openFromGroup({ envelope: old, groupSecretKey: group.secretKey, context })),
    ).to.equal("malformed");
  });

  it("refuses malformed input with a SealError", () => {
    expect(sealErrorCode(() => inspectGroupEnvelope(new Uint8Array(10)))).to.equal("malformed");
    expect(
      sealErrorCode(() => sealToGroup({ payload, groupPublicKey: new Uint8Array(31), context })),
    ).to.equal("invalid-input");
    expect(
      sealErrorCode(() =>
        sealToGroup({ payload, groupPublicKey: group.publicKey, context: { ...context, task: -1 } }),
      ),
    ).to.equal("invalid-input");
  });
});
