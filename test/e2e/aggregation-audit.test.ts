import { expect } from "chai";
import { network } from "hardhat";
import { getBytes, toBeHex } from "ethers";
import { RoundStatus, readRound } from "../../src/chain/index.js";
import {
  aggregateRound,
  commitMemberUpdate,
  lastFinalizedModel,
  loadTrainingBase,
  openNextRound,
  type RoleEnvironment,
} from "../../src/roles/index.js";
import { commitLocalRound, concludeLocalRound } from "../../src/harness/index.js";
import { sealPayload, sealToGroup } from "../../src/seal/index.js";
import { sealToOtherKey, tamperingAggregator, type AggregatorTampering } from "../../src/adversary/index.js";
import { encodeUpdate, type SparseUpdate } from "../../src/sparse/index.js";
import type { ContentStore } from "../../src/storage/index.js";
import {
  computeCommitment,
  packContext,
  proveUpdate,
  randomSalt,
  releaseZkWorkers,
} from "../../src/zk/index.js";
import { readerPublicKeys } from "../../src/roles/index.js";
import type { Connection } from "../contracts/fixtures.js";
import { createStore, setUpFederation, syntheticDelta } from "./federation.js";

const connection: Connection = await network.create();
const { networkHelpers } = connection;
let store: ContentStore;
let unavailableStore: ContentStore;

before(async function () {
  store = await createStore();
  // A member's own node that the aggregator and auditors are never connected to.
  unavailableStore = await createStore();
});
after(async function () {
  await store.stop();
  await unavailableStore.stop();
  await releaseZkWorkers();
});

const federation = () => setUpFederation({ connection, store });
type Federation = Awaited<ReturnType<typeof federation>>;

const readerOf = (f: Federation, env: RoleEnvironment) => ({ env, reader: f.keys.get(env.address)! });

/** All three members commit honest updates in a fresh round; returns the round. */
async function honestCommits(f: Federation, { skip = [] as number[] } = {}): Promise<bigint> {
  const { round } = await commitLocalRound({
    aggregator: readerOf(f, f.aggregator),
    members: f.members.flatMap((env, i) =>
      skip.includes(i) ? [] : [{ env, delta: (round: bigint) => syntheticDelta(i, Number(round)) }],
    ),
    artifacts: f.artifacts,
    durationSeconds: 600,
  });
  return round;
}

async function aggregateAndAudit(f: Federation, round: bigint, tamper: AggregatorTampering = "none") {
  const reader = f.keys.get(f.aggregator.address)!;
  const { published, verdicts } = await concludeLocalRound({
    round,
    aggregator: { env: f.aggregator, reader },
    auditors: f.auditors.map((env) => readerOf(f, env)),
    seams: tamperingAggregator({ tamper, groupSecretKey: reader.secretKey }),
    advanceTime: (seconds) => networkHelpers.time.increase(seconds),
  });
  const status = Number((await f.contracts.rounds.getRound(f.taskId, round)).status);
  return { published, verdicts, status };
}

