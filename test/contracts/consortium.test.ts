import { AGGREGATION_RULES, MAX_RULE_ID } from "../../src/aggregation/index.js";
import { expect } from "chai";
import { network } from "hardhat";
import { hexlify, keccak256, randomBytes, toUtf8Bytes, ZeroAddress, ZeroHash } from "ethers";
import { encodeProposal, EntityKind, MemberStatus, Operation, Role } from "../../src/governance/index.js";
import { verifyingKeyHash } from "../../src/zk/index.js";
import {
  createTaskFor,
  deployConsortium,
  deployWithTask,
  encryptionKeyFor,
  VOTING_PERIOD,
  type Connection,
} from "./fixtures.js";
import { TEST_SHAPE, syntheticKey } from "./helpers.js";

const connection: Connection = await network.create();
const { networkHelpers } = connection;

const consortiumFixture = () => deployConsortium(connection);
const taskFixture = () => deployWithTask(connection);
/** A task whose quorum (1) is below its two auditors. */
const quorumOneTaskFixture = () => deployWithTask(connection, { attestationQuorum: 1 });

/** A production deployment (development keys refused) with a production key registered and a task on it. */
async function productionFixture() {
  const f = await deployConsortium(connection, { development: false });
  const words = syntheticKey(3n);
  await f.govern({ kind: "RegisterVerifyingKey", words, shape: TEST_SHAPE, developmentOnly: false });
  const productionKeyHash = verifyingKeyHash(words);
  const task = await createTaskFor(f, { verifyingKeyHash: productionKeyHash });
  return { ...task, productionKeyHash };
}

const profile = (roles: number) => ({
  roles,
  kind: EntityKind.Supplier,
  encryptionKey: encryptionKeyFor("x"),
  metadataHash: keccak256(toUtf8Bytes("meta")),
});

