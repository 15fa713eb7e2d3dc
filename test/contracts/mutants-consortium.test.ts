/**
 * Tests written for mutants of contracts/Consortium.sol that survived the other contract tests
 * (`npm run mutation:contracts -- --only Consortium`): the exact second at which a voting window or a
 * policy closes, the edges of the policy bounds, and the auditor quorum when access is revoked.
 */
import { MAX_RULE_ID } from "../../src/aggregation/index.js";
import { expect } from "chai";
import { network } from "hardhat";
import { encodeProposal, Operation, Role, type ProposalAction } from "../../src/governance/index.js";
import { deployConsortium, deployWithTask, VOTING_PERIOD, type Connection } from "./fixtures.js";

const connection: Connection = await network.create();
const { networkHelpers } = connection;
const { time } = networkHelpers;

const consortiumFixture = () => deployConsortium(connection);
const taskFixture = () => deployWithTask(connection);
/** Two attesting auditors, quorum one. */
const quorumOneFixture = () => deployWithTask(connection, { attestationQuorum: 1 });

type Fixture = Awaited<ReturnType<typeof deployConsortium>>;

/** Proposes `action` and gathers the quorum's approvals (not executed); returns its id and expiry. */
async function proposeApproved(f: Fixture, action: ProposalAction): Promise<{ id: bigint; expiry: bigint }> {
  const { kind, payload } = encodeProposal(action);
  await f.consortium.connect(f.governors[0]).propose(kind, payload, VOTING_PERIOD);
  const id = await f.consortium.proposalCount();
  for (const g of f.governors.slice(0, 2)) await f.consortium.connect(g).approve(id);
  return { id, expiry: (await f.consortium.proposal(id)).expiry };
}

