import { expect } from "chai";
import { network } from "hardhat";
import { keccak256, toUtf8Bytes } from "ethers";
import { encodeProposal, EntityKind, MemberStatus, Operation, Role } from "../../src/governance/index.js";
import {
  deployConsortium,
  deployWithTask,
  encryptionKeyFor,
  VOTING_PERIOD,
  type Connection,
} from "./fixtures.js";

const connection: Connection = await network.create();
const { networkHelpers } = connection;

const consortiumFixture = () => deployConsortium(connection);
const taskFixture = () => deployWithTask(connection);

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
  });

  it("admits a member only after the quorum approved, with every step an event", async function () {
    const { consortium, governors, members } = await networkHelpers.loadFixture(consortiumFixture);
    const { kind, payload } = encodeProposal({
      kind: "AdmitMember",
      account: members[0]!.address,
      profile: profile(Role.Member),
    });
    await expect(consortium.connect(governors[0]).propose(kind, payload, VOTING_PERIOD)).to.emit(
      consortium,
      "ProposalCreated",
    );
    await expect(consortium.connect(governors[0]).approve(1n))
      .to.emit(consortium, "ProposalApproved")
      .withArgs(1n, governors[0]!.address);
    await expect(consortium.execute(1n))
      .to.be.revertedWithCustomError(consortium, "Consortium__QuorumNotReached")
      .withArgs(1n, 1n, 2n);
    expect((await consortium.member(members[0]!.address)).status).to.equal(BigInt(MemberStatus.None));
    await consortium.connect(governors[1]).approve(1n);
    await expect(consortium.execute(1n))
      .to.emit(consortium, "MemberAdmitted")
      .and.to.emit(consortium, "ProposalExecuted")
      .withArgs(1n, kind);
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
    await expect(consortium.connect(outsider).approve(1n)).to.be.revertedWithCustomError(
      consortium,
      "Consortium__NotGovernor",
    );
    await consortium.connect(governors[0]).approve(1n);
    await expect(consortium.connect(governors[0]).approve(1n))
      .to.be.revertedWithCustomError(consortium, "Consortium__AlreadyApproved")
      .withArgs(1n, governors[0]!.address);
    await expect(consortium.connect(governors[0]).approve(99n)).to.be.revertedWithCustomError(
      consortium,
      "Consortium__UnknownProposal",
    );
  });

  it("refuses to execute an expired or an already executed proposal, and records expiry", async function () {
    const { consortium, governors } = await networkHelpers.loadFixture(consortiumFixture);
    const { kind, payload } = encodeProposal({ kind: "SetQuorum", quorum: 3 });
    await consortium.connect(governors[0]).propose(kind, payload, VOTING_PERIOD);
    await consortium.connect(governors[0]).approve(1n);
    await consortium.connect(governors[1]).approve(1n);
    await expect(consortium.markExpired(1n)).to.be.revertedWithCustomError(
      consortium,
      "Consortium__ProposalNotExpired",
    );
    await consortium.execute(1n);
    expect(await consortium.quorum()).to.equal(3n);
    await expect(consortium.execute(1n)).to.be.revertedWithCustomError(
      consortium,
      "Consortium__ProposalAlreadyExecuted",
    );
    await expect(consortium.markExpired(1n)).to.be.revertedWithCustomError(
      consortium,
      "Consortium__ProposalAlreadyExecuted",
    );

    await consortium
      .connect(governors[0])
      .propose(kind, encodeProposal({ kind: "SetQuorum", quorum: 1 }).payload, VOTING_PERIOD);
    for (const g of governors) await consortium.connect(g).approve(2n);
    await networkHelpers.time.increase(VOTING_PERIOD + 1n);
    await expect(consortium.execute(2n))
      .to.be.revertedWithCustomError(consortium, "Consortium__ProposalExpired")
      .withArgs(2n);
    await expect(consortium.connect(governors[2]).approve(2n)).to.be.revertedWithCustomError(
      consortium,
      "Consortium__ProposalExpired",
    );
    await expect(consortium.markExpired(2n)).to.emit(consortium, "ProposalExpiredMarked").withArgs(2n);
    await expect(consortium.markExpired(2n)).to.be.revertedWithCustomError(
      consortium,
      "Consortium__ProposalExpired",
    );
    expect(await consortium.quorum()).to.equal(3n);
  });

  it("rejects voting periods of zero or beyond the maximum", async function () {
    const { consortium, governors } = await networkHelpers.loadFixture(consortiumFixture);
    const { kind, payload } = encodeProposal({ kind: "SetQuorum", quorum: 1 });
    await expect(consortium.connect(governors[0]).propose(kind, payload, 0n)).to.be.revertedWithCustomError(
      consortium,
      "Consortium__InvalidVotingPeriod",
    );
    await expect(
      consortium.connect(governors[0]).propose(kind, payload, 31n * 86400n),
    ).to.be.revertedWithCustomError(consortium, "Consortium__InvalidVotingPeriod");
  });

  it("keeps the quorum between 1 and the governor count", async function () {
    const { consortium, govern, governors } = await networkHelpers.loadFixture(consortiumFixture);
    await expect(govern({ kind: "SetQuorum", quorum: 0 })).to.be.revertedWithCustomError(
      consortium,
      "Consortium__QuorumOutOfRange",
    );
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
    await expect(govern({ kind: "AddGovernor", governor: outsider.address })).to.be.revertedWithCustomError(
      consortium,
      "Consortium__AlreadyGovernor",
    );
    // governor 2 approves a proposal, is then removed; the proposal is one approval short again.
    const { kind, payload } = encodeProposal({ kind: "SetQuorum", quorum: 1 });
    await consortium.connect(governors[0]).propose(kind, payload, VOTING_PERIOD);
    const pending = await consortium.proposalCount();
    await consortium.connect(governors[2]).approve(pending);
    await govern({ kind: "RemoveGovernor", governor: governors[2]!.address });
    expect(await consortium.governors()).to.not.include(governors[2]!.address);
    expect(await consortium.approvalCount(pending)).to.equal(0n);
    await consortium.connect(governors[0]).approve(pending);
    await expect(consortium.execute(pending)).to.be.revertedWithCustomError(
      consortium,
      "Consortium__QuorumNotReached",
    );
    await expect(consortium.connect(governors[2]).approve(pending)).to.be.revertedWithCustomError(
      consortium,
      "Consortium__NotGovernor",
    );
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
    await expect(govern({ kind: "SuspendMember", account: m })).to.be.revertedWithCustomError(
      consortium,
      "Consortium__InvalidMemberStatus",
    );
    await govern({ kind: "ReinstateMember", account: m });
    expect(await consortium.requireTaskAccess(taskId, m, Role.Member, Operation.CommitUpdate)).to.equal(1n);
    await govern({ kind: "RemoveMember", account: m });
    await expect(
      consortium.requireTaskAccess(taskId, m, Role.Member, Operation.CommitUpdate),
    ).to.be.revertedWithCustomError(consortium, "Consortium__MemberRemoved");
    await expect(govern({ kind: "ReinstateMember", account: m })).to.be.revertedWithCustomError(
      consortium,
      "Consortium__InvalidMemberStatus",
    );
    await expect(
      govern({ kind: "AdmitMember", account: m, profile: profile(Role.Member) }),
    ).to.be.revertedWithCustomError(consortium, "Consortium__AlreadyMember");
  });

  it("rejects empty or unknown role bits and the zero address", async function () {
    const { consortium, govern, outsider } = await networkHelpers.loadFixture(consortiumFixture);
    await expect(govern({ kind: "AdmitMember", account: outsider.address, profile: profile(0) }))
      .to.be.revertedWithCustomError(consortium, "Consortium__InvalidRoles")
      .withArgs(0n);
    await expect(
      govern({ kind: "AdmitMember", account: outsider.address, profile: profile(8) }),
    ).to.be.revertedWithCustomError(consortium, "Consortium__InvalidRoles");
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
    await expect(consortium.taskPolicy(taskId, 3)).to.be.revertedWithCustomError(
      consortium,
      "Consortium__UnknownTask",
    );
    await expect(govern({ kind: "UpdateTask", taskId: 77n, policy: v2 })).to.be.revertedWithCustomError(
      consortium,
      "Consortium__UnknownTask",
    );
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
      ["unknown aggregation rule", { aggregationRule: 5 }],
      ["minParticipants is zero", { minParticipants: 0 }],
      ["attestationQuorum is zero", { attestationQuorum: 0 }],
      ["unknown operation", { allowedOperations: 16 }],
      ["expiry in the past", { expiry: now - 1n }],
      ["verifier has no code", { verifier: "0x000000000000000000000000000000000000dEaD" }],
      ["no readers", { readers: [] }],
    ];
    for (const [reason, overrides] of cases) {
      await expect(govern({ kind: "CreateTask", policy: { ...policy, ...overrides } }), reason)
        .to.be.revertedWithCustomError(consortium, "Consortium__InvalidPolicy")
        .withArgs(reason);
    }
  });

  it("requires readers to be active aggregators or auditors", async function () {
    const { consortium, govern, policy, members, outsider } = await networkHelpers.loadFixture(taskFixture);
    await expect(
      govern({ kind: "CreateTask", policy: { ...policy, readers: [members[0]!.address] } }),
    ).to.be.revertedWithCustomError(consortium, "Consortium__MissingRole");
    await expect(
      govern({ kind: "CreateTask", policy: { ...policy, readers: [outsider.address] } }),
    ).to.be.revertedWithCustomError(consortium, "Consortium__NotMember");
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
    await expect(
      consortium.requireTaskAccess(99n, m, Role.Member, Operation.CommitUpdate),
    ).to.be.revertedWithCustomError(consortium, "Consortium__UnknownTask");
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
    ).to.be.revertedWithCustomError(consortium, "Consortium__PolicyExpired");
  });

  it("grants only to admitted members of existing tasks", async function () {
    const { consortium, govern, outsider, taskId, members } = await networkHelpers.loadFixture(taskFixture);
    await expect(
      govern({ kind: "GrantTaskAccess", taskId, account: outsider.address }),
    ).to.be.revertedWithCustomError(consortium, "Consortium__NotMember");
    await expect(
      govern({ kind: "GrantTaskAccess", taskId: 5n, account: members[0]!.address }),
    ).to.be.revertedWithCustomError(consortium, "Consortium__UnknownTask");
  });
});