describe("Consortium governance", function () {
  it("deploys through Ignition with the given governors and quorum", async function () {
    const { consortium, governors } = await networkHelpers.loadFixture(consortiumFixture);
    expect(await consortium.governors()).to.deep.equal(governors.map((g) => g.address));
    expect(await consortium.quorum()).to.equal(2n);
    // The fixture's only proposal registered the test key.
    expect(await consortium.proposalCount()).to.equal(1n);
  });

  it("admits a member only after the quorum approved, with every step an event", async function () {
    const { consortium, governors, members } = await networkHelpers.loadFixture(consortiumFixture);
    const { kind, payload } = encodeProposal({
      kind: "AdmitMember",
      account: members[0]!.address,
      profile: profile(Role.Member),
    });
    const id = (await consortium.proposalCount()) + 1n;
    await expect(consortium.connect(governors[0]).propose(kind, payload, VOTING_PERIOD))
      .to.emit(consortium, "ProposalCreated")
      .withArgs(id, kind, governors[0]!.address, (expiry: bigint) => expiry > 0n, payload);
    await expect(consortium.connect(governors[0]).approve(id))
      .to.emit(consortium, "ProposalApproved")
      .withArgs(id, governors[0]!.address);
    await expect(consortium.execute(id))
      .to.be.revertedWithCustomError(consortium, "Consortium__QuorumNotReached")
      .withArgs(id, 1n, 2n);
    expect((await consortium.member(members[0]!.address)).status).to.equal(BigInt(MemberStatus.None));
    await consortium.connect(governors[1]).approve(id);
    await expect(consortium.execute(id))
      .to.emit(consortium, "MemberAdmitted")
      .and.to.emit(consortium, "ProposalExecuted")
      .withArgs(id, kind);
    const m = await consortium.member(members[0]!.address);
    expect(m.status).to.equal(BigInt(MemberStatus.Active));
    expect(m.profile.roles).to.equal(BigInt(Role.Member));
  });

  it("rejects proposals and approvals from non-governors, and double approvals", async function () {
    const { consortium, governors, outsider } = await networkHelpers.loadFixture(consortiumFixture);
    const { kind, payload } = encodeProposal({ kind: "SetQuorum", quorum: 3 });
    await expect(consortium.connect(outsider).propose(kind, payload, VOTING_PERIOD))
      .to.be.revertedWithCustomError(consortium, "Consortium__NotGovernor")
      .withArgs(outsider.address);
    await consortium.connect(governors[0]).propose(kind, payload, VOTING_PERIOD);
    const id = await consortium.proposalCount();
    await expect(consortium.connect(outsider).approve(id))
      .to.be.revertedWithCustomError(consortium, "Consortium__NotGovernor")
      .withArgs(outsider.address);
    await consortium.connect(governors[0]).approve(id);
    await expect(consortium.connect(governors[0]).approve(id))
      .to.be.revertedWithCustomError(consortium, "Consortium__AlreadyApproved")
      .withArgs(id, governors[0]!.address);
    await expect(consortium.connect(governors[0]).approve(99n))
      .to.be.revertedWithCustomError(consortium, "Consortium__UnknownProposal")
      .withArgs(99n);
    await expect(consortium.execute(99n))
      .to.be.revertedWithCustomError(consortium, "Consortium__UnknownProposal")
      .withArgs(99n);
  });

  it("refuses to execute an expired or an already executed proposal, and records expiry", async function () {
    const { consortium, governors } = await networkHelpers.loadFixture(consortiumFixture);
    const { kind, payload } = encodeProposal({ kind: "SetQuorum", quorum: 3 });
    await consortium.connect(governors[0]).propose(kind, payload, VOTING_PERIOD);
    const first = await consortium.proposalCount();
    await consortium.connect(governors[0]).approve(first);
    await consortium.connect(governors[1]).approve(first);
    await expect(consortium.markExpired(first))
      .to.be.revertedWithCustomError(consortium, "Consortium__ProposalNotExpired")
      .withArgs(first);
    await consortium.execute(first);
    expect(await consortium.quorum()).to.equal(3n);
    await expect(consortium.execute(first))
      .to.be.revertedWithCustomError(consortium, "Consortium__ProposalAlreadyExecuted")
      .withArgs(first);
    await expect(consortium.markExpired(first))
      .to.be.revertedWithCustomError(consortium, "Consortium__ProposalAlreadyExecuted")
      .withArgs(first);

    await consortium
      .connect(governors[0])
      .propose(kind, encodeProposal({ kind: "SetQuorum", quorum: 1 }).payload, VOTING_PERIOD);
    const second = await consortium.proposalCount();
    for (const g of governors) await consortium.connect(g).approve(second);
    await networkHelpers.time.increase(VOTING_PERIOD + 1n);
    await expect(consortium.execute(second))
      .to.be.revertedWithCustomError(consortium, "Consortium__ProposalExpired")
      .withArgs(second);
    await expect(consortium.connect(governors[2]).approve(second))
      .to.be.revertedWithCustomError(consortium, "Consortium__ProposalExpired")
      .withArgs(second);
    await expect(consortium.markExpired(second))
      .to.emit(consortium, "ProposalExpiredMarked")
      .withArgs(second);
    await expect(consortium.markExpired(second))
      .to.be.revertedWithCustomError(consortium, "Consortium__ProposalExpired")
      .withArgs(second);
    await expect(consortium.markExpired(99n))
      .to.be.revertedWithCustomError(consortium, "Consortium__UnknownProposal")
      .withArgs(99n);
    expect(await consortium.quorum()).to.equal(3n);
  });

  it("rejects voting periods of zero or beyond the maximum", async function () {
    const { consortium, governors } = await networkHelpers.loadFixture(consortiumFixture);
    const { kind, payload } = encodeProposal({ kind: "SetQuorum", quorum: 1 });
    await expect(consortium.connect(governors[0]).propose(kind, payload, 0n))
      .to.be.revertedWithCustomError(consortium, "Consortium__InvalidVotingPeriod")
      .withArgs(0n);
    await expect(consortium.connect(governors[0]).propose(kind, payload, 30n * 86400n + 1n))
      .to.be.revertedWithCustomError(consortium, "Consortium__InvalidVotingPeriod")
      .withArgs(30n * 86400n + 1n);
    await expect(consortium.connect(governors[0]).propose(kind, payload, 30n * 86400n)).to.emit(
      consortium,
      "ProposalCreated",
    );
  });

  it("keeps the quorum between 1 and the governor count", async function () {
    const { consortium, govern, governors } = await networkHelpers.loadFixture(consortiumFixture);
    await expect(govern({ kind: "SetQuorum", quorum: 0 }))
      .to.be.revertedWithCustomError(consortium, "Consortium__QuorumOutOfRange")
      .withArgs(0n, 3n);
    await expect(govern({ kind: "SetQuorum", quorum: 4 }))
      .to.be.revertedWithCustomError(consortium, "Consortium__QuorumOutOfRange")
      .withArgs(4n, 3n);
    await govern({ kind: "SetQuorum", quorum: 3 });
    // Removing a governor would leave 2 seats under a quorum of 3.
    await expect(govern({ kind: "RemoveGovernor", governor: governors[2]!.address }))
      .to.be.revertedWithCustomError(consortium, "Consortium__QuorumOutOfRange")
      .withArgs(3n, 2n);
  });

  it("changes governors, and an ex-governor's approval stops counting", async function () {
    const { consortium, govern, governors, outsider } = await networkHelpers.loadFixture(consortiumFixture);
    await expect(govern({ kind: "AddGovernor", governor: outsider.address }))
      .to.emit(consortium, "GovernorAdded")
      .withArgs(outsider.address);
    await expect(govern({ kind: "AddGovernor", governor: outsider.address }))
      .to.be.revertedWithCustomError(consortium, "Consortium__AlreadyGovernor")
      .withArgs(outsider.address);
    await expect(govern({ kind: "AddGovernor", governor: ZeroAddress })).to.be.revertedWithCustomError(
      consortium,
      "Consortium__ZeroAddress",
    );
    const stranger = "0x000000000000000000000000000000000000dEaD";
    await expect(govern({ kind: "RemoveGovernor", governor: stranger }))
      .to.be.revertedWithCustomError(consortium, "Consortium__NotGovernor")
      .withArgs(stranger);
    // governor 2 approves a proposal, is then removed; the proposal is one approval short again.
    const { kind, payload } = encodeProposal({ kind: "SetQuorum", quorum: 1 });
    await consortium.connect(governors[0]).propose(kind, payload, VOTING_PERIOD);
    const pending = await consortium.proposalCount();
    await consortium.connect(governors[2]).approve(pending);
    await expect(govern({ kind: "RemoveGovernor", governor: governors[2]!.address }))
      .to.emit(consortium, "GovernorRemoved")
      .withArgs(governors[2]!.address);
    expect(await consortium.governors()).to.not.include(governors[2]!.address);
    expect(await consortium.approvalCount(pending)).to.equal(0n);
    await consortium.connect(governors[0]).approve(pending);
    await expect(consortium.execute(pending))
      .to.be.revertedWithCustomError(consortium, "Consortium__QuorumNotReached")
      .withArgs(pending, 1n, 2n);
    await expect(consortium.connect(governors[2]).approve(pending))
      .to.be.revertedWithCustomError(consortium, "Consortium__NotGovernor")
      .withArgs(governors[2]!.address);
  });

  it("does not count approvals a removed governor gave before it was re-seated (issue 11 point 7)", async function () {
    const { consortium, govern, governors } = await networkHelpers.loadFixture(consortiumFixture);
    const [g0, , g2] = governors as [(typeof governors)[0], (typeof governors)[0], (typeof governors)[0]];
    const { kind, payload } = encodeProposal({ kind: "SetQuorum", quorum: 1 });
    await consortium.connect(g0).propose(kind, payload, VOTING_PERIOD);
    const pending = await consortium.proposalCount();
    await consortium.connect(g2).approve(pending);
    expect(await consortium.approvalCount(pending)).to.equal(1n);
    await govern({ kind: "RemoveGovernor", governor: g2.address });
    await govern({ kind: "AddGovernor", governor: g2.address });
    // Re-seated before the proposal expired: its old approval stays void.
    expect((await consortium.proposal(pending)).expiry).to.be.greaterThan(
      BigInt(await networkHelpers.time.latest()),
    );
    expect(await consortium.governors()).to.include(g2.address);
    expect(await consortium.approvalCount(pending)).to.equal(0n);
    await consortium.connect(g0).approve(pending);
    expect(await consortium.approvalCount(pending)).to.equal(1n);
    await expect(consortium.execute(pending))
      .to.be.revertedWithCustomError(consortium, "Consortium__QuorumNotReached")
      .withArgs(pending, 1n, 2n);
    // A fresh approval from the new seat counts.
    await expect(consortium.connect(g2).approve(pending))
      .to.emit(consortium, "ProposalApproved")
      .withArgs(pending, g2.address);
    expect(await consortium.approvalCount(pending)).to.equal(2n);
    await expect(consortium.execute(pending)).to.emit(consortium, "QuorumChanged").withArgs(1n);
  });

  it("suspends, reinstates and removes members", async function () {
    const { consortium, govern, members, taskId } = await networkHelpers.loadFixture(taskFixture);
    const m = members[0]!.address;
    await expect(govern({ kind: "SuspendMember", account: m }))
      .to.emit(consortium, "MemberStatusChanged")
      .withArgs(m, BigInt(MemberStatus.Suspended));
    await expect(consortium.requireTaskAccess(taskId, m, Role.Member, Operation.CommitUpdate))
      .to.be.revertedWithCustomError(consortium, "Consortium__MemberSuspended")
      .withArgs(m);
    await expect(govern({ kind: "SuspendMember", account: m }))
      .to.be.revertedWithCustomError(consortium, "Consortium__InvalidMemberStatus")
      .withArgs(m, BigInt(MemberStatus.Suspended));
    await govern({ kind: "ReinstateMember", account: m });
    expect(await consortium.requireTaskAccess(taskId, m, Role.Member, Operation.CommitUpdate)).to.equal(1n);
    await govern({ kind: "RemoveMember", account: m });
    await expect(consortium.requireTaskAccess(taskId, m, Role.Member, Operation.CommitUpdate))
      .to.be.revertedWithCustomError(consortium, "Consortium__MemberRemoved")
      .withArgs(m);
    await expect(govern({ kind: "ReinstateMember", account: m }))
      .to.be.revertedWithCustomError(consortium, "Consortium__InvalidMemberStatus")
      .withArgs(m, BigInt(MemberStatus.Removed));
    await expect(govern({ kind: "RemoveMember", account: m }))
      .to.be.revertedWithCustomError(consortium, "Consortium__InvalidMemberStatus")
      .withArgs(m, BigInt(MemberStatus.Removed));
    await expect(govern({ kind: "AdmitMember", account: m, profile: profile(Role.Member) }))
      .to.be.revertedWithCustomError(consortium, "Consortium__AlreadyMember")
      .withArgs(m);
    const stranger = "0x000000000000000000000000000000000000dEaD";
    await expect(govern({ kind: "SuspendMember", account: stranger }))
      .to.be.revertedWithCustomError(consortium, "Consortium__NotMember")
      .withArgs(stranger);
  });

  it("rejects empty or unknown role bits and the zero address", async function () {
    const { consortium, govern, outsider } = await networkHelpers.loadFixture(consortiumFixture);
    await expect(govern({ kind: "AdmitMember", account: outsider.address, profile: profile(0) }))
      .to.be.revertedWithCustomError(consortium, "Consortium__InvalidRoles")
      .withArgs(0n);
    await expect(govern({ kind: "AdmitMember", account: outsider.address, profile: profile(8) }))
      .to.be.revertedWithCustomError(consortium, "Consortium__InvalidRoles")
      .withArgs(8n);
    await expect(
      govern({
        kind: "AdmitMember",
        account: "0x0000000000000000000000000000000000000000",
        profile: profile(1),
      }),
    ).to.be.revertedWithCustomError(consortium, "Consortium__ZeroAddress");
  });
});

