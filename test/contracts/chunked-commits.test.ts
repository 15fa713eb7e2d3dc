/**
 * Updates larger than the circuit's K entries, proven in chunks and committed in one transaction
 * (FederatedRounds.commitChunkedUpdate): each attack a member could try on the chain of chunk proofs, with
 * real proofs of the `test` circuit (K = 16) verified in one batched pairing check.
 */
import { expect } from "chai";
import { network } from "hardhat";
import { deployWithTask, type Connection } from "./fixtures.js";
import { largeUpdate, proveChunksFor, type ChunkedCommitArgs } from "./proofs.js";

const connection: Connection = await network.create();
const { networkHelpers } = connection;
const { time } = networkHelpers;

/** k = 48 on the K = 16 circuit: up to three chunks. */
async function chunkedRoundFixture() {
  const f = await deployWithTask(connection, { maxNonZeros: 48 });
  const deadline = BigInt(await time.latest()) + 3600n;
  await f.rounds
    .connect(f.aggregator)
    .openRound(f.taskId, "bafkrei-base", f.policy.initialModelHash, deadline);
  return f;
}

type Fixture = Awaited<ReturnType<typeof chunkedRoundFixture>>;

const proofsMemo = new Map<string, Promise<ChunkedCommitArgs>>();
/** 40 entries (three chunks) for a member of the fixture's task, round 1; proven once per member and seed. */
function chunkedProofFor(f: Fixture, member: string, seed = 1): Promise<ChunkedCommitArgs> {
  const key = `${member}:${seed}`;
  let proof = proofsMemo.get(key);
  if (!proof) {
    proof = proveChunksFor({
      task: f.taskId,
      round: 1n,
      member,
      policy: f.policy,
      update: largeUpdate(f.policy, 40, seed),
    });
    proofsMemo.set(key, proof);
  }
  return proof;
}

