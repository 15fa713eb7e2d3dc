/**
 * Tests written for mutants of contracts/FederatedRounds.sol that survived the other contract tests
 * (`npm run mutation:contracts -- --only FederatedRounds`): a commitment equal to the field's order, a
 * member listed twice in a published outcome, which readers a round counts as auditors, and a dispute
 * resolution executed in the very block that disputed the round. Real proofs of the `test` circuit.
 */
import { expect } from "chai";
import { network } from "hardhat";
import { keccak256, toBeHex, toUtf8Bytes } from "ethers";
import { encodeProposal } from "../../src/governance/index.js";
import { RoundStatus } from "../../src/chain/index.js";
import { BN254_SCALAR_FIELD } from "../../src/zk/index.js";
import { deployWithTask, VOTING_PERIOD, type Connection } from "./fixtures.js";
import { sortAddresses } from "./helpers.js";
import { cachedProofFor } from "./proofs.js";

const connection: Connection = await network.create();
const { networkHelpers } = connection;
const { time } = networkHelpers;

type Fixture = Awaited<ReturnType<typeof deployWithTask>>;
type Signer = Fixture["outsider"];

async function openRound(f: Fixture): Promise<void> {
  const deadline = BigInt(await time.latest()) + 3600n;
  await f.rounds
    .connect(f.aggregator)
    .openRound(f.taskId, "bafkrei-base", f.policy.initialModelHash, deadline);
}

async function commit(f: Fixture, member: Signer): Promise<void> {
  const c = await cachedProofFor({ task: f.taskId, round: 1n, member: member.address, policy: f.policy });
  await f.rounds.connect(member).commitUpdate(f.taskId, 1n, c.envelope, c.commitment, c.proof);
}

async function openRoundFixture() {
  const f = await deployWithTask(connection);
  await openRound(f);
  return f;
}

/** Round 1 with two commits, closed; quorum 1 of two auditors. */
async function closedQuorumOneFixture() {
  const f = await deployWithTask(connection, { attestationQuorum: 1 });
  await openRound(f);
  for (const m of f.members.slice(0, 2)) await commit(f, m);
  await f.rounds.connect(f.aggregator).closeRound(f.taskId, 1n);
  return { ...f, included: sortAddresses(f.members.slice(0, 2).map((m) => m.address)) };
}

describe("FederatedRounds: checks at their boundaries (mutation testing)", function () {
  it("refuses a commitment equal to the field's order as a commitment, before checking the proof", async function () {
    const f = await networkHelpers.loadFixture(openRoundFixture);
    const m = f.members[0]!;
    const c = await cachedProofFor({ task: f.taskId, round: 1n, member: m.address, policy: f.policy });
    await expect(
      f.rounds.connect(m).commitUpdate(f.taskId, 1n, c.envelope, toBeHex(BN254_SCALAR_FIELD, 32), c.proof),
    )
      .to.be.revertedWithCustomError(f.rounds, "FederatedRounds__InvalidCommitment")
      .withArgs(toBeHex(BN254_SCALAR_FIELD, 32));
    // The largest field element is a commitment; only the proof (made for another one) fails.
    await expect(
      f.rounds
        .connect(m)
        .commitUpdate(f.taskId, 1n, c.envelope, toBeHex(BN254_SCALAR_FIELD - 1n, 32), c.proof),
    ).to.be.revertedWithCustomError(f.rounds, "FederatedRounds__InvalidProof");
  });

  it("refuses an outcome that includes one committer twice (and so drops another)", async function () {
    const f = await networkHelpers.loadFixture(closedQuorumOneFixture);
    const [first] = f.included as [string, string];
    const hash = keccak256(toUtf8Bytes("model-1"));
    await expect(
      f.rounds
        .connect(f.aggregator)
        .publishAggregate(f.taskId, 1n, "bafkrei-model-1", hash, [first, first], []),
    )
      .to.be.revertedWithCustomError(f.rounds, "FederatedRounds__InvalidOutcome")
      .withArgs("included not strictly increasing");
    await expect(
      f.rounds.connect(f.aggregator).publishAggregate(f.taskId, 1n, "bafkrei-model-1", hash, f.included, []),
    ).to.emit(f.rounds, "AggregatePublished");
  });

  it("counts as round auditors only the readers still granted to the task", async function () {
    const f = await deployWithTask(connection, { attestationQuorum: 1 });
    const [kept, revoked] = f.auditors as [Signer, Signer];
    await f.govern({ kind: "RevokeTaskAccess", taskId: f.taskId, account: revoked.address });
    await openRound(f);
    const round = await f.rounds.getRound(f.taskId, 1n);
    expect(round.auditorCount).to.equal(1n);
    for (const m of f.members.slice(0, 2)) await commit(f, m);
    await f.rounds.connect(f.aggregator).closeRound(f.taskId, 1n);
    const included = sortAddresses(f.members.slice(0, 2).map((m) => m.address));
    const hash = keccak256(toUtf8Bytes("model-1"));
    await f.rounds
      .connect(f.aggregator)
      .publishAggregate(f.taskId, 1n, "bafkrei-model-1", hash, included, []);
    await f.rounds.connect(kept).attest(f.taskId, 1n, true, hash);
    // Every round auditor has attested: the round finalizes without waiting for the attestation window.
    await expect(f.rounds.connect(f.outsider).finalizeRound(f.taskId, 1n)).to.emit(
      f.rounds,
      "RoundFinalized",
    );
  });

  it("does not apply a resolution executed in the block that disputed the round", async function () {
    const f = await networkHelpers.loadFixture(closedQuorumOneFixture);
    const hash = keccak256(toUtf8Bytes("model-1"));
    await f.rounds
      .connect(f.aggregator)
      .publishAggregate(f.taskId, 1n, "bafkrei-model-1", hash, f.included, []);
    // Governance approves an "uphold" resolution while the round is merely published...
    const { kind, payload } = encodeProposal({
      kind: "ResolveDispute",
      taskId: f.taskId,
      round: 1n,
      upholdModel: true,
      suspend: [],
    });
    await f.consortium.connect(f.governors[0]).propose(kind, payload, VOTING_PERIOD);
    const id = await f.consortium.proposalCount();
    for (const g of f.governors.slice(0, 2)) await f.consortium.connect(g).approve(id);
    // ...and executes it in the block where an auditor disputes the round, right after the dispute.
    await connection.provider.request({ method: "evm_setAutomine", params: [false] });
    try {
      await f.rounds
        .connect(f.auditors[1])
        .attest(f.taskId, 1n, false, keccak256(toUtf8Bytes("lie")), { gasLimit: 1_000_000 });
      await f.consortium.connect(f.outsider).execute(id, { gasLimit: 1_000_000 });
      await networkHelpers.mine();
    } finally {
      await connection.provider.request({ method: "evm_setAutomine", params: [true] });
    }
    const disputedAt = await f.consortium.disputeResolvedAtBlock(f.taskId, 1n);
    expect((await f.rounds.getRound(f.taskId, 1n)).status).to.equal(BigInt(RoundStatus.Disputed));
    expect(disputedAt).to.equal(BigInt(await connection.ethers.provider.getBlockNumber()));
    await expect(f.rounds.connect(f.outsider).resolveDispute(f.taskId, 1n))
      .to.be.revertedWithCustomError(f.rounds, "FederatedRounds__NotResolved")
      .withArgs(f.taskId, 1n);
  });
});