describe("Consortium task policies and access", function () {
  it("versions policies: an update makes a new version and the old stays readable", async function () {
    const { consortium, govern, policy, taskId } = await networkHelpers.loadFixture(taskFixture);
    expect(await consortium.currentPolicyVersion(taskId)).to.equal(1n);
    const v2 = { ...policy, l2Bound: policy.l2Bound / 2n };
    await expect(govern({ kind: "UpdateTask", taskId, policy: v2 }))
      .to.emit(consortium, "TaskPolicySet")
      .withArgs(taskId, 2n, (p: unknown) => p !== undefined);
    expect(await consortium.currentPolicyVersion(taskId)).to.equal(2n);
    expect((await consortium.taskPolicy(taskId, 1)).l2Bound).to.equal(policy.l2Bound);
    expect((await consortium.taskPolicy(taskId, 2)).l2Bound).to.equal(v2.l2Bound);
    await expect(consortium.taskPolicy(taskId, 3))
      .to.be.revertedWithCustomError(consortium, "Consortium__UnknownTask")
      .withArgs(taskId);
    await expect(consortium.taskPolicy(taskId, 0))
      .to.be.revertedWithCustomError(consortium, "Consortium__UnknownTask")
      .withArgs(taskId);
    await expect(govern({ kind: "UpdateTask", taskId: 77n, policy: v2 }))
      .to.be.revertedWithCustomError(consortium, "Consortium__UnknownTask")
      .withArgs(77n);
  });

  it("refuses inconsistent policies", async function () {
    const { consortium, govern, policy } = await networkHelpers.loadFixture(taskFixture);
    const now = BigInt(await networkHelpers.time.latest());
    const cases: [string, Partial<typeof policy>][] = [
      ["initialModelCid is empty", { initialModelCid: "" }],
      ["dimension is zero", { dimension: 0 }],
      ["maxNonZeros outside 1..dimension", { maxNonZeros: 1001 }],
      ["zero bound", { lInfBound: 0n }],
      ["l2Bound squared exceeds 2^96", { l2Bound: 2n ** 48n }],
      ["scale is zero", { scale: 0 }],
      ["unknown aggregation rule", { aggregationRule: MAX_RULE_ID + 1 }],
      ["minParticipants is zero", { minParticipants: 0 }],
      ["maxCommits outside minParticipants..MAX_COMMITS_PER_ROUND", { maxCommits: 0 }],
      ["maxCommits outside minParticipants..MAX_COMMITS_PER_ROUND", { maxCommits: 1 }],
      ["maxCommits outside minParticipants..MAX_COMMITS_PER_ROUND", { maxCommits: 1025 }],
      ["attestationQuorum is zero", { attestationQuorum: 0 }],
      ["unknown operation", { allowedOperations: 16 }],
      ["expiry in the past", { expiry: now - 1n }],
      ["zero round window", { maxRoundDuration: 0 }],
      ["zero round window", { publishWindow: 0 }],
      ["zero round window", { attestationWindow: 0 }],
      ["readerKey is zero", { readerKey: ZeroHash }],
      ["no readers", { readers: [] }],
    ];
    for (const [reason, overrides] of cases) {
      await expect(govern({ kind: "CreateTask", policy: { ...policy, ...overrides } }), reason)
        .to.be.revertedWithCustomError(consortium, "Consortium__InvalidPolicy")
        .withArgs(reason);
    }
  });

  it("accepts every rule id of the off-chain registry: the contract's bound matches it", async function () {
    const { consortium, govern, policy } = await networkHelpers.loadFixture(taskFixture);
    for (const rule of AGGREGATION_RULES) {
      await expect(
        govern({ kind: "CreateTask", policy: { ...policy, aggregationRule: rule.id } }),
        rule.kind,
      ).to.emit(consortium, "TaskPolicySet");
    }
  });

  it("requires readers to be active aggregators or auditors", async function () {
    const { consortium, govern, policy, members, outsider } = await networkHelpers.loadFixture(taskFixture);
    await expect(govern({ kind: "CreateTask", policy: { ...policy, readers: [members[0]!.address] } }))
      .to.be.revertedWithCustomError(consortium, "Consortium__MissingRole")
      .withArgs(members[0]!.address, BigInt(Role.Aggregator | Role.Auditor));
    await expect(govern({ kind: "CreateTask", policy: { ...policy, readers: [outsider.address] } }))
      .to.be.revertedWithCustomError(consortium, "Consortium__NotMember")
      .withArgs(outsider.address);
  });

  it("checks role, grant, expiry and allowed operations in requireTaskAccess", async function () {
    const { consortium, govern, members, aggregator, outsider, policy, taskId } =
      await networkHelpers.loadFixture(taskFixture);
    const m = members[0]!.address;
    await expect(consortium.requireTaskAccess(taskId, outsider.address, Role.Member, Operation.CommitUpdate))
      .to.be.revertedWithCustomError(consortium, "Consortium__NotMember")
      .withArgs(outsider.address);
    await expect(consortium.requireTaskAccess(taskId, m, Role.Aggregator, Operation.OpenRound))
      .to.be.revertedWithCustomError(consortium, "Consortium__MissingRole")
      .withArgs(m, BigInt(Role.Aggregator));
    await expect(consortium.requireTaskAccess(99n, m, Role.Member, Operation.CommitUpdate))
      .to.be.revertedWithCustomError(consortium, "Consortium__UnknownTask")
      .withArgs(99n);
    await expect(govern({ kind: "RevokeTaskAccess", taskId, account: m }))
      .to.emit(consortium, "TaskAccessChanged")
      .withArgs(taskId, m, false);
    await expect(consortium.requireTaskAccess(taskId, m, Role.Member, Operation.CommitUpdate))
      .to.be.revertedWithCustomError(consortium, "Consortium__NotGrantedToTask")
      .withArgs(taskId, m);
    await govern({
      kind: "UpdateTask",
      taskId,
      policy: { ...policy, allowedOperations: Operation.All & ~Operation.OpenRound },
    });
    await expect(
      consortium.requireTaskAccess(taskId, aggregator.address, Role.Aggregator, Operation.OpenRound),
    )
      .to.be.revertedWithCustomError(consortium, "Consortium__OperationNotAllowed")
      .withArgs(taskId, BigInt(Operation.OpenRound));
    await networkHelpers.time.increaseTo(policy.expiry + 1n);
    await expect(
      consortium.requireTaskAccess(taskId, aggregator.address, Role.Aggregator, Operation.PublishAggregate),
    )
      .to.be.revertedWithCustomError(consortium, "Consortium__PolicyExpired")
      .withArgs(taskId, policy.expiry);
  });

  it("grants only to admitted members of existing tasks", async function () {
    const { consortium, govern, outsider, taskId, members } = await networkHelpers.loadFixture(taskFixture);
    await expect(govern({ kind: "GrantTaskAccess", taskId, account: outsider.address }))
      .to.be.revertedWithCustomError(consortium, "Consortium__NotMember")
      .withArgs(outsider.address);
    await expect(govern({ kind: "GrantTaskAccess", taskId: 5n, account: members[0]!.address }))
      .to.be.revertedWithCustomError(consortium, "Consortium__UnknownTask")
      .withArgs(5n);
  });
});

