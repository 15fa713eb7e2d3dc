/**
 * `decodeProposal` is the inverse of `encodeProposal` for every proposal kind (a governor approving in the
 * console sees what the chain's bytes say), and `describeProposal` says it in one line.
 */
import { expect } from "chai";
import { getAddress, keccak256, toUtf8Bytes } from "ethers";
import {
  decodeProposal,
  describeProposal,
  describeProposalPayload,
  draftTaskPolicy,
  encodeProposal,
  KIND_NAMES,
  PolicyError,
  ProposalKind,
  type ProposalAction,
} from "../../src/governance/index.js";

const A = getAddress("0x00000000000000000000000000000000000000a1");
const B = getAddress("0x00000000000000000000000000000000000000b2");
const policy = draftTaskPolicy({
  model: { name: "m", dimension: 1778, hash: keccak256(toUtf8Bytes("m0")), cid: "bafkreim0" },
  verifyingKey: {
    keyHash: keccak256(toUtf8Bytes("vk")),
    shape: { maxEntries: 128, indexBits: 12, valueBits: 16 },
  },
  readers: { key: keccak256(toUtf8Bytes("group")), addresses: [A, B] },
  now: 1_800_000_000n,
});

const ACTIONS: Record<string, ProposalAction> = {
  AdmitMember: {
    kind: "AdmitMember",
    account: A,
    profile: {
      roles: 5,
      kind: 2,
      encryptionKey: keccak256(toUtf8Bytes("x")),
      metadataHash: keccak256(toUtf8Bytes("y")),
    },
  },
  SuspendMember: { kind: "SuspendMember", account: A },
  ReinstateMember: { kind: "ReinstateMember", account: A },
  RemoveMember: { kind: "RemoveMember", account: A },
  AddGovernor: { kind: "AddGovernor", governor: B },
  RemoveGovernor: { kind: "RemoveGovernor", governor: B },
  SetQuorum: { kind: "SetQuorum", quorum: 3 },
  CreateTask: { kind: "CreateTask", policy },
  UpdateTask: { kind: "UpdateTask", taskId: 2n, policy },
  GrantTaskAccess: { kind: "GrantTaskAccess", taskId: 1n, account: A },
  RevokeTaskAccess: { kind: "RevokeTaskAccess", taskId: 1n, account: B },
  RegisterVerifyingKey: {
    kind: "RegisterVerifyingKey",
    words: [1n, 2n, 3n],
    shape: { maxEntries: 16, indexBits: 12, valueBits: 16 },
    developmentOnly: true,
  },
  ResolveDispute: { kind: "ResolveDispute", taskId: 1n, round: 4n, upholdModel: false, suspend: [A, B] },
};

describe("decodeProposal and describeProposal", function () {
  it("covers every proposal kind", function () {
    expect(Object.keys(ACTIONS)).to.deep.equal(KIND_NAMES);
  });

  for (const [name, action] of Object.entries(ACTIONS)) {
    it(`${name}: decodes what encodeProposal encoded, field for field`, function () {
      const encoded = encodeProposal(action);
      expect(decodeProposal(encoded)).to.deep.equal(action);
      expect(describeProposal(action)).to.be.a("string").and.not.equal("");
    });
  }

  it("says what each action does in the words a governor reads", function () {
    expect(describeProposal(ACTIONS.AdmitMember!)).to.equal(
      `admit 0x000000…0000A1 as member, auditor (Recycler), encryption key ${keccak256(toUtf8Bytes("x")).slice(0, 8)}…${keccak256(toUtf8Bytes("x")).slice(-6)}`,
    );
    expect(describeProposal(ACTIONS.SetQuorum!)).to.equal("quorum 3");
    expect(describeProposal(ACTIONS.UpdateTask!)).to.match(
      /^task 2: model 0x\w{6}…\w{6}, d = 1778, k ≤ 128, L2 ≤ 16384, mean, 3–256 members, 2 attestations, key .+, 2 readers$/,
    );
    expect(describeProposal(ACTIONS.ResolveDispute!)).to.equal(
      "task 1 round 4: confirm the dispute, suspend 0x000000…0000A1, 0x000000…0000b2",
    );
  });

  it("describes a proposal as the chain lists it, or says why it cannot", function () {
    const { payload } = encodeProposal(ACTIONS.SetQuorum!);
    expect(describeProposalPayload({ kind: "SetQuorum", payload })).to.equal("quorum 3");
    expect(describeProposalPayload({ kind: "SetQuorum", payload: "0x12" })).to.match(
      /^SetQuorum payload does not decode/,
    );
    expect(describeProposalPayload({ kind: "13", payload })).to.equal(
      "a proposal kind this version does not know (13)",
    );
  });

  it("refuses an unknown kind and a payload that does not decode", function () {
    expect(() => decodeProposal({ kind: 99, payload: "0x" })).to.throw(
      PolicyError,
      "unknown proposal kind 99",
    );
    expect(() => decodeProposal({ kind: ProposalKind.SetQuorum, payload: "0x12" })).to.throw(
      PolicyError,
      /SetQuorum payload does not decode/,
    );
  });
});