describe("FederatedRounds.commitChunkedUpdate: updates proven in chunks", function () {
  it("records a 40-entry update proven in three chunks, in one transaction", async function () {
    const f = await networkHelpers.loadFixture(chunkedRoundFixture);
    const m = f.members[0]!;
    const c = await chunkedProofFor(f, m.address);
    expect(c.proofs).to.have.length(3);
    expect(c.links).to.have.length(2);
    await expect(
      f.rounds.connect(m).commitChunkedUpdate(f.taskId, 1n, c.envelope, c.commitment, c.links, c.proofs),
    )
      .to.emit(f.rounds, "UpdateCommitted")
      .withArgs(f.taskId, 1n, m.address, c.commitment, c.envelope);
    expect(await f.rounds.commitmentOf(f.taskId, 1n, m.address)).to.equal(c.commitment);
    expect((await f.rounds.getRound(f.taskId, 1n)).commitCount).to.equal(1n);
  });

  it("refuses reordered chunks and a dropped middle chunk", async function () {
    const f = await networkHelpers.loadFixture(chunkedRoundFixture);
    const m = f.members[0]!;
    const c = await chunkedProofFor(f, m.address);
    const [p0, p1, p2] = c.proofs as [bigint[], bigint[], bigint[]];
    const [l0, l1] = c.links as [bigint, bigint];
    const attempts: [string, bigint[], bigint[][]][] = [
      ["chunks 1 and 2 swapped", [l0, l1], [p0, p2, p1]],
      ["links swapped", [l1, l0], [p0, p1, p2]],
      ["middle chunk dropped", [l0], [p0, p2]],
      ["middle chunk dropped, its end state kept", [l1], [p0, p2]],
    ];
    for (const [what, links, proofs] of attempts) {
      await expect(
        f.rounds.connect(m).commitChunkedUpdate(f.taskId, 1n, c.envelope, c.commitment, links, proofs),
        what,
      )
        .to.be.revertedWithCustomError(f.rounds, "FederatedRounds__InvalidProof")
        .withArgs(f.taskId, 1n, m.address);
    }
  });

  it("refuses a chunk replayed from another member's update, and another member's whole chain", async function () {
    const f = await networkHelpers.loadFixture(chunkedRoundFixture);
    const [a, b] = [f.members[0]!, f.members[1]!];
    const ca = await chunkedProofFor(f, a.address);
    const cb = await chunkedProofFor(f, b.address);
    // A's chain with B's middle chunk (and B's link after it, so only the splice itself is wrong).
    await expect(
      f.rounds
        .connect(a)
        .commitChunkedUpdate(
          f.taskId,
          1n,
          ca.envelope,
          ca.commitment,
          [ca.links[0]!, cb.links[1]!],
          [ca.proofs[0]!, cb.proofs[1]!, ca.proofs[2]!],
        ),
    ).to.be.revertedWithCustomError(f.rounds, "FederatedRounds__InvalidProof");
    // B's proofs are bound to B's address: A cannot commit them as its own.
    await expect(
      f.rounds.connect(a).commitChunkedUpdate(f.taskId, 1n, cb.envelope, cb.commitment, cb.links, cb.proofs),
    ).to.be.revertedWithCustomError(f.rounds, "FederatedRounds__InvalidProof");
    // Nor can A replay its own chain into another task's round or a later round (context is in every chunk).
    await f.rounds
      .connect(a)
      .commitChunkedUpdate(f.taskId, 1n, ca.envelope, ca.commitment, ca.links, ca.proofs);
    await expect(
      f.rounds.connect(a).commitChunkedUpdate(f.taskId, 1n, ca.envelope, ca.commitment, ca.links, ca.proofs),
    ).to.be.revertedWithCustomError(f.rounds, "FederatedRounds__AlreadyCommitted");
  });

  it("refuses a chunk that starts over from the empty state mid-update (link 0)", async function () {
    const f = await networkHelpers.loadFixture(chunkedRoundFixture);
    const m = f.members[0]!;
    const c = await chunkedProofFor(f, m.address);
    // A second update whose first chunk would, with link 0, restart the sums after chunk 0 of the first.
    await expect(
      f.rounds
        .connect(m)
        .commitChunkedUpdate(f.taskId, 1n, c.envelope, c.commitment, [0n, c.links[1]!], c.proofs),
    )
      .to.be.revertedWithCustomError(f.rounds, "FederatedRounds__InvalidChunkLink")
      .withArgs(0n);
    await expect(
      f.rounds
        .connect(m)
        .commitChunkedUpdate(f.taskId, 1n, c.envelope, c.commitment, [c.links[0]!, 0n], c.proofs),
    )
      .to.be.revertedWithCustomError(f.rounds, "FederatedRounds__InvalidChunkLink")
      .withArgs(1n);
  });

  it("refuses proof and link counts that do not fit together, and more than MAX_CHUNKS_PER_UPDATE chunks", async function () {
    const f = await networkHelpers.loadFixture(chunkedRoundFixture);
    const m = f.members[0]!;
    const c = await chunkedProofFor(f, m.address);
    const cases: [bigint[], bigint[][], bigint, bigint][] = [
      [[], [], 0n, 0n],
      [c.links, c.proofs.slice(0, 2), 2n, 2n],
      [c.links.slice(0, 1), c.proofs, 3n, 1n],
      [Array.from({ length: 128 }, () => 1n), Array.from({ length: 129 }, () => c.proofs[0]!), 129n, 128n],
    ];
    for (const [links, proofs, nProofs, nLinks] of cases) {
      await expect(
        f.rounds.connect(m).commitChunkedUpdate(f.taskId, 1n, c.envelope, c.commitment, links, proofs),
      )
        .to.be.revertedWithCustomError(f.rounds, "FederatedRounds__InvalidChunkCount")
        .withArgs(nProofs, nLinks);
    }
  });

  it("takes a proven prefix as an update of its own (the payload must then match it: the aggregator checks)", async function () {
    const f = await networkHelpers.loadFixture(chunkedRoundFixture);
    const m = f.members[0]!;
    const c = await chunkedProofFor(f, m.address);
    // The first two chunks end in links[1]: a valid proof of the first 32 entries, committed as such.
    const prefix = `0x${c.links[1]!.toString(16).padStart(64, "0")}`;
    await f.rounds
      .connect(m)
      .commitChunkedUpdate(f.taskId, 1n, c.envelope, prefix, c.links.slice(0, 1), c.proofs.slice(0, 2));
    expect(await f.rounds.commitmentOf(f.taskId, 1n, m.address)).to.equal(prefix);
  });

  it("checks the same round rules as commitUpdate before any proof (deadline, membership)", async function () {
    const f = await networkHelpers.loadFixture(chunkedRoundFixture);
    const m = f.members[0]!;
    const c = await chunkedProofFor(f, m.address);
    await expect(
      f.rounds
        .connect(f.outsider)
        .commitChunkedUpdate(f.taskId, 1n, c.envelope, c.commitment, c.links, c.proofs),
    ).to.be.revertedWithCustomError(f.consortium, "Consortium__NotMember");
    await time.increase(3601);
    await expect(
      f.rounds.connect(m).commitChunkedUpdate(f.taskId, 1n, c.envelope, c.commitment, c.links, c.proofs),
    ).to.be.revertedWithCustomError(f.rounds, "FederatedRounds__DeadlinePassed");
  });
});