describe("Consortium verifying keys (issue 11 point 3)", function () {
  it("creates its own registry and registers keys only by proposal", async function () {
    const { consortium, registry, governors, testKey, govern } =
      await networkHelpers.loadFixture(consortiumFixture);
    expect(await consortium.verifyingKeys()).to.equal(await registry.getAddress());
    expect(await registry.consortium()).to.equal(await consortium.getAddress());
    expect(await consortium.development()).to.equal(true);
    expect(await registry.isRegistered(testKey.keyHash)).to.equal(true);
    const info = await registry.keyInfo(testKey.keyHash);
    expect([info.shape.maxEntries, info.shape.indexBits, info.shape.valueBits]).to.deep.equal([
      16n,
      12n,
      16n,
    ]);
    expect(info.developmentOnly).to.equal(true);
    // Not even a governor can write to the registry directly.
    await expect(registry.connect(governors[0]).register(syntheticKey(), TEST_SHAPE, false))
      .to.be.revertedWithCustomError(registry, "VerifyingKeyRegistry__NotConsortium")
      .withArgs(governors[0]!.address);
    const words = syntheticKey(5n);
    await expect(govern({ kind: "RegisterVerifyingKey", words, shape: TEST_SHAPE, developmentOnly: false }))
      .to.emit(registry, "VerifyingKeyRegistered")
      .withArgs(verifyingKeyHash(words), 16, 12, 16, false, (data: string) =>
        /^0x[0-9a-fA-F]{40}$/.test(data),
      );
    await expect(govern({ kind: "RegisterVerifyingKey", words, shape: TEST_SHAPE, developmentOnly: true }))
      .to.be.revertedWithCustomError(registry, "VerifyingKeyRegistry__AlreadyRegistered")
      .withArgs(verifyingKeyHash(words));
  });

  it("refuses a policy pinning an unknown key", async function () {
    const { consortium, registry, govern, policy, taskId } = await networkHelpers.loadFixture(taskFixture);
    const unknown = hexlify(randomBytes(32));
    await expect(govern({ kind: "CreateTask", policy: { ...policy, verifyingKeyHash: unknown } }))
      .to.be.revertedWithCustomError(registry, "VerifyingKeyRegistry__UnknownKey")
      .withArgs(unknown);
    await expect(govern({ kind: "UpdateTask", taskId, policy: { ...policy, verifyingKeyHash: unknown } }))
      .to.be.revertedWithCustomError(registry, "VerifyingKeyRegistry__UnknownKey")
      .withArgs(unknown);
    expect(await consortium.currentPolicyVersion(taskId)).to.equal(1n);
  });

  it("refuses a development key outside a development deployment and accepts a production key there", async function () {
    const { consortium, govern, policy, taskId, testKey, productionKeyHash } =
      await networkHelpers.loadFixture(productionFixture);
    expect(await consortium.development()).to.equal(false);
    expect((await consortium.taskPolicy(taskId, 1)).verifyingKeyHash).to.equal(productionKeyHash);
    await expect(govern({ kind: "CreateTask", policy: { ...policy, verifyingKeyHash: testKey.keyHash } }))
      .to.be.revertedWithCustomError(consortium, "Consortium__DevelopmentKeyRefused")
      .withArgs(testKey.keyHash);
    await expect(
      govern({ kind: "UpdateTask", taskId, policy: { ...policy, verifyingKeyHash: testKey.keyHash } }),
    )
      .to.be.revertedWithCustomError(consortium, "Consortium__DevelopmentKeyRefused")
      .withArgs(testKey.keyHash);
  });

  it("refuses bounds beyond the key's circuit, naming the bound, the value and the limit", async function () {
    const { consortium, govern, policy, testKey } = await networkHelpers.loadFixture(taskFixture);
    const keyHash = testKey.keyHash;
    const refused: [string, Partial<typeof policy>, bigint, bigint][] = [
      // k above K = 16 entries per chunk times 128 chunks (MAX_CHUNKS_PER_UPDATE)
      ["maxNonZeros", { dimension: 4096, maxNonZeros: 2049 }, 2049n, 2048n],
      // d above 2^IDX_BITS = 4096
      ["dimension", { dimension: 4097 }, 4097n, 4096n],
      // lInf at or above 2^(VAL_BITS-1) = 32768
      ["lInfBound", { lInfBound: 32768n }, 32768n, 32767n],
      ["lInfBound", { lInfBound: 2n ** 63n }, 2n ** 63n, 32767n],
    ];
    for (const [bound, overrides, value, limit] of refused) {
      await expect(govern({ kind: "CreateTask", policy: { ...policy, ...overrides } }), bound)
        .to.be.revertedWithCustomError(consortium, "Consortium__PolicyExceedsCircuit")
        .withArgs(keyHash, bound, value, limit);
    }
    // The limits themselves fit.
    await expect(
      govern({
        kind: "CreateTask",
        policy: { ...policy, dimension: 4096, maxNonZeros: 2048, lInfBound: 32767n },
      }),
    ).to.emit(consortium, "TaskPolicySet");
  });

  it("reads the limits from the pinned key's declared shape", async function () {
    const { consortium, govern, policy } = await networkHelpers.loadFixture(taskFixture);
    const words = syntheticKey(11n);
    const small = { maxEntries: 1, indexBits: 8, valueBits: 10 };
    await govern({ kind: "RegisterVerifyingKey", words, shape: small, developmentOnly: true });
    const keyHash = verifyingKeyHash(words);
    const base = { ...policy, verifyingKeyHash: keyHash, dimension: 256, maxNonZeros: 4, lInfBound: 511n };
    // One entry per chunk proof, at most 128 chunks.
    await expect(govern({ kind: "CreateTask", policy: { ...base, maxNonZeros: 129 } }))
      .to.be.revertedWithCustomError(consortium, "Consortium__PolicyExceedsCircuit")
      .withArgs(keyHash, "maxNonZeros", 129n, 128n);
    await expect(govern({ kind: "CreateTask", policy: { ...base, dimension: 257 } }))
      .to.be.revertedWithCustomError(consortium, "Consortium__PolicyExceedsCircuit")
      .withArgs(keyHash, "dimension", 257n, 256n);
    await expect(govern({ kind: "CreateTask", policy: { ...base, lInfBound: 512n } }))
      .to.be.revertedWithCustomError(consortium, "Consortium__PolicyExceedsCircuit")
      .withArgs(keyHash, "lInfBound", 512n, 511n);
    await expect(govern({ kind: "CreateTask", policy: base })).to.emit(consortium, "TaskPolicySet");
  });
});

