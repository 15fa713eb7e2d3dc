import { expect } from "chai";
import { network } from "hardhat";
import { hexlify, keccak256, randomBytes, toUtf8Bytes } from "ethers";
import { EntityKind, MemberStatus, Operation, Role } from "../../src/governance/index.js";
import { AbandonReason, ExclusionReason, RoundStatus } from "../../src/chain/index.js";
import {
  createTaskFor,
  deployConsortium,
  deployWithTask,
  encryptionKeyFor,
  type Connection,
} from "./fixtures.js";
import { DisputeResolution, TEST_SHAPE, minedAt, sortAddresses, syntheticKey } from "./helpers.js";
import { cachedProofFor, envelopeBytes, proveFor } from "./proofs.js";
import { packContext, verifyingKeyHash } from "../../src/zk/index.js";

const connection: Connection = await network.create();
const { networkHelpers } = connection;
const { time } = networkHelpers;
const HOUR = 3600n;
/** The default policy's windows (fixtures.ts). */
const MAX_ROUND = 3600n;
const PUBLISH_WINDOW = 600n;
const ATTESTATION_WINDOW = 600n;
/** 512 + 16 · maxNonZeros (16) bytes: the largest envelope the default policy takes. */
const MAX_ENVELOPE = 512 + 16 * 16;

type Fixture = Awaited<ReturnType<typeof deployWithTask>>;
type Signer = Fixture["outsider"];

/** Pins the next block's timestamp and returns it (reverting calls are estimated at that timestamp too). */
async function nextBlockAt(timestamp: bigint): Promise<bigint> {
  await time.setNextBlockTimestamp(timestamp);
  return timestamp;
}

async function nextBlock(): Promise<bigint> {
  return nextBlockAt(BigInt(await time.latest()) + 1n);
}

async function commit(f: Fixture, member: Signer, round = 1n, taskId = f.taskId, policy = f.policy) {
  const c = await cachedProofFor({ task: taskId, round, member: member.address, policy });
  await f.rounds.connect(member).commitUpdate(taskId, round, c.envelope, c.commitment, c.proof);
  return c;
}

async function openRound(f: Fixture, opener: Signer = f.aggregator, base = f.policy.initialModelHash) {
  const deadline = BigInt(await time.latest()) + HOUR;
  await f.rounds.connect(opener).openRound(f.taskId, "bafkrei-base", base, deadline);
  return deadline;
}

async function taskFixture() {
  return deployWithTask(connection);
}

async function openRoundFixture() {
  const f = await deployWithTask(connection);
  const deadline = await openRound(f);
  return { ...f, deadline, round: 1n };
}

/** Round 1 with two members committed and closed by the aggregator. */
async function closedRoundFixture() {
  const f = await openRoundFixture();
  for (const m of f.members.slice(0, 2)) await commit(f, m);
  const closedAt = await minedAt(f.rounds.connect(f.aggregator).closeRound(f.taskId, 1n));
  const included = sortAddresses(f.members.slice(0, 2).map((m) => m.address));
  return { ...f, included, closedAt };
}

async function publishedRoundFixture() {
  const f = await closedRoundFixture();
  const modelHash = keccak256(toUtf8Bytes("model-1"));
  const publishedAt = await minedAt(
    f.rounds
      .connect(f.aggregator)
      .publishAggregate(f.taskId, 1n, "bafkrei-model-1", modelHash, f.included, []),
  );
  return { ...f, modelHash, publishedAt };
}

/** Like publishedRoundFixture, under a policy whose quorum (1) is below its auditors (2). */
async function publishedQuorumOneFixture() {
  const f = await deployWithTask(connection, { attestationQuorum: 1 });
  await openRound(f);
  for (const m of f.members.slice(0, 2)) await commit(f, m);
  await f.rounds.connect(f.aggregator).closeRound(f.taskId, 1n);
  const included = sortAddresses(f.members.slice(0, 2).map((m) => m.address));
  const modelHash = keccak256(toUtf8Bytes("model-1"));
  const publishedAt = await minedAt(
    f.rounds.connect(f.aggregator).publishAggregate(f.taskId, 1n, "bafkrei-model-1", modelHash, included, []),
  );
  return { ...f, included, modelHash, publishedAt };
}

/** Round 1 disputed by a lying auditor: the model was right (auditor 0 matched), auditor 1 attested mismatch. */
async function lyingAuditorFixture() {
  const f = await publishedQuorumOneFixture();
  await f.rounds.connect(f.auditors[0]).attest(f.taskId, 1n, true, f.modelHash);
  await f.rounds.connect(f.auditors[1]).attest(f.taskId, 1n, false, keccak256(toUtf8Bytes("lie")));
  return f;
}

/** A task read by two aggregators: the fixture's and `aggregator2`, both granted. */
async function twoAggregatorsFixture() {
  const base = await deployConsortium(connection);
  const aggregator2 = (await connection.ethers.getSigners())[11]!;
  await base.govern({
    kind: "AdmitMember",
    account: aggregator2.address,
    profile: {
      roles: Role.Aggregator,
      kind: EntityKind.Recycler,
      encryptionKey: encryptionKeyFor(aggregator2.address),
      metadataHash: keccak256(toUtf8Bytes("aggregator-2")),
    },
  });
  const f = await createTaskFor(base, {
    readers: [base.aggregator.address, aggregator2.address, ...base.auditors.map((a) => a.address)],
  });
  await f.govern({ kind: "GrantTaskAccess", taskId: f.taskId, account: aggregator2.address });
  return { ...f, aggregator2 };
}

/**
 * Round 1 finalized on `model1`; then the fixture's aggregator opened round 2 on it, closed it with two
 * commits, and went silent.
 */
async function silentAggregatorFixture() {
  const f = await twoAggregatorsFixture();
  const included = sortAddresses(f.members.slice(0, 2).map((m) => m.address));
  const model1 = keccak256(toUtf8Bytes("model-1"));
  await openRound(f);
  for (const m of f.members.slice(0, 2)) await commit(f, m);
  await f.rounds.connect(f.aggregator).closeRound(f.taskId, 1n);
  await f.rounds
    .connect(f.aggregator)
    .publishAggregate(f.taskId, 1n, "bafkrei-model-1", model1, included, []);
  for (const a of f.auditors) await f.rounds.connect(a).attest(f.taskId, 1n, true, model1);
  await f.rounds.finalizeRound(f.taskId, 1n);
  await openRound(f, f.aggregator, model1);
  for (const m of f.members.slice(0, 2)) await commit(f, m, 2n);
  const closedAt = await minedAt(f.rounds.connect(f.aggregator).closeRound(f.taskId, 2n));
  return { ...f, closedAt, included, model1 };
}

/** …and after the publish window someone (an outsider) abandoned its round. */
async function abandonedBySilenceFixture() {
  const f = await silentAggregatorFixture();
  await nextBlockAt(f.closedAt + PUBLISH_WINDOW + 1n);
  const endedAt = await minedAt(f.rounds.connect(f.outsider).abandonRound(f.taskId, 2n));
  return { ...f, endedAt };
}

/** A second task pinned to a registered key that is not the `test` circuit's (same shape). */
async function otherKeyFixture() {
  const f = await deployWithTask(connection);
  const words = syntheticKey(7n);
  await f.govern({ kind: "RegisterVerifyingKey", words, shape: TEST_SHAPE, developmentOnly: true });
  const otherKeyHash = verifyingKeyHash(words);
  await f.govern({
    kind: "CreateTask",
    policy: { ...f.policy, verifyingKeyHash: otherKeyHash, initialModelHash: hexlify(randomBytes(32)) },
  });
  const task2 = await f.consortium.taskCount();
  for (const account of [...f.members, f.aggregator, ...f.auditors])
    await f.govern({ kind: "GrantTaskAccess", taskId: task2, account: account.address });
  const task2Policy = { ...f.policy, verifyingKeyHash: otherKeyHash };
  const deadline = BigInt(await time.latest()) + HOUR;
  await f.rounds
    .connect(f.aggregator)
    .openRound(
      task2,
      "bafkrei-initial-2",
      (await f.consortium.taskPolicy(task2, 1)).initialModelHash,
      deadline,
    );
  return { ...f, otherKeyHash, task2, task2Policy };
}

