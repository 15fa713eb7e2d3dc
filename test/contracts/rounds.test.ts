import { expect } from "chai";
import { network } from "hardhat";
import { hexlify, keccak256, randomBytes, toUtf8Bytes } from "ethers";
import { Operation } from "../../src/governance/index.js";
import { ExclusionReason, RoundStatus } from "../../src/chain/index.js";
import { deployWithTask, type Connection } from "./fixtures.js";
import { proveFor, testArtifacts } from "./proofs.js";

const connection: Connection = await network.create();
const { networkHelpers } = connection;
const HOUR = 3600n;

async function openRoundFixture() {
  const artifacts = await testArtifacts();
  const f = await deployWithTask(connection, { verifyingKeyHash: artifacts.vkeyHash });
  const deadline = BigInt(await networkHelpers.time.latest()) + HOUR;
  await f.rounds
    .connect(f.aggregator)
    .openRound(f.taskId, "bafkrei-initial", f.policy.initialModelHash, deadline);
  return { ...f, deadline, round: 1n };
}

/** Round 1 with two members committed and closed by the aggregator. */
async function closedRoundFixture() {
  const f = await openRoundFixture();
  for (const m of f.members.slice(0, 2)) {
    const c = await proveFor({ task: f.taskId, round: 1n, member: m.address, policy: f.policy });
    await f.rounds.connect(m).commitUpdate(f.taskId, 1n, c.cid, c.commitment, c.proof);
  }
  await f.rounds.connect(f.aggregator).closeRound(f.taskId, 1n);
  const included = f.members
    .slice(0, 2)
    .map((m) => m.address)
    .sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));
  return { ...f, included };
}

async function publishedRoundFixture() {
  const f = await closedRoundFixture();
  const modelHash = keccak256(toUtf8Bytes("model-1"));
  await f.rounds
    .connect(f.aggregator)
    .publishAggregate(f.taskId, 1n, "bafkrei-model-1", modelHash, f.included, []);
  return { ...f, modelHash };
}