describe("Consortium attestation quorum against auditors (issue 11 point 4)", function () {
  it("refuses a quorum above the task's attesting auditors", async function () {
    const { consortium, govern, policy, taskId } = await networkHelpers.loadFixture(taskFixture);
    expect(await consortium.attestingAuditors(taskId)).to.equal(2n);
    const next = (await consortium.taskCount()) + 1n;
    await expect(govern({ kind: "CreateTask", policy: { ...policy, attestationQuorum: 3 } }))
      .to.be.revertedWithCustomError(consortium, "Consortium__QuorumExceedsAuditors")
      .withArgs(next, 3n, 2n);
    await expect(govern({ kind: "UpdateTask", taskId, policy: { ...policy, attestationQuorum: 3 } }))
      .to.be.revertedWithCustomError(consortium, "Consortium__QuorumExceedsAuditors")
      .withArgs(taskId, 3n, 2n);
    // Only the aggregator reads: no auditor at all.
    await expect(
      govern({
        kind: "CreateTask",
        policy: { ...policy, attestationQuorum: 1, readers: [policy.readers[0]!] },
      }),
    )
      .to.be.revertedWithCustomError(consortium, "Consortium__QuorumExceedsAuditors")
      .withArgs(next, 1n, 0n);
  });

  it("counts a reader that both aggregates and audits once less: it can never attest its own round", async function () {
    const { consortium, govern, policy, taskId, outsider } = await networkHelpers.loadFixture(taskFixture);
    await govern({
      kind: "AdmitMember",
      account: outsider.address,
      profile: profile(Role.Aggregator | Role.Auditor),
    });
    const readers = [...policy.readers, outsider.address];
    await expect(govern({ kind: "UpdateTask", taskId, policy: { ...policy, readers, attestationQuorum: 3 } }))
      .to.be.revertedWithCustomError(consortium, "Consortium__QuorumExceedsAuditors")
      .withArgs(taskId, 3n, 2n);
    await govern({ kind: "UpdateTask", taskId, policy: { ...policy, readers } });
    expect(await consortium.attestingAuditors(taskId)).to.equal(2n);
  });

  it("refuses to suspend or remove an auditor when the task's quorum would exceed its auditors", async function () {
    const { consortium, govern, policy, taskId, auditors, aggregator, members } =
      await networkHelpers.loadFixture(taskFixture);
    const [a0, a1] = auditors.map((a) => a.address) as [string, string];
    for (const kind of ["SuspendMember", "RemoveMember"] as const) {
      await expect(govern({ kind, account: a0 }), kind)
        .to.be.revertedWithCustomError(consortium, "Consortium__QuorumExceedsAuditors")
        .withArgs(taskId, 2n, 1n);
    }
    expect((await consortium.member(a0)).status).to.equal(BigInt(MemberStatus.Active));
    // Lowering the quorum first lets one auditor go, but never the last.
    await govern({ kind: "UpdateTask", taskId, policy: { ...policy, attestationQuorum: 1 } });
    await govern({ kind: "SuspendMember", account: a0 });
    // Non-auditors leave freely.
    await govern({ kind: "SuspendMember", account: aggregator.address });
    await govern({ kind: "RemoveMember", account: members[0]!.address });
    await expect(govern({ kind: "RemoveMember", account: a1 }))
      .to.be.revertedWithCustomError(consortium, "Consortium__QuorumExceedsAuditors")
      .withArgs(taskId, 1n, 0n);
  });

  it("refuses a dispute resolution whose suspension would leave the quorum above the auditors", async function () {
    // Governance has to lower the quorum (or add an auditor) before it can suspend a lying auditor of a
    // task whose quorum equals its auditors; the resolution is not recorded meanwhile.
    const { consortium, govern, taskId, auditors } = await networkHelpers.loadFixture(taskFixture);
    await expect(
      govern({
        kind: "ResolveDispute",
        taskId,
        round: 1n,
        upholdModel: true,
        suspend: [auditors[1]!.address],
      }),
    )
      .to.be.revertedWithCustomError(consortium, "Consortium__QuorumExceedsAuditors")
      .withArgs(taskId, 2n, 1n);
    expect(await consortium.disputeResolution(taskId, 1n)).to.equal(0n);
  });

  it("allows one auditor to leave when the quorum is below the auditors", async function () {
    const { consortium, govern, taskId, auditors } = await networkHelpers.loadFixture(quorumOneTaskFixture);
    await expect(govern({ kind: "RemoveMember", account: auditors[0]!.address }))
      .to.emit(consortium, "MemberStatusChanged")
      .withArgs(auditors[0]!.address, BigInt(MemberStatus.Removed));
    expect(await consortium.attestingAuditors(taskId)).to.equal(1n);
  });

  it("refuses to revoke an auditor's task access when the quorum would exceed the granted auditors", async function () {
    const { consortium, govern, taskId, auditors } = await networkHelpers.loadFixture(taskFixture);
    await expect(govern({ kind: "RevokeTaskAccess", taskId, account: auditors[0]!.address }))
      .to.be.revertedWithCustomError(consortium, "Consortium__QuorumExceedsAuditors")
      .withArgs(taskId, 2n, 1n);
  });

  it("refuses a reader listed twice (it would count twice toward the quorum)", async function () {
    const { consortium, govern, policy, taskId, auditors, aggregator } =
      await networkHelpers.loadFixture(taskFixture);
    const readers = [aggregator.address, auditors[0]!.address, auditors[0]!.address];
    await expect(govern({ kind: "UpdateTask", taskId, policy: { ...policy, readers } }))
      .to.be.revertedWithCustomError(consortium, "Consortium__InvalidPolicy")
      .withArgs("duplicate reader");
  });
});

describe("Consortium round size bound (issue 11 point 8)", function () {
  it("enforces MAX_COMMITS_PER_ROUND = 1024 in policy validation", async function () {
    const { consortium, govern, policy, taskId } = await networkHelpers.loadFixture(taskFixture);
    expect(await consortium.MAX_COMMITS_PER_ROUND()).to.equal(1024n);
    await expect(govern({ kind: "UpdateTask", taskId, policy: { ...policy, maxCommits: 1025 } }))
      .to.be.revertedWithCustomError(consortium, "Consortium__InvalidPolicy")
      .withArgs("maxCommits outside minParticipants..MAX_COMMITS_PER_ROUND");
    await govern({ kind: "UpdateTask", taskId, policy: { ...policy, maxCommits: 1024 } });
    expect((await consortium.taskPolicy(taskId, 2)).maxCommits).to.equal(1024n);
    // maxCommits may equal minParticipants.
    await govern({ kind: "UpdateTask", taskId, policy: { ...policy, minParticipants: 5, maxCommits: 5 } });
  });
});
