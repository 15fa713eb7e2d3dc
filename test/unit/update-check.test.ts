/**
 * checkCommittedUpdate is the one function whose verdict the aggregator publishes and every auditor
 * replays: these tests pin each verdict to its cause, and show as a property that two readers holding the
 * task's reader-group key (each opened from the bundle with its own key) never disagree, whatever bytes a
 * member commits.
 */
import { expect } from "chai";
import fc from "fast-check";
import { getAddress, hexlify, keccak256, toUtf8Bytes } from "ethers";
import type { CommittedUpdate } from "../../src/chain/index.js";
import type { TaskPolicy } from "../../src/governance/index.js";
import { checkCommittedUpdate, type ReaderGroupKey, type RoundPolicy } from "../../src/roles/index.js";
import {
  createReaderGroup,
  generateReaderKeyPair,
  openReaderGroup,
  sealPayload,
  sealToGroup,
} from "../../src/seal/index.js";
import { encodeUpdate, type SparseUpdate } from "../../src/sparse/index.js";
import { computeCommitment, packContext, randomSalt, type CircuitParams } from "../../src/zk/index.js";

const TASK = 7n;
const ROUND = 3n;
const CIRCUIT: CircuitParams = { K: 16, IDX_BITS: 12, VAL_BITS: 16 };
const members = [1, 2, 3].map((i) => getAddress("0x" + (0x1000 + i).toString(16).padStart(40, "0")));
const personal = [generateReaderKeyPair(), generateReaderKeyPair(), generateReaderKeyPair()];
const readerIds = [0xa1, 0xa2, 0xa3].map((n) => getAddress("0x" + n.toString(16).padStart(40, "0")));
const group = createReaderGroup({
  readers: readerIds.map((id, i) => ({ id, publicKey: personal[i]!.publicKey })),
  dealer: readerIds[0]!,
});
const readers: ReaderGroupKey[] = readerIds.map((id, i) => ({
  reader: id,
  secretKey: openReaderGroup({
    bundle: group.bundle,
    reader: { id, secretKey: personal[i]!.secretKey },
    expectedPublicKey: group.bundle.publicKey,
  }),
}));
const policy = {
  dimension: 64,
  maxNonZeros: 8,
  lInfBound: 8192n,
  l2Bound: 16384n,
  scale: 4096,
  readerKey: group.bundle.publicKey,
  verifyingKeyHash: keccak256(toUtf8Bytes("key")),
} as const satisfies Partial<TaskPolicy>;
const roundPolicy: RoundPolicy = { version: 1, policy: policy as unknown as TaskPolicy, circuit: CIRCUIT };

function honest(member: string, update: SparseUpdate) {
  const context = { task: Number(TASK), round: Number(ROUND), member };
  const salt = randomSalt();
  const payload = encodeUpdate({ header: { ...context, scale: policy.scale, salt }, update });
  const commitment = computeCommitment({
    context: packContext(context),
    salt,
    update,
    lInf: policy.lInfBound,
    params: CIRCUIT,
  });
  return { context, payload, commitment, salt };
}

const committed = (member: string, envelope: Uint8Array, commitment: bigint): CommittedUpdate => ({
  member,
  envelope,
  commitment,
  blockNumber: 1,
  transactionHash: hexlify(new Uint8Array(32)),
});

const verdictOf = (commit: CommittedUpdate, reader: ReaderGroupKey) => {
  const check = checkCommittedUpdate({ taskId: TASK, commit, round: ROUND, roundPolicy, reader });
  return check.status === "valid" ? "valid" : check.reason;
};

const update: SparseUpdate = {
  dimension: 64,
  indices: Uint32Array.from([2, 9, 40]),
  values: Int32Array.from([100, -2000, 7]),
};

describe("checkCommittedUpdate: one verdict per update, the same for every reader", () => {
  it("accepts an honest update sealed to the reader group", () => {
    const h = honest(members[0]!, update);
    const envelope = sealToGroup({ payload: h.payload, groupPublicKey: group.publicKey, context: h.context });
    const check = checkCommittedUpdate({
      taskId: TASK,
      commit: committed(members[0]!, envelope, h.commitment),
      round: ROUND,
      roundPolicy,
      reader: readers[1]!,
    });
    expect(check.status).to.equal("valid");
    if (check.status === "valid") expect([...check.update.indices]).to.deep.equal([2, 9, 40]);
  });

  it("names the cause of each exclusion", () => {
    const h = honest(members[0]!, update);
    const seal = (payload: Uint8Array, context = h.context, key = group.publicKey) =>
      sealToGroup({ payload, groupPublicKey: key, context });
    const cases: [string, CommittedUpdate][] = [
      [
        "Unopenable",
        committed(members[0]!, seal(h.payload, h.context, generateReaderKeyPair().publicKey), h.commitment),
      ],
      ["Unopenable", committed(members[0]!, seal(h.payload, { ...h.context, round: 4 }), h.commitment)],
      [
        "Unopenable",
        committed(
          members[0]!,
          sealPayload({
            payload: h.payload,
            readers: [{ id: readerIds[0]!, publicKey: personal[0]!.publicKey }],
            context: h.context,
          }),
          h.commitment,
        ),
      ],
      ["Undecodable", committed(members[0]!, seal(Uint8Array.from([1, 2, 3])), h.commitment)],
      ["CommitmentMismatch", committed(members[0]!, seal(h.payload), h.commitment + 1n)],
      ["CommitmentMismatch", committed(members[0]!, seal(honest(members[1]!, update).payload), h.commitment)],
    ];
    for (const [expected, commit] of cases) expect(verdictOf(commit, readers[0]!)).to.equal(expected);
  });

  it("property: whatever a member commits, all readers reach the same verdict", () => {
    fc.assert(
      fc.property(
        fc.record({
          member: fc.constantFrom(...members),
          kind: fc.constantFrom(
            "honest",
            "other-key",
            "flip",
            "truncate",
            "garbage",
            "wrong-commitment",
            "v1",
          ),
          at: fc.nat(),
          xor: fc.integer({ min: 1, max: 255 }),
          garbage: fc.uint8Array({ minLength: 0, maxLength: 300 }),
        }),
        ({ member, kind, at, xor, garbage }) => {
          const h = honest(member, update);
          let envelope = sealToGroup({
            payload: h.payload,
            groupPublicKey: group.publicKey,
            context: h.context,
          });
          let commitment = h.commitment;
          if (kind === "other-key")
            envelope = sealToGroup({
              payload: h.payload,
              groupPublicKey: generateReaderKeyPair().publicKey,
              context: h.context,
            });
          if (kind === "flip") {
            envelope = Uint8Array.from(envelope);
            const i = at % envelope.length;
            envelope[i] = envelope[i]! ^ xor;
          }
          if (kind === "truncate") envelope = envelope.subarray(0, at % envelope.length);
          if (kind === "garbage") envelope = garbage;
          if (kind === "wrong-commitment") commitment = commitment ^ 1n;
          if (kind === "v1")
            envelope = sealPayload({
              payload: h.payload,
              readers: [{ id: readerIds[at % 3]!, publicKey: personal[at % 3]!.publicKey }],
              context: h.context,
            });
          const commit = committed(member, envelope, commitment);
          const verdicts = readers.map((r) => verdictOf(commit, r));
          expect(new Set(verdicts).size, verdicts.join(",")).to.equal(1);
          const expected =
            kind === "honest" ? "valid" : kind === "wrong-commitment" ? "CommitmentMismatch" : "Unopenable";
          expect(verdicts[0]).to.equal(expected);
        },
      ),
      { numRuns: 200 },
    );
  });
});