describe("FederatedRounds with real Groth16 proofs", function () {
  it("runs a round end to end: open, commit, close, publish, attest, finalize", async function () {
    const f = await networkHelpers.loadFixture(publishedRoundFixture);
    const { rounds, auditors, taskId } = f;
    await expect(rounds.connect(auditors[0]).attest(taskId, 1n, true, f.modelHash))
      .to.emit(rounds, "AggregateAttested")
      .withArgs(taskId, 1n, auditors[0]!.address, true, f.modelHash);
    await expect(rounds.finalizeRound(taskId, 1n))
      .to.be.revertedWithCustomError(rounds, "FederatedRounds__AttestationQuorumNotReached")
      .withArgs(taskId, 1n, 1n, 2n);
    await rounds.connect(auditors[1]).attest(taskId, 1n, true, f.modelHash);
    await expect(rounds.finalizeRound(taskId, 1n))
      .to.emit(rounds, "RoundFinalized")
      .withArgs(taskId, 1n, f.modelHash);
    expect((await rounds.getRound(taskId, 1n)).status).to.equal(BigInt(RoundStatus.Finalized));
    expect(await rounds.lastFinalized(taskId)).to.deep.equal([1n, f.modelHash]);
    // The next round must build on the model just finalized, not on the initial one.
    const deadline = BigInt(await networkHelpers.time.latest()) + HOUR;
    await expect(
      rounds.connect(f.aggregator).openRound(taskId, "bafkrei-initial", f.policy.initialModelHash, deadline),
    )
      .to.be.revertedWithCustomError(rounds, "FederatedRounds__BaseModelNotFinalized")
      .withArgs(f.policy.initialModelHash, f.modelHash);
    await expect(rounds.connect(f.aggregator).openRound(taskId, "bafkrei-model-1", f.modelHash, deadline))
      .to.emit(rounds, "RoundOpened")
      .withArgs(taskId, 2n, f.aggregator.address, 1n, "bafkrei-model-1", f.modelHash, deadline);
  });

  it("accepts a real proof and records the commitment", async function () {
    const f = await networkHelpers.loadFixture(openRoundFixture);
    const m = f.members[0]!;
    const c = await proveFor({ task: f.taskId, round: 1n, member: m.address, policy: f.policy });
    await expect(f.rounds.connect(m).commitUpdate(f.taskId, 1n, c.cid, c.commitment, c.proof))
      .to.emit(f.rounds, "UpdateCommitted")
      .withArgs(f.taskId, 1n, m.address, c.cid, c.commitment);
    expect(await f.rounds.commitmentOf(f.taskId, 1n, m.address)).to.equal(c.commitment);
    expect((await f.rounds.getRound(f.taskId, 1n)).commitCount).to.equal(1n);
  });

  describe("commitUpdate rejections", function () {
    it("rejects outsiders, wrong roles, suspended and ungranted members", async function () {
      const f = await networkHelpers.loadFixture(openRoundFixture);
      const { rounds, consortium, taskId } = f;
      const tryCommit = async (signer: (typeof f.members)[number]) => {
        const c = await proveFor({ task: taskId, round: 1n, member: signer.address, policy: f.policy });
        return rounds.connect(signer).commitUpdate(taskId, 1n, c.cid, c.commitment, c.proof);
      };
      await expect(tryCommit(f.outsider)).to.be.revertedWithCustomError(consortium, "Consortium__NotMember");
      await expect(tryCommit(f.aggregator)).to.be.revertedWithCustomError(
        consortium,
        "Consortium__MissingRole",
      );
      await f.govern({ kind: "SuspendMember", account: f.members[0]!.address });
      await expect(tryCommit(f.members[0]!)).to.be.revertedWithCustomError(
        consortium,
        "Consortium__MemberSuspended",
      );
      await f.govern({ kind: "RevokeTaskAccess", taskId, account: f.members[1]!.address });
      await expect(tryCommit(f.members[1]!)).to.be.revertedWithCustomError(
        consortium,
        "Consortium__NotGrantedToTask",
      );
    });

    it("rejects commits when the policy expired or no longer allows them", async function () {
      const f = await networkHelpers.loadFixture(openRoundFixture);
      const m = f.members[0]!;
      const c = await proveFor({ task: f.taskId, round: 1n, member: m.address, policy: f.policy });
      await f.govern({
        kind: "UpdateTask",
        taskId: f.taskId,
        policy: { ...f.policy, allowedOperations: Operation.All & ~Operation.CommitUpdate },
      });
      await expect(f.rounds.connect(m).commitUpdate(f.taskId, 1n, c.cid, c.commitment, c.proof))
        .to.be.revertedWithCustomError(f.consortium, "Consortium__OperationNotAllowed")
        .withArgs(f.taskId, BigInt(Operation.CommitUpdate));
      const now = BigInt(await networkHelpers.time.latest());
      await f.govern({ kind: "UpdateTask", taskId: f.taskId, policy: { ...f.policy, expiry: now + 60n } });
      await networkHelpers.time.increase(120);
      await expect(
        f.rounds.connect(m).commitUpdate(f.taskId, 1n, c.cid, c.commitment, c.proof),
      ).to.be.revertedWithCustomError(f.consortium, "Consortium__PolicyExpired");
    });

    it("rejects unknown or closed rounds, late commits and second commits", async function () {
      const f = await networkHelpers.loadFixture(openRoundFixture);
      const [a, b, c3] = f.members as [typeof f.outsider, typeof f.outsider, typeof f.outsider];
      const ca = await proveFor({ task: f.taskId, round: 1n, member: a.address, policy: f.policy });
      await expect(f.rounds.connect(a).commitUpdate(f.taskId, 7n, ca.cid, ca.commitment, ca.proof))
        .to.be.revertedWithCustomError(f.rounds, "FederatedRounds__UnknownRound")
        .withArgs(f.taskId, 7n);
      await f.rounds.connect(a).commitUpdate(f.taskId, 1n, ca.cid, ca.commitment, ca.proof);
      await expect(f.rounds.connect(a).commitUpdate(f.taskId, 1n, ca.cid, ca.commitment, ca.proof))
        .to.be.revertedWithCustomError(f.rounds, "FederatedRounds__AlreadyCommitted")
        .withArgs(f.taskId, 1n, a.address);
      const cb = await proveFor({ task: f.taskId, round: 1n, member: b.address, policy: f.policy });
      await networkHelpers.time.increaseTo(f.deadline + 1n);
      await expect(
        f.rounds.connect(b).commitUpdate(f.taskId, 1n, cb.cid, cb.commitment, cb.proof),
      ).to.be.revertedWithCustomError(f.rounds, "FederatedRounds__DeadlinePassed");
      // After the deadline anyone may close; then the round is not open at all.
      await f.rounds.connect(c3).closeRound(f.taskId, 1n);
      await expect(
        f.rounds.connect(b).commitUpdate(f.taskId, 1n, cb.cid, cb.commitment, cb.proof),
      ).to.be.revertedWithCustomError(f.rounds, "FederatedRounds__RoundNotOpen");
    });

    it("rejects a commitment that does not match the proven entries, and malformed commitments", async function () {
      const f = await networkHelpers.loadFixture(openRoundFixture);
      const m = f.members[0]!;
      const c = await proveFor({ task: f.taskId, round: 1n, member: m.address, policy: f.policy });
      const other = await proveFor({ task: f.taskId, round: 1n, member: m.address, policy: f.policy });
      await expect(f.rounds.connect(m).commitUpdate(f.taskId, 1n, c.cid, other.commitment, c.proof))
        .to.be.revertedWithCustomError(f.rounds, "FederatedRounds__InvalidProof")
        .withArgs(f.taskId, 1n, m.address);
      const forged = [...c.proof];
      forged[7] = forged[7]! ^ 1n;
      await expect(
        f.rounds.connect(m).commitUpdate(f.taskId, 1n, c.cid, c.commitment, forged),
      ).to.be.revertedWithCustomError(f.rounds, "FederatedRounds__InvalidProof");
      await expect(
        f.rounds.connect(m).commitUpdate(f.taskId, 1n, c.cid, "0x" + "00".repeat(32), c.proof),
      ).to.be.revertedWithCustomError(f.rounds, "FederatedRounds__InvalidCommitment");
      await expect(
        f.rounds.connect(m).commitUpdate(f.taskId, 1n, c.cid, "0x" + "ff".repeat(32), c.proof),
      ).to.be.revertedWithCustomError(f.rounds, "FederatedRounds__InvalidCommitment");
      await expect(
        f.rounds.connect(m).commitUpdate(f.taskId, 1n, "", c.commitment, c.proof),
      ).to.be.revertedWithCustomError(f.rounds, "FederatedRounds__EmptyCid");
    });

    it("rejects a valid proof replayed by another member", async function () {
      const f = await networkHelpers.loadFixture(openRoundFixture);
      const [a, b] = f.members as [typeof f.outsider, typeof f.outsider];
      const c = await proveFor({ task: f.taskId, round: 1n, member: a.address, policy: f.policy });
      await expect(f.rounds.connect(b).commitUpdate(f.taskId, 1n, c.cid, c.commitment, c.proof))
        .to.be.revertedWithCustomError(f.rounds, "FederatedRounds__InvalidProof")
        .withArgs(f.taskId, 1n, b.address);
    });

    it("rejects a valid proof replayed in another round", async function () {
      const f = await networkHelpers.loadFixture(publishedRoundFixture);
      const a = f.members[2]!;
      const c = await proveFor({ task: f.taskId, round: 1n, member: a.address, policy: f.policy });
      for (const auditor of f.auditors)
        await f.rounds.connect(auditor).attest(f.taskId, 1n, true, f.modelHash);
      await f.rounds.finalizeRound(f.taskId, 1n);
      const deadline = BigInt(await networkHelpers.time.latest()) + HOUR;
      await f.rounds.connect(f.aggregator).openRound(f.taskId, "bafkrei-model-1", f.modelHash, deadline);
      await expect(f.rounds.connect(a).commitUpdate(f.taskId, 2n, c.cid, c.commitment, c.proof))
        .to.be.revertedWithCustomError(f.rounds, "FederatedRounds__InvalidProof")
        .withArgs(f.taskId, 2n, a.address);
    });

    it("rejects a valid proof replayed for another task", async function () {
      const f = await networkHelpers.loadFixture(openRoundFixture);
      const a = f.members[0]!;
      await f.govern({
        kind: "CreateTask",
        policy: { ...f.policy, initialModelHash: hexlify(randomBytes(32)) },
      });
      const task2 = await f.consortium.taskCount();
      await f.govern({ kind: "GrantTaskAccess", taskId: task2, account: a.address });
      await f.govern({ kind: "GrantTaskAccess", taskId: task2, account: f.aggregator.address });
      const task2Policy = await f.consortium.taskPolicy(task2, 1);
      const deadline = BigInt(await networkHelpers.time.latest()) + HOUR;
      await f.rounds
        .connect(f.aggregator)
        .openRound(task2, "bafkrei-initial-2", task2Policy.initialModelHash, deadline);
      const c = await proveFor({ task: f.taskId, round: 1n, member: a.address, policy: f.policy });
      await expect(f.rounds.connect(a).commitUpdate(task2, 1n, c.cid, c.commitment, c.proof))
        .to.be.revertedWithCustomError(f.rounds, "FederatedRounds__InvalidProof")
        .withArgs(task2, 1n, a.address);
    });

    it("rejects a proof made under bounds that the policy has since changed", async function () {
      const f = await networkHelpers.loadFixture(closedRoundFixture);
      const modelHash = keccak256(toUtf8Bytes("m1"));
      await f.rounds
        .connect(f.aggregator)
        .publishAggregate(f.taskId, 1n, "bafkrei-m1", modelHash, f.included, []);
      for (const auditor of f.auditors) await f.rounds.connect(auditor).attest(f.taskId, 1n, true, modelHash);
      await f.rounds.finalizeRound(f.taskId, 1n);
      const a = f.members[2]!;
      // Proved for round 2 under the old bounds, but round 2 opens under version 2 with a tighter L2 bound.
      const stale = await proveFor({ task: f.taskId, round: 2n, member: a.address, policy: f.policy });
      const v2 = { ...f.policy, l2Bound: 4000n };
      await f.govern({ kind: "UpdateTask", taskId: f.taskId, policy: v2 });
      const deadline = BigInt(await networkHelpers.time.latest()) + HOUR;
      await f.rounds.connect(f.aggregator).openRound(f.taskId, "bafkrei-m1", modelHash, deadline);
      expect((await f.rounds.getRound(f.taskId, 2n)).policyVersion).to.equal(2n);
      await expect(
        f.rounds.connect(a).commitUpdate(f.taskId, 2n, stale.cid, stale.commitment, stale.proof),
      ).to.be.revertedWithCustomError(f.rounds, "FederatedRounds__InvalidProof");
      const fresh = await proveFor({ task: f.taskId, round: 2n, member: a.address, policy: v2 });
      await expect(
        f.rounds.connect(a).commitUpdate(f.taskId, 2n, fresh.cid, fresh.commitment, fresh.proof),
      ).to.emit(f.rounds, "UpdateCommitted");
    });
  });

  describe("round lifecycle rejections", function () {
    it("opens only for aggregators, on the finalized base, after the previous round ended, with a future deadline", async function () {
      const f = await networkHelpers.loadFixture(openRoundFixture);
      const deadline = BigInt(await networkHelpers.time.latest()) + HOUR;
      await expect(
        f.rounds.connect(f.members[0]).openRound(f.taskId, "cid", f.policy.initialModelHash, deadline),
      ).to.be.revertedWithCustomError(f.consortium, "Consortium__MissingRole");
      await expect(
        f.rounds.connect(f.aggregator).openRound(f.taskId, "cid", f.policy.initialModelHash, deadline),
      )
        .to.be.revertedWithCustomError(f.rounds, "FederatedRounds__PreviousRoundPending")
        .withArgs(f.taskId, 1n);
      await expect(
        f.rounds.connect(f.aggregator).openRound(f.taskId, "cid", f.policy.initialModelHash, 1n),
      ).to.be.revertedWithCustomError(f.rounds, "FederatedRounds__InvalidDeadline");
      await expect(
        f.rounds.connect(f.aggregator).openRound(2n ** 32n, "cid", f.policy.initialModelHash, deadline),
      ).to.be.revertedWithCustomError(f.rounds, "FederatedRounds__OutOfRange");
    });

    it("closes early only by the aggregator with enough commits, and by anyone after the deadline", async function () {
      const f = await networkHelpers.loadFixture(openRoundFixture);
      await expect(f.rounds.connect(f.members[0]).closeRound(f.taskId, 1n)).to.be.revertedWithCustomError(
        f.rounds,
        "FederatedRounds__NotRoundAggregator",
      );
      await expect(f.rounds.connect(f.aggregator).closeRound(f.taskId, 1n))
        .to.be.revertedWithCustomError(f.rounds, "FederatedRounds__CannotCloseYet")
        .withArgs(f.taskId, 1n, 0n, 2n);
      await networkHelpers.time.increaseTo(f.deadline + 1n);
      await expect(f.rounds.connect(f.outsider).closeRound(f.taskId, 1n))
        .to.emit(f.rounds, "RoundClosed")
        .withArgs(f.taskId, 1n, 0n);
      await expect(f.rounds.closeRound(f.taskId, 1n)).to.be.revertedWithCustomError(
        f.rounds,
        "FederatedRounds__RoundNotOpen",
      );
    });

    it("publishes only by the round's aggregator, after close, with a partition of the committers", async function () {
      const f = await networkHelpers.loadFixture(openRoundFixture);
      const m0 = f.members[0]!;
      const c = await proveFor({ task: f.taskId, round: 1n, member: m0.address, policy: f.policy });
      await f.rounds.connect(m0).commitUpdate(f.taskId, 1n, c.cid, c.commitment, c.proof);
      const h = keccak256(toUtf8Bytes("m"));
      await expect(
        f.rounds.connect(f.aggregator).publishAggregate(f.taskId, 1n, "cid", h, [m0.address], []),
      ).to.be.revertedWithCustomError(f.rounds, "FederatedRounds__RoundNotClosed");
      await networkHelpers.time.increaseTo(f.deadline + 1n);
      await f.rounds.closeRound(f.taskId, 1n);
      await expect(
        f.rounds.connect(m0).publishAggregate(f.taskId, 1n, "cid", h, [m0.address], []),
      ).to.be.revertedWithCustomError(f.consortium, "Consortium__MissingRole");
      const agg = f.rounds.connect(f.aggregator);
      await expect(agg.publishAggregate(f.taskId, 1n, "cid", h, [], [])).to.be.revertedWithCustomError(
        f.rounds,
        "FederatedRounds__InvalidOutcome",
      );
      await expect(agg.publishAggregate(f.taskId, 1n, "cid", h, [f.members[1]!.address], []))
        .to.be.revertedWithCustomError(f.rounds, "FederatedRounds__InvalidOutcome")
        .withArgs("included non-committer");
      await expect(agg.publishAggregate(f.taskId, 1n, "cid", h, [], [{ member: m0.address, reason: 0 }]))
        .to.be.revertedWithCustomError(f.rounds, "FederatedRounds__InvalidOutcome")
        .withArgs("exclusion without reason");
      await expect(
        agg.publishAggregate(f.taskId, 1n, "cid", "0x" + "00".repeat(32), [m0.address], []),
      ).to.be.revertedWithCustomError(f.rounds, "FederatedRounds__InvalidModelHash");
      await expect(
        agg.publishAggregate(
          f.taskId,
          1n,
          "cid",
          h,
          [],
          [{ member: m0.address, reason: ExclusionReason.Unavailable }],
        ),
      ).to.emit(f.rounds, "AggregatePublished");
      await expect(
        agg.publishAggregate(f.taskId, 1n, "cid", h, [m0.address], []),
      ).to.be.revertedWithCustomError(f.rounds, "FederatedRounds__RoundNotClosed");
    });

    it("rejects duplicate or overlapping outcome lists", async function () {
      const f = await networkHelpers.loadFixture(closedRoundFixture);
      const [x, y] = f.included as [string, string];
      const h = keccak256(toUtf8Bytes("m"));
      const agg = f.rounds.connect(f.aggregator);
      await expect(agg.publishAggregate(f.taskId, 1n, "cid", h, [y, x], []))
        .to.be.revertedWithCustomError(f.rounds, "FederatedRounds__InvalidOutcome")
        .withArgs("included not strictly increasing");
      await expect(agg.publishAggregate(f.taskId, 1n, "cid", h, [x], [{ member: x, reason: 1 }]))
        .to.be.revertedWithCustomError(f.rounds, "FederatedRounds__InvalidOutcome")
        .withArgs("member both included and excluded");
    });

    it("takes attestations only from the task's auditors, once each, never from the aggregator", async function () {
      const f = await networkHelpers.loadFixture(publishedRoundFixture);
      const { rounds, taskId } = f;
      await expect(
        rounds.connect(f.members[0]).attest(taskId, 1n, true, f.modelHash),
      ).to.be.revertedWithCustomError(f.consortium, "Consortium__MissingRole");
      await rounds.connect(f.auditors[0]).attest(taskId, 1n, true, f.modelHash);
      await expect(rounds.connect(f.auditors[0]).attest(taskId, 1n, true, f.modelHash))
        .to.be.revertedWithCustomError(rounds, "FederatedRounds__AlreadyAttested")
        .withArgs(taskId, 1n, f.auditors[0]!.address);
      const o = await openRoundFixture();
      await expect(
        o.rounds.connect(o.auditors[0]).attest(o.taskId, 1n, true, f.modelHash),
      ).to.be.revertedWithCustomError(o.rounds, "FederatedRounds__RoundNotPublished");
    });

    it("never lets an account audit a round it aggregated, even when it holds both roles", async function () {
      const f = await networkHelpers.loadFixture(publishedRoundFixture);
      const { rounds, taskId } = f;
      for (const auditor of f.auditors) await rounds.connect(auditor).attest(taskId, 1n, true, f.modelHash);
      await rounds.finalizeRound(taskId, 1n);
      const both = f.outsider;
      await f.govern({
        kind: "AdmitMember",
        account: both.address,
        profile: { roles: 6, kind: 0, encryptionKey: f.policy.modelId, metadataHash: f.policy.modelId },
      });
      await f.govern({ kind: "GrantTaskAccess", taskId, account: both.address });
      const deadline = BigInt(await networkHelpers.time.latest()) + HOUR;
      await rounds.connect(both).openRound(taskId, "bafkrei-model-1", f.modelHash, deadline);
      const m = f.members[0]!;
      const c = await proveFor({ task: taskId, round: 2n, member: m.address, policy: f.policy });
      await rounds.connect(m).commitUpdate(taskId, 2n, c.cid, c.commitment, c.proof);
      await networkHelpers.time.increaseTo(deadline + 1n);
      await rounds.closeRound(taskId, 2n);
      await rounds
        .connect(both)
        .publishAggregate(taskId, 2n, "bafkrei-model-2", f.modelHash, [m.address], []);
      await expect(rounds.connect(both).attest(taskId, 2n, true, f.modelHash))
        .to.be.revertedWithCustomError(rounds, "FederatedRounds__AggregatorCannotAttest")
        .withArgs(both.address);
      await expect(
        rounds.connect(f.aggregator).publishAggregate(taskId, 2n, "x", f.modelHash, [m.address], []),
      ).to.be.revertedWithCustomError(rounds, "FederatedRounds__NotRoundAggregator");
    });

    it("disputes on one mismatch: the round can never finalize and the next round builds on the last finalized model", async function () {
      const f = await networkHelpers.loadFixture(publishedRoundFixture);
      const { rounds, taskId } = f;
      await rounds.connect(f.auditors[0]).attest(taskId, 1n, true, f.modelHash);
      await expect(rounds.connect(f.auditors[1]).attest(taskId, 1n, false, keccak256(toUtf8Bytes("other"))))
        .to.emit(rounds, "RoundDisputed")
        .withArgs(taskId, 1n, f.auditors[1]!.address);
      expect((await rounds.getRound(taskId, 1n)).status).to.equal(BigInt(RoundStatus.Disputed));
      await expect(rounds.finalizeRound(taskId, 1n)).to.be.revertedWithCustomError(
        rounds,
        "FederatedRounds__RoundDisputed",
      );
      const deadline = BigInt(await networkHelpers.time.latest()) + HOUR;
      await expect(
        rounds.connect(f.aggregator).openRound(taskId, "bafkrei-model-1", f.modelHash, deadline),
      ).to.be.revertedWithCustomError(rounds, "FederatedRounds__BaseModelNotFinalized");
      await expect(
        rounds
          .connect(f.aggregator)
          .openRound(taskId, "bafkrei-initial", f.policy.initialModelHash, deadline),
      ).to.emit(rounds, "RoundOpened");
    });

    it("refuses to finalize an unpublished round", async function () {
      const f = await networkHelpers.loadFixture(closedRoundFixture);
      await expect(f.rounds.finalizeRound(f.taskId, 1n)).to.be.revertedWithCustomError(
        f.rounds,
        "FederatedRounds__RoundNotPublished",
      );
      await expect(f.rounds.finalizeRound(f.taskId, 9n)).to.be.revertedWithCustomError(
        f.rounds,
        "FederatedRounds__UnknownRound",
      );
    });
  });
});