describe("aggregator and auditors on chain and IPFS", function () {
  it("finalizes an honest round: every auditor replays the same bytes and hash", async function () {
    const f = await networkHelpers.loadFixture(federation);
    const round = await honestCommits(f);
    const { published, verdicts, status } = await aggregateAndAudit(f, round);
    expect(status).to.equal(RoundStatus.Finalized);
    expect(published!.excluded).to.deep.equal([]);
    expect(published!.included).to.have.length(3);
    for (const v of verdicts) {
      expect(v.matches, v.findings.join("; ")).to.equal(true);
      expect(v.replayedModelHash).to.equal(published!.modelHash);
    }
    expect((await lastFinalizedModel({ env: f.aggregator })).hash).to.equal(published!.modelHash);
    // Publishing again is a no-op: the worker's state is the chain's.
    expect(
      await aggregateRound({ env: f.aggregator, round, reader: f.keys.get(f.aggregator.address)! }),
    ).to.equal(undefined);
  });

  for (const [tamper, finding] of [
    ["wrong-hash", /model hash/],
    ["drop-honest-update", /valid update was excluded/],
    ["wrong-rule", /model hash/],
  ] as const) {
    it(`disputes a tampering aggregator (${tamper}) by every honest auditor`, async function () {
      const f = await networkHelpers.loadFixture(federation);
      const round = await honestCommits(f);
      const { verdicts, status } = await aggregateAndAudit(f, round, tamper);
      expect(status).to.equal(RoundStatus.Disputed);
      for (const v of verdicts) {
        expect(v.matches).to.equal(false);
        expect(v.findings.join("\n")).to.match(finding);
      }
      const record = await readRound({ rounds: f.contracts.rounds, taskId: f.taskId, round });
      expect(record.attestations.map((a) => a.matches)).to.deep.equal([false, false]);
    });
  }

  it("includes the update of a member whose own node is gone: the envelope travels in the commit (issue 11.1, 11.5)", async function () {
    const f = await networkHelpers.loadFixture(federation);
    const round = await openNextRound({ env: f.aggregator, durationSeconds: 600 });
    // A member with its own node, never connected to the readers, which it stops right after committing:
    // withholding the payload or going offline changes nothing, since every reader has it from the chain.
    const lonely = f.envFor(f.members[2]!, unavailableStore);
    for (const [i, env] of [f.members[0]!, f.members[1]!, lonely].entries()) {
      await commitMemberUpdate({ env, round, delta: syntheticDelta(i, 1), artifacts: f.artifacts });
    }
    const { published, verdicts, status } = await aggregateAndAudit(f, round);
    expect(published!.excluded).to.deep.equal([]);
    expect(published!.included).to.include(lonely.address);
    for (const v of verdicts) expect(v.matches, v.findings.join("; ")).to.equal(true);
    expect(status).to.equal(RoundStatus.Finalized);
    // The readers kept the envelopes: each is in their store, pinned, under its content address.
    const record = await readRound({ rounds: f.contracts.rounds, taskId: f.taskId, round });
    for (const commit of record.commits) {
      const cid = await store.put(commit.envelope);
      expect(Buffer.from(await store.get(cid)).equals(Buffer.from(commit.envelope))).to.equal(true);
    }
  });

  it("a member that seals to another key than the reader group's is excluded as Unopenable by everyone alike (issue 11.1)", async function () {
    const f = await networkHelpers.loadFixture(federation);
    const round = await openNextRound({ env: f.aggregator, durationSeconds: 600 });
    for (const [i, env] of f.members.entries()) {
      await commitMemberUpdate({
        env,
        round,
        delta: syntheticDelta(i, 1),
        artifacts: f.artifacts,
        ...(i === 2 ? { seal: sealToOtherKey } : {}),
      });
    }
    const { published, verdicts, status } = await aggregateAndAudit(f, round);
    expect(published!.excluded.map((e) => [e.member, e.reason])).to.deep.equal([
      [f.members[2]!.address, "Unopenable"],
    ]);
    for (const v of verdicts) expect(v.matches, v.findings.join("; ")).to.equal(true);
    expect(status).to.equal(RoundStatus.Finalized);
  });

  it("a per-reader envelope that wraps different keys for different readers cannot split them (issue 11.1)", async function () {
    const f = await networkHelpers.loadFixture(federation);
    const round = await openNextRound({ env: f.aggregator, durationSeconds: 600 });
    for (const [i, env] of f.members.slice(0, 2).entries()) {
      await commitMemberUpdate({ env, round, delta: syntheticDelta(i, 1), artifacts: f.artifacts });
    }
    // The old attack: a valid proof, an envelope the aggregator can open but one auditor cannot (sealed
    // to the aggregator's own key only). Version-1 envelopes are not reader-group envelopes: every reader
    // rejects it the same way, and the honest round finalizes.
    const cheat = f.members[2]!;
    const context = { task: Number(f.taskId), round: Number(round), member: cheat.address };
    const update: SparseUpdate = {
      dimension: 64,
      indices: Uint32Array.from([3]),
      values: Int32Array.from([7]),
    };
    const salt = randomSalt();
    const proof = await proveUpdate({
      update,
      context,
      salt,
      policyBounds: {
        d: f.policy.dimension,
        k: f.policy.maxNonZeros,
        lInf: f.policy.lInfBound,
        l2Sq: f.policy.l2Bound ** 2n,
      },
      artifacts: f.artifacts,
    });
    const [aggregatorKey] = await readerPublicKeys({ env: cheat, readers: [f.aggregator.address] });
    const envelope = sealPayload({
      payload: encodeUpdate({ header: { ...context, scale: f.policy.scale, salt }, update }),
      readers: [aggregatorKey!],
      context,
    });
    const commitment = computeCommitment({
      context: packContext(context),
      salt,
      update,
      lInf: f.policy.lInfBound,
      params: f.artifacts.params,
    });
    await f.contracts.rounds
      .connect(cheat.signer)
      .commitUpdate(f.taskId, round, envelope, toBeHex(commitment, 32), proof.calldata);
    const { published, verdicts, status } = await aggregateAndAudit(f, round);
    expect(published!.excluded.map((e) => [e.member, e.reason])).to.deep.equal([
      [cheat.address, "Unopenable"],
    ]);
    for (const v of verdicts) expect(v.matches, v.findings.join("; ")).to.equal(true);
    expect(status).to.equal(RoundStatus.Finalized);
  });

  it("excludes a payload whose entries differ from the proven commitment, and disputes an aggregator that includes it", async function () {
    const f = await networkHelpers.loadFixture(federation);
    const round = await openNextRound({ env: f.aggregator, durationSeconds: 600 });
    for (const [i, env] of f.members.slice(0, 2).entries()) {
      await commitMemberUpdate({ env, round, delta: syntheticDelta(i, 1), artifacts: f.artifacts });
    }
    // The cheat proves one update but seals another.
    const cheat = f.members[2]!;
    const context = { task: Number(f.taskId), round: Number(round), member: cheat.address };
    const proven: SparseUpdate = {
      dimension: 64,
      indices: Uint32Array.from([1, 2]),
      values: Int32Array.from([10, -10]),
    };
    const stored: SparseUpdate = {
      dimension: 64,
      indices: Uint32Array.from([1, 2]),
      values: Int32Array.from([8000, 8000]),
    };
    const salt = randomSalt();
    const bounds = {
      d: f.policy.dimension,
      k: f.policy.maxNonZeros,
      lInf: f.policy.lInfBound,
      l2Sq: f.policy.l2Bound ** 2n,
    };
    const proof = await proveUpdate({
      update: proven,
      context,
      salt,
      policyBounds: bounds,
      artifacts: f.artifacts,
    });
    const envelope = sealToGroup({
      payload: encodeUpdate({ header: { ...context, scale: f.policy.scale, salt }, update: stored }),
      groupPublicKey: getBytes(f.policy.readerKey),
      context,
    });
    const commitment = computeCommitment({
      context: packContext(context),
      salt,
      update: proven,
      lInf: f.policy.lInfBound,
      params: f.artifacts.params,
    });
    await f.contracts.rounds
      .connect(cheat.signer)
      .commitUpdate(f.taskId, round, envelope, toBeHex(commitment, 32), proof.calldata);

    const snapshot = await networkHelpers.takeSnapshot();
    const honest = await aggregateAndAudit(f, round);
    expect(honest.published!.excluded.map((e) => [e.member, e.reason])).to.deep.equal([
      [cheat.address, "CommitmentMismatch"],
    ]);
    expect(honest.status).to.equal(RoundStatus.Finalized);

    await snapshot.restore();
    const lying = await aggregateAndAudit(f, round, "include-mismatched");
    expect(lying.status).to.equal(RoundStatus.Disputed);
    for (const v of lying.verdicts)
      expect(v.findings.join("\n")).to.match(/included although CommitmentMismatch/);
  });

  it("never lets members train on a disputed model", async function () {
    const f = await networkHelpers.loadFixture(federation);
    const r1 = await honestCommits(f);
    const first = await aggregateAndAudit(f, r1);
    expect(first.status).to.equal(RoundStatus.Finalized);
    const r2 = await honestCommits(f);
    const disputed = await aggregateAndAudit(f, r2, "wrong-hash");
    expect(disputed.status).to.equal(RoundStatus.Disputed);
    const r3 = await openNextRound({ env: f.aggregator, durationSeconds: 600 });
    const base = await loadTrainingBase({ env: f.members[0]!, round: r3 });
    expect(base.baseModelHash).to.equal(first.published!.modelHash);
    expect(base.baseModelHash).to.not.equal(disputed.published!.modelHash);
  });
});