async function fullRoundFixture() {
  const f = await deployWithTask(connection, { maxCommits: 2 });
  await openRound(f);
  return f;
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
    // Every auditor counted at opening attested, so the round need not wait for the attestation window.
    await expect(rounds.finalizeRound(taskId, 1n))
      .to.emit(rounds, "RoundFinalized")
      .withArgs(taskId, 1n, f.modelHash);
    const round = await rounds.getRound(taskId, 1n);
    expect(round.status).to.equal(BigInt(RoundStatus.Finalized));
    expect(round.includedCount).to.equal(2n);
    expect(round.matchCount).to.equal(2n);
    expect(round.auditorCount).to.equal(2n);
    expect(await rounds.lastFinalized(taskId)).to.deep.equal([1n, f.modelHash]);
    // The next round must build on the model just finalized, not on the initial one.
    const deadline = BigInt(await time.latest()) + HOUR;
    await expect(
      rounds.connect(f.aggregator).openRound(taskId, "bafkrei-initial", f.policy.initialModelHash, deadline),
    )
      .to.be.revertedWithCustomError(rounds, "FederatedRounds__BaseModelNotFinalized")
      .withArgs(f.policy.initialModelHash, f.modelHash);
    await expect(rounds.connect(f.aggregator).openRound(taskId, "bafkrei-model-1", f.modelHash, deadline))
      .to.emit(rounds, "RoundOpened")
      .withArgs(taskId, 2n, f.aggregator.address, 1n, "bafkrei-model-1", f.modelHash, deadline);
  });

  it("accepts a real proof, records the commitment and carries the envelope in the event", async function () {
    const f = await networkHelpers.loadFixture(openRoundFixture);
    const m = f.members[0]!;
    const c = await cachedProofFor({ task: f.taskId, round: 1n, member: m.address, policy: f.policy });
    await expect(f.rounds.connect(m).commitUpdate(f.taskId, 1n, c.envelope, c.commitment, c.proof))
      .to.emit(f.rounds, "UpdateCommitted")
      .withArgs(f.taskId, 1n, m.address, c.commitment, c.envelope);
    expect(await f.rounds.commitmentOf(f.taskId, 1n, m.address)).to.equal(c.commitment);
    expect((await f.rounds.getRound(f.taskId, 1n)).commitCount).to.equal(1n);
  });

  describe("commitUpdate rejections", function () {
    it("rejects outsiders, wrong roles, suspended and ungranted members", async function () {
      const f = await networkHelpers.loadFixture(openRoundFixture);
      const { rounds, consortium, taskId } = f;
      const tryCommit = async (signer: Signer) => {
        const c = await cachedProofFor({ task: taskId, round: 1n, member: signer.address, policy: f.policy });
        return rounds.connect(signer).commitUpdate(taskId, 1n, c.envelope, c.commitment, c.proof);
      };
      await expect(tryCommit(f.outsider))
        .to.be.revertedWithCustomError(consortium, "Consortium__NotMember")
        .withArgs(f.outsider.address);
      await expect(tryCommit(f.aggregator))
        .to.be.revertedWithCustomError(consortium, "Consortium__MissingRole")
        .withArgs(f.aggregator.address, BigInt(Role.Member));
      await f.govern({ kind: "SuspendMember", account: f.members[0]!.address });
      await expect(tryCommit(f.members[0]!))
        .to.be.revertedWithCustomError(consortium, "Consortium__MemberSuspended")
        .withArgs(f.members[0]!.address);
      await f.govern({ kind: "RevokeTaskAccess", taskId, account: f.members[1]!.address });
      await expect(tryCommit(f.members[1]!))
        .to.be.revertedWithCustomError(consortium, "Consortium__NotGrantedToTask")
        .withArgs(taskId, f.members[1]!.address);
    });

    it("rejects commits when the policy expired or no longer allows them", async function () {
      const f = await networkHelpers.loadFixture(openRoundFixture);
      const m = f.members[0]!;
      const c = await cachedProofFor({ task: f.taskId, round: 1n, member: m.address, policy: f.policy });
      await f.govern({
        kind: "UpdateTask",
        taskId: f.taskId,
        policy: { ...f.policy, allowedOperations: Operation.All & ~Operation.CommitUpdate },
      });
      await expect(f.rounds.connect(m).commitUpdate(f.taskId, 1n, c.envelope, c.commitment, c.proof))
        .to.be.revertedWithCustomError(f.consortium, "Consortium__OperationNotAllowed")
        .withArgs(f.taskId, BigInt(Operation.CommitUpdate));
      const now = BigInt(await time.latest());
      await f.govern({ kind: "UpdateTask", taskId: f.taskId, policy: { ...f.policy, expiry: now + 60n } });
      await time.increase(120);
      await expect(f.rounds.connect(m).commitUpdate(f.taskId, 1n, c.envelope, c.commitment, c.proof))
        .to.be.revertedWithCustomError(f.consortium, "Consortium__PolicyExpired")
        .withArgs(f.taskId, now + 60n);
    });

    it("rejects unknown or closed rounds, late commits and second commits", async function () {
      const f = await networkHelpers.loadFixture(openRoundFixture);
      const [a, b, c3] = f.members as [Signer, Signer, Signer];
      const ca = await cachedProofFor({ task: f.taskId, round: 1n, member: a.address, policy: f.policy });
      await expect(f.rounds.connect(a).commitUpdate(f.taskId, 7n, ca.envelope, ca.commitment, ca.proof))
        .to.be.revertedWithCustomError(f.rounds, "FederatedRounds__UnknownRound")
        .withArgs(f.taskId, 7n);
      await f.rounds.connect(a).commitUpdate(f.taskId, 1n, ca.envelope, ca.commitment, ca.proof);
      await expect(f.rounds.connect(a).commitUpdate(f.taskId, 1n, ca.envelope, ca.commitment, ca.proof))
        .to.be.revertedWithCustomError(f.rounds, "FederatedRounds__AlreadyCommitted")
        .withArgs(f.taskId, 1n, a.address);
      const cb = await cachedProofFor({ task: f.taskId, round: 1n, member: b.address, policy: f.policy });
      // A commit in the deadline's own second still counts; one second later it does not.
      await time.increaseTo(f.deadline + 1n);
      await expect(f.rounds.connect(b).commitUpdate(f.taskId, 1n, cb.envelope, cb.commitment, cb.proof))
        .to.be.revertedWithCustomError(f.rounds, "FederatedRounds__DeadlinePassed")
        .withArgs(f.taskId, 1n, f.deadline);
      // After the deadline anyone may close; then the round is not open at all.
      await f.rounds.connect(c3).closeRound(f.taskId, 1n);
      await expect(f.rounds.connect(b).commitUpdate(f.taskId, 1n, cb.envelope, cb.commitment, cb.proof))
        .to.be.revertedWithCustomError(f.rounds, "FederatedRounds__RoundNotOpen")
        .withArgs(f.taskId, 1n);
    });

    it("accepts a commit in the deadline's own second", async function () {
      const f = await networkHelpers.loadFixture(openRoundFixture);
      const a = f.members[0]!;
      const c = await cachedProofFor({ task: f.taskId, round: 1n, member: a.address, policy: f.policy });
      await nextBlockAt(f.deadline);
      await expect(f.rounds.connect(a).commitUpdate(f.taskId, 1n, c.envelope, c.commitment, c.proof)).to.emit(
        f.rounds,
        "UpdateCommitted",
      );
    });

    it("rejects a commitment that does not match the proven entries, and malformed commitments", async function () {
      const f = await networkHelpers.loadFixture(openRoundFixture);
      const m = f.members[0]!;
      const c = await cachedProofFor({ task: f.taskId, round: 1n, member: m.address, policy: f.policy });
      const other = await proveFor({ task: f.taskId, round: 1n, member: m.address, policy: f.policy });
      await expect(f.rounds.connect(m).commitUpdate(f.taskId, 1n, c.envelope, other.commitment, c.proof))
        .to.be.revertedWithCustomError(f.rounds, "FederatedRounds__InvalidProof")
        .withArgs(f.taskId, 1n, m.address);
      const forged = [...c.proof];
      forged[7] = forged[7]! ^ 1n;
      await expect(f.rounds.connect(m).commitUpdate(f.taskId, 1n, c.envelope, c.commitment, forged))
        .to.be.revertedWithCustomError(f.rounds, "FederatedRounds__InvalidProof")
        .withArgs(f.taskId, 1n, m.address);
      const zero = "0x" + "00".repeat(32);
      await expect(f.rounds.connect(m).commitUpdate(f.taskId, 1n, c.envelope, zero, c.proof))
        .to.be.revertedWithCustomError(f.rounds, "FederatedRounds__InvalidCommitment")
        .withArgs(zero);
      const huge = "0x" + "ff".repeat(32);
      await expect(f.rounds.connect(m).commitUpdate(f.taskId, 1n, c.envelope, huge, c.proof))
        .to.be.revertedWithCustomError(f.rounds, "FederatedRounds__InvalidCommitment")
        .withArgs(huge);
    });

    it("bounds the envelope: non-empty and at most 512 + 16·maxNonZeros bytes", async function () {
      const f = await networkHelpers.loadFixture(openRoundFixture);
      const m = f.members[0]!;
      const c = await cachedProofFor({ task: f.taskId, round: 1n, member: m.address, policy: f.policy });
      const tx = (envelope: string) =>
        f.rounds.connect(m).commitUpdate(f.taskId, 1n, envelope, c.commitment, c.proof);
      await expect(tx("0x"))
        .to.be.revertedWithCustomError(f.rounds, "FederatedRounds__InvalidEnvelopeSize")
        .withArgs(0n, BigInt(MAX_ENVELOPE));
      await expect(tx(envelopeBytes(m.address, 1n, MAX_ENVELOPE + 1)))
        .to.be.revertedWithCustomError(f.rounds, "FederatedRounds__InvalidEnvelopeSize")
        .withArgs(BigInt(MAX_ENVELOPE + 1), BigInt(MAX_ENVELOPE));
      const largest = envelopeBytes(m.address, 1n, MAX_ENVELOPE);
      await expect(tx(largest))
        .to.emit(f.rounds, "UpdateCommitted")
        .withArgs(f.taskId, 1n, m.address, c.commitment, largest);
    });

    it("rejects a valid proof replayed by another member", async function () {
      const f = await networkHelpers.loadFixture(openRoundFixture);
      const [a, b] = f.members as [Signer, Signer];
      const c = await cachedProofFor({ task: f.taskId, round: 1n, member: a.address, policy: f.policy });
      await expect(f.rounds.connect(b).commitUpdate(f.taskId, 1n, c.envelope, c.commitment, c.proof))
        .to.be.revertedWithCustomError(f.rounds, "FederatedRounds__InvalidProof")
        .withArgs(f.taskId, 1n, b.address);
    });

    it("rejects a valid proof replayed in another round", async function () {
      const f = await networkHelpers.loadFixture(publishedRoundFixture);
      const a = f.members[2]!;
      const c = await cachedProofFor({ task: f.taskId, round: 1n, member: a.address, policy: f.policy });
      for (const auditor of f.auditors)
        await f.rounds.connect(auditor).attest(f.taskId, 1n, true, f.modelHash);
      await f.rounds.finalizeRound(f.taskId, 1n);
      await openRound(f, f.aggregator, f.modelHash);
      await expect(f.rounds.connect(a).commitUpdate(f.taskId, 2n, c.envelope, c.commitment, c.proof))
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
      const deadline = BigInt(await time.latest()) + HOUR;
      await f.rounds
        .connect(f.aggregator)
        .openRound(task2, "bafkrei-initial-2", task2Policy.initialModelHash, deadline);
      const c = await cachedProofFor({ task: f.taskId, round: 1n, member: a.address, policy: f.policy });
      await expect(f.rounds.connect(a).commitUpdate(task2, 1n, c.envelope, c.commitment, c.proof))
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
      const stale = await cachedProofFor({ task: f.taskId, round: 2n, member: a.address, policy: f.policy });
      const v2 = { ...f.policy, l2Bound: 4000n };
      await f.govern({ kind: "UpdateTask", taskId: f.taskId, policy: v2 });
      await openRound(f, f.aggregator, modelHash);
      expect((await f.rounds.getRound(f.taskId, 2n)).policyVersion).to.equal(2n);
      await expect(
        f.rounds.connect(a).commitUpdate(f.taskId, 2n, stale.envelope, stale.commitment, stale.proof),
      )
        .to.be.revertedWithCustomError(f.rounds, "FederatedRounds__InvalidProof")
        .withArgs(f.taskId, 2n, a.address);
      const fresh = await cachedProofFor({ task: f.taskId, round: 2n, member: a.address, policy: v2 });
      await expect(
        f.rounds.connect(a).commitUpdate(f.taskId, 2n, fresh.envelope, fresh.commitment, fresh.proof),
      ).to.emit(f.rounds, "UpdateCommitted");
    });
  });

  describe("round lifecycle rejections", function () {
    it("opens only for aggregators, on the finalized base, after the previous round ended, with a future deadline", async function () {
      const f = await networkHelpers.loadFixture(openRoundFixture);
      const deadline = BigInt(await time.latest()) + HOUR;
      await expect(
        f.rounds.connect(f.members[0]).openRound(f.taskId, "cid", f.policy.initialModelHash, deadline),
      )
        .to.be.revertedWithCustomError(f.consortium, "Consortium__MissingRole")
        .withArgs(f.members[0]!.address, BigInt(Role.Aggregator));
      await expect(
        f.rounds.connect(f.aggregator).openRound(f.taskId, "cid", f.policy.initialModelHash, deadline),
      )
        .to.be.revertedWithCustomError(f.rounds, "FederatedRounds__PreviousRoundPending")
        .withArgs(f.taskId, 1n);
      const at = await nextBlock();
      await expect(f.rounds.connect(f.aggregator).openRound(f.taskId, "cid", f.policy.initialModelHash, 1n))
        .to.be.revertedWithCustomError(f.rounds, "FederatedRounds__InvalidDeadline")
        .withArgs(1n, at + MAX_ROUND);
      await expect(
        f.rounds.connect(f.aggregator).openRound(2n ** 32n, "cid", f.policy.initialModelHash, deadline),
      )
        .to.be.revertedWithCustomError(f.rounds, "FederatedRounds__OutOfRange")
        .withArgs(2n ** 32n);
      await expect(
        f.rounds.connect(f.aggregator).openRound(f.taskId, "", f.policy.initialModelHash, deadline),
      ).to.be.revertedWithCustomError(f.rounds, "FederatedRounds__EmptyCid");
    });

    it("closes early only by the aggregator with enough commits, and by anyone after the deadline", async function () {
      const f = await networkHelpers.loadFixture(openRoundFixture);
      await expect(f.rounds.connect(f.members[0]).closeRound(f.taskId, 1n))
        .to.be.revertedWithCustomError(f.rounds, "FederatedRounds__NotRoundAggregator")
        .withArgs(f.members[0]!.address);
      await expect(f.rounds.connect(f.aggregator).closeRound(f.taskId, 1n))
        .to.be.revertedWithCustomError(f.rounds, "FederatedRounds__CannotCloseYet")
        .withArgs(f.taskId, 1n, 0n, 2n);
      // In the deadline's own second only the aggregator could close (it may still take commits).
      await nextBlockAt(f.deadline);
      await expect(f.rounds.connect(f.outsider).closeRound(f.taskId, 1n))
        .to.be.revertedWithCustomError(f.rounds, "FederatedRounds__NotRoundAggregator")
        .withArgs(f.outsider.address);
      await nextBlockAt(f.deadline + 1n);
      await expect(f.rounds.connect(f.outsider).closeRound(f.taskId, 1n))
        .to.emit(f.rounds, "RoundClosed")
        .withArgs(f.taskId, 1n, 0n);
      await expect(f.rounds.closeRound(f.taskId, 1n))
        .to.be.revertedWithCustomError(f.rounds, "FederatedRounds__RoundNotOpen")
        .withArgs(f.taskId, 1n);
    });

    it("publishes only by the round's aggregator, after close, with a partition of the committers", async function () {
      const f = await networkHelpers.loadFixture(openRoundFixture);
      const [m0, m1, m2] = f.members as [Signer, Signer, Signer];
      await commit(f, m0);
      await commit(f, m1);
      const h = keccak256(toUtf8Bytes("m"));
      const [x, y] = sortAddresses([m0.address, m1.address]) as [string, string];
      await expect(f.rounds.connect(f.aggregator).publishAggregate(f.taskId, 1n, "cid", h, [x, y], []))
        .to.be.revertedWithCustomError(f.rounds, "FederatedRounds__RoundNotClosed")
        .withArgs(f.taskId, 1n);
      await f.rounds.connect(f.aggregator).closeRound(f.taskId, 1n);
      await expect(f.rounds.connect(m0).publishAggregate(f.taskId, 1n, "cid", h, [x, y], []))
        .to.be.revertedWithCustomError(f.consortium, "Consortium__MissingRole")
        .withArgs(m0.address, BigInt(Role.Aggregator));
      const agg = f.rounds.connect(f.aggregator);
      await expect(agg.publishAggregate(f.taskId, 1n, "cid", h, [], []))
        .to.be.revertedWithCustomError(f.rounds, "FederatedRounds__InvalidOutcome")
        .withArgs("included + excluded != committed");
      await expect(agg.publishAggregate(f.taskId, 1n, "cid", h, sortAddresses([x, m2.address]), []))
        .to.be.revertedWithCustomError(f.rounds, "FederatedRounds__InvalidOutcome")
        .withArgs("included non-committer");
      await expect(agg.publishAggregate(f.taskId, 1n, "cid", h, [x], [{ member: y, reason: 0 }]))
        .to.be.revertedWithCustomError(f.rounds, "FederatedRounds__InvalidOutcome")
        .withArgs("exclusion without reason");
      await expect(
        agg.publishAggregate(f.taskId, 1n, "cid", "0x" + "00".repeat(32), [x, y], []),
      ).to.be.revertedWithCustomError(f.rounds, "FederatedRounds__InvalidModelHash");
      await expect(agg.publishAggregate(f.taskId, 1n, "", h, [x, y], [])).to.be.revertedWithCustomError(
        f.rounds,
        "FederatedRounds__EmptyCid",
      );
      await expect(
        agg.publishAggregate(
          f.taskId,
          1n,
          "cid",
          h,
          [x],
          [{ member: y, reason: ExclusionReason.Undecodable }],
        ),
      )
        .to.emit(f.rounds, "AggregatePublished")
        .withArgs(
          f.taskId,
          1n,
          f.aggregator.address,
          "cid",
          h,
          [x],
          [[y, BigInt(ExclusionReason.Undecodable)]],
        );
      await expect(agg.publishAggregate(f.taskId, 1n, "cid", h, [x, y], []))
        .to.be.revertedWithCustomError(f.rounds, "FederatedRounds__RoundNotClosed")
        .withArgs(f.taskId, 1n);
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
      await expect(rounds.connect(f.members[0]).attest(taskId, 1n, true, f.modelHash))
        .to.be.revertedWithCustomError(f.consortium, "Consortium__MissingRole")
        .withArgs(f.members[0]!.address, BigInt(Role.Auditor));
      await rounds.connect(f.auditors[0]).attest(taskId, 1n, true, f.modelHash);
      expect(await rounds.hasAttested(taskId, 1n, f.auditors[0]!.address)).to.equal(true);
      await expect(rounds.connect(f.auditors[0]).attest(taskId, 1n, true, f.modelHash))
        .to.be.revertedWithCustomError(rounds, "FederatedRounds__AlreadyAttested")
        .withArgs(taskId, 1n, f.auditors[0]!.address);
      await expect(rounds.connect(f.auditors[1]).attest(taskId, 2n, true, f.modelHash))
        .to.be.revertedWithCustomError(rounds, "FederatedRounds__UnknownRound")
        .withArgs(taskId, 2n);
    });

    it("takes no attestation before publication", async function () {
      const f = await networkHelpers.loadFixture(closedRoundFixture);
      await expect(f.rounds.connect(f.auditors[0]).attest(f.taskId, 1n, true, keccak256("0x01")))
        .to.be.revertedWithCustomError(f.rounds, "FederatedRounds__RoundNotPublished")
        .withArgs(f.taskId, 1n);
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
      const deadline = await openRound(f, both, f.modelHash);
      const [m, n] = f.members as [Signer, Signer];
      await commit(f, m, 2n);
      await commit(f, n, 2n);
      await time.increaseTo(deadline + 1n);
      await rounds.closeRound(taskId, 2n);
      const included = sortAddresses([m.address, n.address]);
      await rounds.connect(both).publishAggregate(taskId, 2n, "bafkrei-model-2", f.modelHash, included, []);
      await expect(rounds.connect(both).attest(taskId, 2n, true, f.modelHash))
        .to.be.revertedWithCustomError(rounds, "FederatedRounds__AggregatorCannotAttest")
        .withArgs(both.address);
      await expect(rounds.connect(f.aggregator).publishAggregate(taskId, 2n, "x", f.modelHash, included, []))
        .to.be.revertedWithCustomError(rounds, "FederatedRounds__NotRoundAggregator")
        .withArgs(f.aggregator.address);
    });

    it("disputes on one mismatch: the round can never finalize and the next round builds on the last finalized model", async function () {
      const f = await networkHelpers.loadFixture(publishedRoundFixture);
      const { rounds, taskId } = f;
      await rounds.connect(f.auditors[0]).attest(taskId, 1n, true, f.modelHash);
      await expect(rounds.connect(f.auditors[1]).attest(taskId, 1n, false, keccak256(toUtf8Bytes("other"))))
        .to.emit(rounds, "RoundDisputed")
        .withArgs(taskId, 1n, f.auditors[1]!.address);
      expect((await rounds.getRound(taskId, 1n)).status).to.equal(BigInt(RoundStatus.Disputed));
      await expect(rounds.finalizeRound(taskId, 1n))
        .to.be.revertedWithCustomError(rounds, "FederatedRounds__RoundDisputed")
        .withArgs(taskId, 1n);
      const deadline = BigInt(await time.latest()) + HOUR;
      await expect(rounds.connect(f.aggregator).openRound(taskId, "bafkrei-model-1", f.modelHash, deadline))
        .to.be.revertedWithCustomError(rounds, "FederatedRounds__BaseModelNotFinalized")
        .withArgs(f.modelHash, f.policy.initialModelHash);
      await expect(
        rounds
          .connect(f.aggregator)
          .openRound(taskId, "bafkrei-initial", f.policy.initialModelHash, deadline),
      ).to.emit(rounds, "RoundOpened");
    });

    it("refuses to finalize an unpublished round", async function () {
      const f = await networkHelpers.loadFixture(closedRoundFixture);
      await expect(f.rounds.finalizeRound(f.taskId, 1n))
        .to.be.revertedWithCustomError(f.rounds, "FederatedRounds__RoundNotPublished")
        .withArgs(f.taskId, 1n);
      await expect(f.rounds.finalizeRound(f.taskId, 9n))
        .to.be.revertedWithCustomError(f.rounds, "FederatedRounds__UnknownRound")
        .withArgs(f.taskId, 9n);
    });
  });

  describe("publish outcome checks", function () {
    it("refuses an excluded member that never committed", async function () {
      const f = await networkHelpers.loadFixture(closedRoundFixture);
      const [x] = f.included as [string, string];
      const stranger = f.members[3]!.address;
      await expect(
        f.rounds
          .connect(f.aggregator)
          .publishAggregate(f.taskId, 1n, "cid", keccak256("0x01"), [x], [{ member: stranger, reason: 1 }]),
      )
        .to.be.revertedWithCustomError(f.rounds, "FederatedRounds__InvalidOutcome")
        .withArgs("excluded non-committer");
    });

    it("refuses excluded lists that are not strictly increasing", async function () {
      const f = await networkHelpers.loadFixture(closedRoundFixture);
      const [x, y] = f.included as [string, string];
      const agg = f.rounds.connect(f.aggregator);
      for (const excluded of [
        [y, x],
        [x, x],
      ]) {
        await expect(
          agg.publishAggregate(
            f.taskId,
            1n,
            "cid",
            keccak256("0x01"),
            [],
            excluded.map((member) => ({ member, reason: ExclusionReason.Unopenable })),
          ),
        )
          .to.be.revertedWithCustomError(f.rounds, "FederatedRounds__InvalidOutcome")
          .withArgs("excluded not strictly increasing");
      }
    });

    it("publishes an outcome excluding several members and records each with its reason", async function () {
      const f = await networkHelpers.loadFixture(openRoundFixture);
      for (const m of f.members.slice(0, 3)) await commit(f, m);
      await f.rounds.connect(f.aggregator).closeRound(f.taskId, 1n);
      const [a, b, c] = sortAddresses(f.members.slice(0, 3).map((m) => m.address)) as [
        string,
        string,
        string,
      ];
      const h = keccak256(toUtf8Bytes("model"));
      const excluded = [
        { member: a, reason: ExclusionReason.Unopenable },
        { member: c, reason: ExclusionReason.CommitmentMismatch },
      ];
      await expect(
        f.rounds.connect(f.aggregator).publishAggregate(f.taskId, 1n, "bafkrei-m", h, [b], excluded),
      )
        .to.emit(f.rounds, "AggregatePublished")
        .withArgs(
          f.taskId,
          1n,
          f.aggregator.address,
          "bafkrei-m",
          h,
          [b],
          [
            [a, BigInt(ExclusionReason.Unopenable)],
            [c, BigInt(ExclusionReason.CommitmentMismatch)],
          ],
        );
      const round = await f.rounds.getRound(f.taskId, 1n);
      expect(round.status).to.equal(BigInt(RoundStatus.Published));
      expect(round.includedCount).to.equal(1n);
    });
  });
});

