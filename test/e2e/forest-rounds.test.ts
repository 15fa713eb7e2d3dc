/**
 * The histogram forest through the real protocol: members commit their class counts with real Groth16
 * chunk proofs on Hardhat's chain, sealed to the reader group and stored on Helia; the aggregator adds them
 * under the policy's rule `sum`; every auditor replays and agrees. Nothing in the roles is specific to the
 * model family: the forest's statistics travel as any sparse update does, and the finalized model's counts
 * are exactly those of the forest grown on the pooled rows.
 */
import { expect } from "chai";
import { network } from "hardhat";
import { getAddress } from "ethers";
import { RoundStatus } from "../../src/chain/index.js";
import {
  commitLocalRound,
  concludeLocalRound,
  createLocalTask,
  deployLocalConsortium,
  localTaskPolicy,
} from "../../src/harness/index.js";
import {
  deriveForest,
  forestDimension,
  forestMemberUpdate,
  predictForest,
  selectRows,
  type HistogramForestSpec,
} from "../../src/learning/index.js";
import {
  encodeGlobalModel,
  globalModelHash,
  initialGlobalModel,
  toFloatParams,
} from "../../src/model/index.js";
import { simulateForestFederation } from "../../src/research/index.js";
import {
  fetchVerifiedModel,
  lastFinalizedModel,
  loadTrainingBase,
  type RoleEnvironment,
} from "../../src/roles/index.js";
import type { ContentStore } from "../../src/storage/index.js";
import { loadCircuitArtifacts, releaseZkWorkers } from "../../src/zk/index.js";
import type { Connection } from "../contracts/fixtures.js";
import { createStore } from "./federation.js";
import { ruleData, ruleForestSpec } from "../support/forest-data.js";

const connection: Connection = await network.create();
let store: ContentStore;
before(async function () {
  store = await createStore();
});
after(async function () {
  await store.stop();
  await releaseZkWorkers();
});

/** A small forest the `test` circuit proves (d ≤ 4096): 2 trees of depth 3 over 3 features. */
const SPEC: HistogramForestSpec = ruleForestSpec({ id: "forest-e2e", trees: 2, depth: 3, bins: 8, seed: 5 });

describe("histogram forest through chain, proofs, IPFS, aggregator and auditors", function () {
  it("finalizes every level with the auditors agreeing; the chain's model holds the pooled rows' counts", async function () {
    this.timeout(300_000);
    const artifacts = await loadCircuitArtifacts({ instance: "test" });
    const consortium = await deployLocalConsortium({ connection, members: 3, circuit: "test" });
    const { contracts } = consortium;
    const dimension = forestDimension(SPEC);
    const model0 = encodeGlobalModel(initialGlobalModel({ task: 1, dimension, scale: 1 }));
    const policy = localTaskPolicy({
      consortium,
      now: BigInt(await connection.networkHelpers.time.latest()),
      model: { name: SPEC.id, dimension, hash: globalModelHash(model0), cid: await store.put(model0) },
      rule: "sum",
      settings: {
        // Counts at scale 1: a member may claim at most 2^15 - 1 rows in one cell and touch 256 cells (a level's most: 2 trees · 4 nodes · 2 slots · 8 bins · 2 classes).
        scale: 1,
        maxNonZeros: 256,
        lInfBound: 2n ** 15n - 1n,
        l2Bound: 2n ** 24n,
        minParticipants: 3,
      },
    });
    const { taskId } = await createLocalTask({ consortium, policy });
    const envFor = (account: { signer: RoleEnvironment["signer"]; address: string }): RoleEnvironment => ({
      signer: account.signer,
      address: getAddress(account.address),
      contracts,
      store,
      taskId,
      fetchTimeoutMs: 5_000,
    });
    const reader = (account: (typeof consortium.auditors)[number]) => ({
      env: envFor(account),
      reader: consortium.readerKeyOf(account),
    });
    const aggregator = reader(consortium.aggregator);
    const auditors = consortium.auditors.map(reader);
    const train = ruleData(240, 21);
    // Skewed shares: member 0 holds most of the positive rows.
    const shares = [
      (r: number) => train.labels[r] === 1 && r % 4 !== 0,
      (r: number) => !(train.labels[r] === 1 && r % 4 !== 0) && r % 2 === 0,
      (r: number) => !(train.labels[r] === 1 && r % 4 !== 0) && r % 2 === 1,
    ].map((pick) => {
      const rows: number[] = [];
      for (let r = 0; r < train.rows; r++) if (pick(r)) rows.push(r);
      return selectRows({ data: train, rows: Uint32Array.from(rows) });
    });

    for (let level = 0; level < SPEC.depth; level++) {
      const { round } = await commitLocalRound({
        aggregator,
        artifacts,
        members: consortium.members.map((account, i) => {
          const env = envFor(account);
          return {
            env,
            delta: async (round: bigint) => {
              // The member reads the finalized model from the chain and IPFS, as for any task.
              const base = await loadTrainingBase({ env, round });
              const update = forestMemberUpdate({
                forest: deriveForest({ spec: SPEC, counts: Int32Array.from(base.params) }),
                data: shares[i]!,
                level,
              });
              const delta = new Float32Array(dimension);
              update.indices.forEach((index, j) => (delta[index] = update.values[j]!));
              return delta;
            },
          };
        }),
      });
      const { published, verdicts } = await concludeLocalRound({
        round,
        aggregator,
        auditors,
        advanceTime: (seconds) => connection.networkHelpers.time.increase(seconds),
      });
      expect(published!.excluded).to.deep.equal([]);
      expect(published!.included).to.have.length(3);
      for (const v of verdicts) expect(v.matches, v.findings.join("; ")).to.equal(true);
      expect(Number((await contracts.rounds.getRound(taskId, round)).status)).to.equal(RoundStatus.Finalized);
    }

    const env = envFor(consortium.aggregator);
    const last = await lastFinalizedModel({ env });
    const { model } = await fetchVerifiedModel({ env, cid: last.cid, expectedHash: last.hash });
    // Error feedback sent everything (k and the bounds fit the counts), so the chain holds exact counts:
    const pooled = simulateForestFederation({
      spec: SPEC,
      members: [train],
      evaluation: train,
      rounds: SPEC.depth,
      policy: { maxNonZeros: 256, l2Bound: 2 ** 24, lInfBound: 2 ** 15 - 1, rule: { kind: "sum" } },
    });
    expect(Array.from(model.params)).to.deep.equal(Array.from(pooled.model.params));
    const forest = deriveForest({ spec: SPEC, counts: Int32Array.from(toFloatParams(model)) });
    expect(forest.roots.every((root) => root.kind === "split")).to.equal(true);
    const probs = predictForest({ forest, data: ruleData(50, 99) });
    expect(probs).to.have.length(100);
  });
});