describe("Consortium: checks at their boundaries (mutation testing)", function () {
  it("a proposal stays open through its expiry second: approve and execute succeed at t = expiry", async function () {
    const f = await networkHelpers.loadFixture(consortiumFixture);
    const { kind, payload } = encodeProposal({ kind: "SetQuorum", quorum: 3 });
    await f.consortium.connect(f.governors[0]).propose(kind, payload, VOTING_PERIOD);
    const id = await f.consortium.proposalCount();
    const { expiry } = await f.consortium.proposal(id);
    await f.consortium.connect(f.governors[0]).approve(id);
    await time.setNextBlockTimestamp(expiry);
    await expect(f.consortium.connect(f.governors[1]).approve(id)).to.emit(f.consortium, "ProposalApproved");

    const second = await proposeApproved(f, { kind: "SetQuorum", quorum: 1 });
    await time.setNextBlockTimestamp(second.expiry);
    await expect(f.consortium.connect(f.outsider).execute(second.id)).to.emit(
      f.consortium,
      "ProposalExecuted",
    );
    expect(await f.consortium.quorum()).to.equal(1n);
  });

  it("markExpired refuses a proposal at its expiry second and marks it one second later", async function () {
    const f = await networkHelpers.loadFixture(consortiumFixture);
    const { id, expiry } = await proposeApproved(f, { kind: "SetQuorum", quorum: 3 });
    await time.setNextBlockTimestamp(expiry);
    await expect(f.consortium.markExpired(id))
      .to.be.revertedWithCustomError(f.consortium, "Consortium__ProposalNotExpired")
      .withArgs(id);
    await time.setNextBlockTimestamp(expiry + 1n);
    await expect(f.consortium.markExpired(id)).to.emit(f.consortium, "ProposalExpiredMarked").withArgs(id);
  });

  it("task access holds through the policy's expiry second and ends one second later", async function () {
    const f = await networkHelpers.loadFixture(taskFixture);
    await time.setNextBlockTimestamp(f.policy.expiry);
    await expect(
      f.rounds
        .connect(f.aggregator)
        .openRound(f.taskId, "bafkrei-base", f.policy.initialModelHash, f.policy.expiry + 60n),
    ).to.emit(f.rounds, "RoundOpened");
    await time.increaseTo(f.policy.expiry + 1n);
    await expect(
      f.consortium.requireTaskAccess(
        f.taskId,
        f.aggregator.address,
        Role.Aggregator,
        Operation.PublishAggregate,
      ),
    )
      .to.be.revertedWithCustomError(f.consortium, "Consortium__PolicyExpired")
      .withArgs(f.taskId, f.policy.expiry);
  });

  it("attestingAuditors refuses an unknown task", async function () {
    const f = await networkHelpers.loadFixture(taskFixture);
    await expect(f.consortium.attestingAuditors(f.taskId + 1n))
      .to.be.revertedWithCustomError(f.consortium, "Consortium__UnknownTask")
      .withArgs(f.taskId + 1n);
    await expect(f.consortium.attestingAuditors(0n))
      .to.be.revertedWithCustomError(f.consortium, "Consortium__UnknownTask")
      .withArgs(0n);
  });

  it("revoking an auditor's access may leave exactly the quorum of auditors", async function () {
    const f = await networkHelpers.loadFixture(quorumOneFixture);
    const first = f.auditors[0]!;
    await expect(f.govern({ kind: "RevokeTaskAccess", taskId: f.taskId, account: first.address }))
      .to.emit(f.consortium, "TaskAccessChanged")
      .withArgs(f.taskId, first.address, false);
    expect(await f.consortium.hasTaskAccess(f.taskId, first.address)).to.equal(false);
  });

  it("accepts a policy at the edges of its bounds: k = d and the last aggregation rule", async function () {
    const f = await networkHelpers.loadFixture(taskFixture);
    const edges = {
      ...f.policy,
      dimension: 16,
      maxNonZeros: 16,
      aggregationRule: MAX_RULE_ID,
      ruleParameter: 1n,
    };
    await expect(f.govern({ kind: "UpdateTask", taskId: f.taskId, policy: edges })).to.emit(
      f.consortium,
      "TaskPolicySet",
    );
    const stored = await f.consortium.taskPolicy(f.taskId, await f.consortium.currentPolicyVersion(f.taskId));
    expect(stored.maxNonZeros).to.equal(16n);
    expect(stored.dimension).to.equal(16n);
    expect(stored.aggregationRule).to.equal(BigInt(MAX_RULE_ID));
    await expect(
      f.govern({
        kind: "UpdateTask",
        taskId: f.taskId,
        policy: { ...edges, aggregationRule: MAX_RULE_ID + 1 },
      }),
    )
      .to.be.revertedWithCustomError(f.consortium, "Consortium__InvalidPolicy")
      .withArgs("unknown aggregation rule");
    await expect(f.govern({ kind: "UpdateTask", taskId: f.taskId, policy: { ...edges, maxNonZeros: 17 } }))
      .to.be.revertedWithCustomError(f.consortium, "Consortium__InvalidPolicy")
      .withArgs("maxNonZeros outside 1..dimension");
  });

  it("refuses a policy that expires the second it is set, and takes one a second later", async function () {
    const f = await networkHelpers.loadFixture(taskFixture);
    const at = BigInt(await time.latest()) + 100n;
    const expiring = await proposeApproved(f, {
      kind: "UpdateTask",
      taskId: f.taskId,
      policy: { ...f.policy, expiry: at },
    });
    await time.setNextBlockTimestamp(at);
    await expect(f.consortium.execute(expiring.id))
      .to.be.revertedWithCustomError(f.consortium, "Consortium__InvalidPolicy")
      .withArgs("expiry in the past");
    const later = await proposeApproved(f, {
      kind: "UpdateTask",
      taskId: f.taskId,
      policy: { ...f.policy, expiry: at + 100n },
    });
    await time.setNextBlockTimestamp(at + 99n);
    await expect(f.consortium.execute(later.id)).to.emit(f.consortium, "TaskPolicySet");
  });
});