describe("Issue 11: no single party corrupts or stalls a task", function () {
  describe("point 2: a silent aggregator", function () {
    it("lets anyone abandon a round its aggregator never published, and a second aggregator open the next on the last finalized model", async function () {
      const f = await networkHelpers.loadFixture(silentAggregatorFixture);
      const { rounds, taskId, included, model1 } = f;
      const until = f.closedAt + PUBLISH_WINDOW;
      // Within the publish window the round belongs to its aggregator.
      await expect(rounds.connect(f.outsider).abandonRound(taskId, 2n))
        .to.be.revertedWithCustomError(rounds, "FederatedRounds__CannotAbandon")
        .withArgs(taskId, 2n, BigInt(RoundStatus.Closed));
      const deadline = BigInt(await time.latest()) + HOUR;
      await expect(rounds.connect(f.aggregator2).openRound(taskId, "cid", model1, deadline))
        .to.be.revertedWithCustomError(rounds, "FederatedRounds__PreviousRoundPending")
        .withArgs(taskId, 2n);
      await expect(
        rounds.connect(f.aggregator2).publishAggregate(taskId, 2n, "cid", keccak256("0x01"), included, []),
      )
        .to.be.revertedWithCustomError(rounds, "FederatedRounds__NotRoundAggregator")
        .withArgs(f.aggregator2.address);
      await nextBlockAt(until);
      await expect(rounds.connect(f.outsider).abandonRound(taskId, 2n))
        .to.be.revertedWithCustomError(rounds, "FederatedRounds__CannotAbandon")
        .withArgs(taskId, 2n, BigInt(RoundStatus.Closed));
      // One second after the window, the aggregator can no longer publish and anyone can abandon.
      await nextBlockAt(until + 1n);
      await expect(
        rounds.connect(f.aggregator).publishAggregate(taskId, 2n, "cid", keccak256("0x01"), included, []),
      )
        .to.be.revertedWithCustomError(rounds, "FederatedRounds__PublishWindowPassed")
        .withArgs(taskId, 2n, until);
      await nextBlockAt(until + 1n);
      await expect(rounds.connect(f.outsider).abandonRound(taskId, 2n))
        .to.emit(rounds, "RoundAbandoned")
        .withArgs(taskId, 2n, BigInt(AbandonReason.PublishWindowPassed));
      const r2 = await rounds.getRound(taskId, 2n);
      expect(r2.status).to.equal(BigInt(RoundStatus.Abandoned));
      expect(r2.abandonReason).to.equal(BigInt(AbandonReason.PublishWindowPassed));
      expect(r2.endedAt).to.equal(until + 1n);
      await expect(rounds.connect(f.outsider).abandonRound(taskId, 2n))
        .to.be.revertedWithCustomError(rounds, "FederatedRounds__CannotAbandon")
        .withArgs(taskId, 2n, BigInt(RoundStatus.Abandoned));
      expect(await rounds.lastFinalized(taskId)).to.deep.equal([1n, model1]);

      // The silent aggregator is refused; the other one opens round 3 on round 1's model, the last finalized.
      const deadline3 = BigInt(await time.latest()) + HOUR;
      await expect(rounds.connect(f.aggregator).openRound(taskId, "cid", model1, deadline3))
        .to.be.revertedWithCustomError(rounds, "FederatedRounds__AggregatorWentSilent")
        .withArgs(f.aggregator.address, until + 1n + MAX_ROUND);
      await expect(
        rounds.connect(f.aggregator2).openRound(taskId, "cid", f.policy.initialModelHash, deadline3),
      )
        .to.be.revertedWithCustomError(rounds, "FederatedRounds__BaseModelNotFinalized")
        .withArgs(f.policy.initialModelHash, model1);
      await expect(rounds.connect(f.aggregator2).openRound(taskId, "bafkrei-model-1", model1, deadline3))
        .to.emit(rounds, "RoundOpened")
        .withArgs(taskId, 3n, f.aggregator2.address, 1n, "bafkrei-model-1", model1, deadline3);

      // The task goes on under the new aggregator: round 3 finalizes.
      for (const m of f.members.slice(0, 2)) await commit(f, m, 3n);
      await rounds.connect(f.aggregator2).closeRound(taskId, 3n);
      const model3 = keccak256(toUtf8Bytes("model-3"));
      await rounds
        .connect(f.aggregator2)
        .publishAggregate(taskId, 3n, "bafkrei-model-3", model3, included, []);
      for (const a of f.auditors) await rounds.connect(a).attest(taskId, 3n, true, model3);
      await expect(rounds.connect(f.outsider).finalizeRound(taskId, 3n))
        .to.emit(rounds, "RoundFinalized")
        .withArgs(taskId, 3n, model3);
      // Round 3 was not the silent aggregator's lapse, so it may open round 4 at once.
      await openRound(f, f.aggregator, model3);
      expect((await rounds.getRound(taskId, 4n)).aggregator).to.equal(f.aggregator.address);
    });

    it("lets the silent aggregator open again only once maxRoundDuration has passed", async function () {
      const f = await networkHelpers.loadFixture(abandonedBySilenceFixture);
      const until = f.endedAt + MAX_ROUND;
      await nextBlockAt(until);
      await expect(f.rounds.connect(f.aggregator).openRound(f.taskId, "cid", f.model1, until + HOUR))
        .to.be.revertedWithCustomError(f.rounds, "FederatedRounds__AggregatorWentSilent")
        .withArgs(f.aggregator.address, until);
      await nextBlockAt(until + 1n);
      await expect(f.rounds.connect(f.aggregator).openRound(f.taskId, "cid", f.model1, until + HOUR))
        .to.emit(f.rounds, "RoundOpened")
        .withArgs(f.taskId, 3n, f.aggregator.address, 1n, "cid", f.model1, until + HOUR);
    });

    it("refuses a deadline beyond maxRoundDuration (such as 2^64 − 1) or not in the future", async function () {
      const f = await networkHelpers.loadFixture(taskFixture);
      const open = (deadline: bigint) =>
        f.rounds.connect(f.aggregator).openRound(f.taskId, "cid", f.policy.initialModelHash, deadline);
      const at = await nextBlock();
      for (const deadline of [2n ** 64n - 1n, at + MAX_ROUND + 1n, at, at - 1n]) {
        await nextBlockAt(at);
        await expect(open(deadline), `deadline ${deadline}`)
          .to.be.revertedWithCustomError(f.rounds, "FederatedRounds__InvalidDeadline")
          .withArgs(deadline, at + MAX_ROUND);
      }
      await nextBlockAt(at);
      await expect(open(at + MAX_ROUND)).to.emit(f.rounds, "RoundOpened");
    });

    it("abandons a round that closes with no commits, or fewer than minParticipants, as TooFewCommits", async function () {
      const f = await networkHelpers.loadFixture(openRoundFixture);
      const { rounds, taskId } = f;
      await nextBlockAt(f.deadline + 1n);
      await expect(rounds.connect(f.outsider).closeRound(taskId, 1n))
        .to.emit(rounds, "RoundClosed")
        .withArgs(taskId, 1n, 0n)
        .and.to.emit(rounds, "RoundAbandoned")
        .withArgs(taskId, 1n, BigInt(AbandonReason.TooFewCommits));
      const r1 = await rounds.getRound(taskId, 1n);
      expect(r1.status).to.equal(BigInt(RoundStatus.Abandoned));
      expect(r1.abandonReason).to.equal(BigInt(AbandonReason.TooFewCommits));
      // Not a lapse of the aggregator: it opens round 2 at once, on the initial model; one commit is too few.
      const deadline2 = await openRound(f);
      await commit(f, f.members[0]!, 2n);
      await nextBlockAt(deadline2 + 1n);
      await expect(rounds.connect(f.outsider).closeRound(taskId, 2n))
        .to.emit(rounds, "RoundAbandoned")
        .withArgs(taskId, 2n, BigInt(AbandonReason.TooFewCommits));
      expect(await rounds.lastFinalized(taskId)).to.deep.equal([0n, f.policy.initialModelHash]);
    });
  });

  describe("point 3: proofs are checked against the key the policy pins", function () {
    it("refuses a proof of the test circuit in a round whose policy pins another key", async function () {
      const f = await networkHelpers.loadFixture(otherKeyFixture);
      const m = f.members[0]!;
      expect((await f.rounds.getRound(f.task2, 1n)).verifyingKeyHash).to.equal(f.otherKeyHash);
      const c = await cachedProofFor({ task: f.task2, round: 1n, member: m.address, policy: f.task2Policy });
      await expect(f.rounds.connect(m).commitUpdate(f.task2, 1n, c.envelope, c.commitment, c.proof))
        .to.be.revertedWithCustomError(f.rounds, "FederatedRounds__InvalidProof")
        .withArgs(f.task2, 1n, m.address);
      // The same proof checks out against the test key it was made for.
      expect(
        await f.registry.verifyUpdateProof(f.testKey.keyHash, c.proof, [
          BigInt(c.commitment),
          packContext({ task: Number(f.task2), round: 1, member: m.address }),
          BigInt(f.policy.dimension) |
            (BigInt(f.policy.maxNonZeros) << 32n) |
            (f.policy.lInfBound << 64n) |
            ((f.policy.l2Bound * f.policy.l2Bound) << 128n),
          0n,
        ]),
      ).to.equal(true);
    });

    it("keeps a running round on the key it opened with when the policy moves to another key", async function () {
      const f = await networkHelpers.loadFixture(openRoundFixture);
      const words = syntheticKey(9n);
      await f.govern({ kind: "RegisterVerifyingKey", words, shape: TEST_SHAPE, developmentOnly: true });
      const v2 = { ...f.policy, verifyingKeyHash: verifyingKeyHash(words) };
      await f.govern({ kind: "UpdateTask", taskId: f.taskId, policy: v2 });
      // Round 1 opened under version 1: proofs for the test key still verify in it.
      expect((await f.rounds.getRound(f.taskId, 1n)).verifyingKeyHash).to.equal(f.testKey.keyHash);
      for (const m of f.members.slice(0, 2)) await commit(f, m);
      await f.rounds.connect(f.aggregator).closeRound(f.taskId, 1n);
      const model = keccak256(toUtf8Bytes("model-1"));
      const included = sortAddresses(f.members.slice(0, 2).map((m) => m.address));
      await f.rounds.connect(f.aggregator).publishAggregate(f.taskId, 1n, "bafkrei-m1", model, included, []);
      for (const a of f.auditors) await f.rounds.connect(a).attest(f.taskId, 1n, true, model);
      await f.rounds.finalizeRound(f.taskId, 1n);
      await openRound(f, f.aggregator, model);
      const m = f.members[2]!;
      const c = await cachedProofFor({ task: f.taskId, round: 2n, member: m.address, policy: v2 });
      await expect(f.rounds.connect(m).commitUpdate(f.taskId, 2n, c.envelope, c.commitment, c.proof))
        .to.be.revertedWithCustomError(f.rounds, "FederatedRounds__InvalidProof")
        .withArgs(f.taskId, 2n, m.address);
    });
  });

  describe("point 4: finalization is not eager", function () {
    it("does not finalize in the block after publication while auditors have not all attested and the window is open", async function () {
      const f = await networkHelpers.loadFixture(publishedQuorumOneFixture);
      const { rounds, taskId } = f;
      const until = f.publishedAt + ATTESTATION_WINDOW;
      await nextBlockAt(f.publishedAt + 1n);
      await expect(rounds.finalizeRound(taskId, 1n))
        .to.be.revertedWithCustomError(rounds, "FederatedRounds__AttestationQuorumNotReached")
        .withArgs(taskId, 1n, 0n, 1n);
      await nextBlockAt(f.publishedAt + 1n);
      await rounds.connect(f.auditors[0]).attest(taskId, 1n, true, f.modelHash);
      await nextBlockAt(f.publishedAt + 2n);
      await expect(rounds.connect(f.outsider).finalizeRound(taskId, 1n))
        .to.be.revertedWithCustomError(rounds, "FederatedRounds__AttestationWindowOpen")
        .withArgs(taskId, 1n, until);
      await nextBlockAt(until);
      await expect(rounds.connect(f.outsider).finalizeRound(taskId, 1n))
        .to.be.revertedWithCustomError(rounds, "FederatedRounds__AttestationWindowOpen")
        .withArgs(taskId, 1n, until);
      // With the quorum reached the round cannot be abandoned either: it is for finalizing.
      await nextBlockAt(until + 1n);
      await expect(rounds.connect(f.outsider).abandonRound(taskId, 1n))
        .to.be.revertedWithCustomError(rounds, "FederatedRounds__CannotAbandon")
        .withArgs(taskId, 1n, BigInt(RoundStatus.Published));
      await nextBlockAt(until + 1n);
      await expect(rounds.connect(f.outsider).finalizeRound(taskId, 1n))
        .to.emit(rounds, "RoundFinalized")
        .withArgs(taskId, 1n, f.modelHash);
      expect(await rounds.lastFinalized(taskId)).to.deep.equal([1n, f.modelHash]);
    });

    it("refuses a match that carries a different hash than the published one", async function () {
      const f = await networkHelpers.loadFixture(publishedQuorumOneFixture);
      const other = keccak256(toUtf8Bytes("replayed-differently"));
      await expect(f.rounds.connect(f.auditors[0]).attest(f.taskId, 1n, true, other))
        .to.be.revertedWithCustomError(f.rounds, "FederatedRounds__MatchHashDiffers")
        .withArgs(other, f.modelHash);
      expect(await f.rounds.hasAttested(f.taskId, 1n, f.auditors[0]!.address)).to.equal(false);
      expect((await f.rounds.getRound(f.taskId, 1n)).matchCount).to.equal(0n);
    });

    it("lets a later honest mismatch within the window dispute a round that already had its quorum", async function () {
      const f = await networkHelpers.loadFixture(publishedQuorumOneFixture);
      const { rounds, taskId } = f;
      await rounds.connect(f.auditors[0]).attest(taskId, 1n, true, f.modelHash);
      const replayed = keccak256(toUtf8Bytes("honest-replay"));
      await nextBlockAt(f.publishedAt + ATTESTATION_WINDOW);
      await expect(rounds.connect(f.auditors[1]).attest(taskId, 1n, false, replayed))
        .to.emit(rounds, "RoundDisputed")
        .withArgs(taskId, 1n, f.auditors[1]!.address);
      await expect(rounds.finalizeRound(taskId, 1n))
        .to.be.revertedWithCustomError(rounds, "FederatedRounds__RoundDisputed")
        .withArgs(taskId, 1n);
      await time.increase(ATTESTATION_WINDOW);
      await expect(rounds.finalizeRound(taskId, 1n))
        .to.be.revertedWithCustomError(rounds, "FederatedRounds__RoundDisputed")
        .withArgs(taskId, 1n);
      await expect(rounds.abandonRound(taskId, 1n))
        .to.be.revertedWithCustomError(rounds, "FederatedRounds__CannotAbandon")
        .withArgs(taskId, 1n, BigInt(RoundStatus.Disputed));
      expect(await rounds.lastFinalized(taskId)).to.deep.equal([0n, f.policy.initialModelHash]);
    });

    it("abandons instead of finalizing when fewer than minParticipants updates were included", async function () {
      const f = await networkHelpers.loadFixture(closedRoundFixture);
      const { rounds, taskId } = f;
      const [x, y] = f.included as [string, string];
      const model = keccak256(toUtf8Bytes("one-update-model"));
      await rounds
        .connect(f.aggregator)
        .publishAggregate(
          taskId,
          1n,
          "bafkrei-m",
          model,
          [x],
          [{ member: y, reason: ExclusionReason.Undecodable }],
        );
      for (const a of f.auditors) await rounds.connect(a).attest(taskId, 1n, true, model);
      await expect(rounds.connect(f.outsider).finalizeRound(taskId, 1n))
        .to.emit(rounds, "RoundAbandoned")
        .withArgs(taskId, 1n, BigInt(AbandonReason.TooFewIncluded))
        .and.not.to.emit(rounds, "RoundFinalized");
      const r1 = await rounds.getRound(taskId, 1n);
      expect(r1.status).to.equal(BigInt(RoundStatus.Abandoned));
      expect(r1.abandonReason).to.equal(BigInt(AbandonReason.TooFewIncluded));
      expect(await rounds.lastFinalized(taskId)).to.deep.equal([0n, f.policy.initialModelHash]);
      const deadline = BigInt(await time.latest()) + HOUR;
      await expect(rounds.connect(f.aggregator).openRound(taskId, "cid", model, deadline))
        .to.be.revertedWithCustomError(rounds, "FederatedRounds__BaseModelNotFinalized")
        .withArgs(model, f.policy.initialModelHash);
    });

    it("never finalizes a round with zero commits", async function () {
      const f = await networkHelpers.loadFixture(openRoundFixture);
      const { rounds, taskId } = f;
      const h = keccak256(toUtf8Bytes("empty-model"));
      await nextBlockAt(f.deadline + 1n);
      await rounds.connect(f.outsider).closeRound(taskId, 1n);
      await expect(rounds.connect(f.aggregator).publishAggregate(taskId, 1n, "cid", h, [], []))
        .to.be.revertedWithCustomError(rounds, "FederatedRounds__RoundNotClosed")
        .withArgs(taskId, 1n);
      await expect(rounds.connect(f.auditors[0]).attest(taskId, 1n, true, h))
        .to.be.revertedWithCustomError(rounds, "FederatedRounds__RoundNotPublished")
        .withArgs(taskId, 1n);
      await time.increase(PUBLISH_WINDOW + ATTESTATION_WINDOW + 1n);
      await expect(rounds.finalizeRound(taskId, 1n))
        .to.be.revertedWithCustomError(rounds, "FederatedRounds__RoundNotPublished")
        .withArgs(taskId, 1n);
      expect((await rounds.getRound(taskId, 1n)).status).to.equal(BigInt(RoundStatus.Abandoned));
    });

    it("abandons a published round without its quorum once the attestation window passed, not before", async function () {
      const f = await networkHelpers.loadFixture(publishedRoundFixture);
      const { rounds, taskId } = f;
      const until = f.publishedAt + ATTESTATION_WINDOW;
      await rounds.connect(f.auditors[0]).attest(taskId, 1n, true, f.modelHash);
      await nextBlockAt(until);
      await expect(rounds.connect(f.outsider).abandonRound(taskId, 1n))
        .to.be.revertedWithCustomError(rounds, "FederatedRounds__CannotAbandon")
        .withArgs(taskId, 1n, BigInt(RoundStatus.Published));
      await nextBlockAt(until + 1n);
      await expect(rounds.finalizeRound(taskId, 1n))
        .to.be.revertedWithCustomError(rounds, "FederatedRounds__AttestationQuorumNotReached")
        .withArgs(taskId, 1n, 1n, 2n);
      await nextBlockAt(until + 1n);
      await expect(rounds.connect(f.outsider).abandonRound(taskId, 1n))
        .to.emit(rounds, "RoundAbandoned")
        .withArgs(taskId, 1n, BigInt(AbandonReason.AttestationWindowPassed));
      expect(await rounds.lastFinalized(taskId)).to.deep.equal([0n, f.policy.initialModelHash]);
    });
  });

  describe("point 8: rounds are bounded", function () {
    it("refuses the commit after maxCommits with RoundFull", async function () {
      const f = await networkHelpers.loadFixture(fullRoundFixture);
      for (const m of f.members.slice(0, 2)) await commit(f, m);
      const late = f.members[2]!;
      const c = await cachedProofFor({ task: f.taskId, round: 1n, member: late.address, policy: f.policy });
      await expect(f.rounds.connect(late).commitUpdate(f.taskId, 1n, c.envelope, c.commitment, c.proof))
        .to.be.revertedWithCustomError(f.rounds, "FederatedRounds__RoundFull")
        .withArgs(f.taskId, 1n, 2n);
      expect((await f.rounds.getRound(f.taskId, 1n)).maxCommits).to.equal(2n);
    });
  });

  describe("dispute resolution by governance", function () {
    it("upholds the model: suspends the lying auditor, resolves the round and makes its model the last finalized", async function () {
      const f = await networkHelpers.loadFixture(lyingAuditorFixture);
      const { rounds, consortium, taskId } = f;
      const liar = f.auditors[1]!.address;
      // Nothing applies before governance decided.
      await expect(rounds.connect(f.outsider).resolveDispute(taskId, 1n))
        .to.be.revertedWithCustomError(rounds, "FederatedRounds__NotResolved")
        .withArgs(taskId, 1n);
      await expect(govResolve(f, true, [liar]))
        .to.emit(consortium, "DisputeResolved")
        .withArgs(taskId, 1n, BigInt(DisputeResolution.ModelUpheld), [liar])
        .and.to.emit(consortium, "MemberStatusChanged")
        .withArgs(liar, BigInt(MemberStatus.Suspended));
      expect(await consortium.disputeResolution(taskId, 1n)).to.equal(BigInt(DisputeResolution.ModelUpheld));
      expect((await consortium.member(liar)).status).to.equal(BigInt(MemberStatus.Suspended));
      await expect(rounds.connect(f.outsider).resolveDispute(taskId, 1n))
        .to.emit(rounds, "RoundResolved")
        .withArgs(taskId, 1n, true);
      expect((await rounds.getRound(taskId, 1n)).status).to.equal(BigInt(RoundStatus.Resolved));
      expect(await rounds.lastFinalized(taskId)).to.deep.equal([1n, f.modelHash]);
      // Once applied, neither the round nor governance can resolve it again.
      await expect(rounds.resolveDispute(taskId, 1n))
        .to.be.revertedWithCustomError(rounds, "FederatedRounds__RoundNotDisputed")
        .withArgs(taskId, 1n);
      await expect(govResolve(f, false, []))
        .to.be.revertedWithCustomError(consortium, "Consortium__AlreadyResolved")
        .withArgs(taskId, 1n);
      // The next round builds on the upheld model.
      await openRound(f, f.aggregator, f.modelHash);
      expect(await rounds.roundCount(taskId)).to.equal(2n);
    });

    it("never applies a resolution decided before the round was disputed (it weighed no evidence)", async function () {
      const f = await networkHelpers.loadFixture(publishedQuorumOneFixture);
      // Governance "upholds" round 1 while it is merely published; then an auditor disputes it.
      await govResolve(f, true, []);
      await f.rounds.connect(f.auditors[1]).attest(f.taskId, 1n, false, keccak256(toUtf8Bytes("lie")));
      expect((await f.rounds.getRound(f.taskId, 1n)).status).to.equal(BigInt(RoundStatus.Disputed));
      await expect(f.rounds.connect(f.outsider).resolveDispute(f.taskId, 1n))
        .to.be.revertedWithCustomError(f.rounds, "FederatedRounds__NotResolved")
        .withArgs(f.taskId, 1n);
      // The disputed model never becomes the global one.
      expect(await f.rounds.lastFinalized(f.taskId)).to.deep.equal([0n, f.policy.initialModelHash]);
    });

    it("lets only the auditors among the round's readers attest", async function () {
      const f = await networkHelpers.loadFixture(publishedQuorumOneFixture);
      const stranger = (await connection.ethers.getSigners())[12]!;
      await f.govern({
        kind: "AdmitMember",
        account: stranger.address,
        profile: {
          roles: Role.Auditor,
          kind: EntityKind.Recycler,
          encryptionKey: encryptionKeyFor(stranger.address),
          metadataHash: keccak256(toUtf8Bytes("stranger")),
        },
      });
      await f.govern({ kind: "GrantTaskAccess", taskId: f.taskId, account: stranger.address });
      // Granted, an auditor, but not a reader: it could not have replayed the round, and its attestation
      // must not count toward "every auditor attested".
      await expect(f.rounds.connect(stranger).attest(f.taskId, 1n, true, f.modelHash))
        .to.be.revertedWithCustomError(f.rounds, "FederatedRounds__NotRoundAuditor")
        .withArgs(stranger.address);
    });

    it("refuses a second resolution of a round governance resolved already, even before it was applied", async function () {
      const f = await networkHelpers.loadFixture(lyingAuditorFixture);
      await govResolve(f, true, []);
      await expect(govResolve(f, false, [f.aggregator.address]))
        .to.be.revertedWithCustomError(f.consortium, "Consortium__AlreadyResolved")
        .withArgs(f.taskId, 1n);
      expect((await f.consortium.member(f.aggregator.address)).status).to.equal(BigInt(MemberStatus.Active));
      await expect(
        f.govern({ kind: "ResolveDispute", taskId: 99n, round: 1n, upholdModel: true, suspend: [] }),
      )
        .to.be.revertedWithCustomError(f.consortium, "Consortium__UnknownTask")
        .withArgs(99n);
    });

    it("does not let an upheld model replace one finalized since", async function () {
      const f = await networkHelpers.loadFixture(lyingAuditorFixture);
      const { rounds, taskId } = f;
      // Round 2 runs on the initial model and finalizes (quorum 1, after the window).
      await openRound(f);
      for (const m of f.members.slice(0, 2)) await commit(f, m, 2n);
      await rounds.connect(f.aggregator).closeRound(taskId, 2n);
      const model2 = keccak256(toUtf8Bytes("model-2"));
      const included = sortAddresses(f.members.slice(0, 2).map((m) => m.address));
      await rounds
        .connect(f.aggregator)
        .publishAggregate(taskId, 2n, "bafkrei-model-2", model2, included, []);
      await rounds.connect(f.auditors[0]).attest(taskId, 2n, true, model2);
      await time.increase(ATTESTATION_WINDOW + 1n);
      await rounds.finalizeRound(taskId, 2n);
      await govResolve(f, true, [f.auditors[1]!.address]);
      await expect(rounds.resolveDispute(taskId, 1n))
        .to.emit(rounds, "RoundResolved")
        .withArgs(taskId, 1n, true);
      expect(await rounds.lastFinalized(taskId)).to.deep.equal([2n, model2]);
    });

    it("confirms the dispute: suspends the aggregator and leaves the last finalized model unchanged", async function () {
      const f = await networkHelpers.loadFixture(publishedRoundFixture);
      const { rounds, consortium, taskId } = f;
      await rounds
        .connect(f.auditors[0])
        .attest(taskId, 1n, false, keccak256(toUtf8Bytes("the-right-model")));
      await expect(rounds.resolveDispute(taskId, 1n))
        .to.be.revertedWithCustomError(rounds, "FederatedRounds__NotResolved")
        .withArgs(taskId, 1n);
      await expect(govResolve(f, false, [f.aggregator.address]))
        .to.emit(consortium, "DisputeResolved")
        .withArgs(taskId, 1n, BigInt(DisputeResolution.DisputeConfirmed), [f.aggregator.address]);
      await expect(rounds.connect(f.outsider).resolveDispute(taskId, 1n))
        .to.emit(rounds, "RoundResolved")
        .withArgs(taskId, 1n, false);
      expect((await rounds.getRound(taskId, 1n)).status).to.equal(BigInt(RoundStatus.Resolved));
      expect(await rounds.lastFinalized(taskId)).to.deep.equal([0n, f.policy.initialModelHash]);
      const deadline = BigInt(await time.latest()) + HOUR;
      await expect(rounds.connect(f.aggregator).openRound(taskId, "cid", f.policy.initialModelHash, deadline))
        .to.be.revertedWithCustomError(consortium, "Consortium__MemberSuspended")
        .withArgs(f.aggregator.address);
    });

    it("refuses to resolve a round that is not disputed", async function () {
      const f = await networkHelpers.loadFixture(publishedRoundFixture);
      await expect(f.rounds.resolveDispute(f.taskId, 1n))
        .to.be.revertedWithCustomError(f.rounds, "FederatedRounds__RoundNotDisputed")
        .withArgs(f.taskId, 1n);
      await expect(f.rounds.resolveDispute(f.taskId, 2n))
        .to.be.revertedWithCustomError(f.rounds, "FederatedRounds__UnknownRound")
        .withArgs(f.taskId, 2n);
    });
  });
});

function govResolve(f: Fixture, upholdModel: boolean, suspend: string[], round = 1n) {
  return f.govern({ kind: "ResolveDispute", taskId: f.taskId, round, upholdModel, suspend });
}
