/**
 * The federation simulation is the product's round: members' updates built as the member role builds
 * them, aggregated by `computeRoundModel` under the deployed integer rule, applied in fixed point.
 */
import { expect } from "chai";
import { computeRoundModel, type MemberUpdate } from "../../src/aggregation/index.js";
import {
  AI4I_MODEL_SPEC,
  initialParams,
  loadDataset,
  trainLocal,
  type LabelledData,
} from "../../src/learning/index.js";
import { initialGlobalModel, toFloatParams, type GlobalModel } from "../../src/model/index.js";
import {
  holdOutValidation,
  memberTrainingSeed,
  ResearchError,
  simulatedMemberAddress,
  simulateFederation,
  trainCentralised,
  type FederationPolicy,
  type RoundDetail,
  type RoundRecord,
  type SimulateFederationParams,
} from "../../src/research/index.js";
import { sparsifyUpdate, type SparseUpdate } from "../../src/sparse/index.js";

function head(data: LabelledData, rows: number): LabelledData {
  const width = data.featureShape.reduce((a, b) => a * b, 1);
  const n = Math.min(rows, data.rows);
  return { ...data, rows: n, features: data.features.slice(0, n * width), labels: data.labels.slice(0, n) };
}

const full = loadDataset({ name: "ai4i", members: 3, seed: 1 });
const members = full.members.map((m) => head(m, 250));
const evaluation = head(full.test, 400);
const POLICY: FederationPolicy = {
  training: { epochs: 1, batchSize: 64, learningRate: 0.01 },
  maxNonZeros: 32,
  scale: 1024,
  l2Bound: 4 * 1024,
  lInfBound: 1024,
  rule: { kind: "mean" },
};
const COMMON: SimulateFederationParams = {
  spec: AI4I_MODEL_SPEC,
  members,
  evaluation,
  rounds: 2,
  policy: POLICY,
  seed: 4,
};

describe("research: federation simulation", function () {
  this.timeout(300_000);

  it("each round is computeRoundModel over the updates the member role would build (bit for bit)", async function () {
    const simulated: RoundRecord[] = [];
    const result = await simulateFederation({ ...COMMON, onRound: (record) => simulated.push(record) });

    // The same two rounds, written out from the product's parts: the initial model in fixed point, members
    // training on its real parameters, `sparsifyUpdate` with the policy's k and bounds (as
    // `commitMemberUpdate` calls it), `computeRoundModel` under the policy's rule.
    const d = initialParams({ spec: AI4I_MODEL_SPEC, seed: 4 }).length;
    let model: GlobalModel = initialGlobalModel({
      task: 1,
      dimension: d,
      scale: POLICY.scale,
      params: initialParams({ spec: AI4I_MODEL_SPEC, seed: 4 }),
    });
    const residuals: (Float32Array | undefined)[] = members.map(() => undefined);
    for (let round = 1; round <= 2; round++) {
      const updates: MemberUpdate[] = [];
      for (const [m, data] of members.entries()) {
        const { delta } = await trainLocal({
          spec: AI4I_MODEL_SPEC,
          globalParams: toFloatParams(model),
          data,
          policy: POLICY.training,
          seed: memberTrainingSeed({ seed: 4, round, member: m }),
        });
        const sparse = sparsifyUpdate({
          delta,
          residual: residuals[m],
          policy: {
            k: POLICY.maxNonZeros,
            scale: POLICY.scale,
            l2Bound: POLICY.l2Bound,
            lInfBound: POLICY.lInfBound,
          },
        });
        residuals[m] = sparse.residual;
        updates.push({ member: simulatedMemberAddress({ member: m }), update: sparse.update });
      }
      const replayed = computeRoundModel({ previous: model, updates, rule: POLICY.rule, round });
      expect(simulated[round - 1]!.modelHash).to.equal(replayed.hash);
      model = replayed.model;
    }
    expect(Array.from(result.model.params)).to.deep.equal(Array.from(model.params));
    expect(Array.from(result.params)).to.deep.equal(Array.from(toFloatParams(model)));
  });

  it("is a pure function of its seeds", async function () {
    const hashes = async (seed: number): Promise<string[]> =>
      (await simulateFederation({ ...COMMON, seed })).history.map((r) => r.modelHash);
    const a = await simulateFederation(COMMON);
    const b = await simulateFederation(COMMON);
    expect(b.history.map((r) => r.modelHash)).to.deep.equal(a.history.map((r) => r.modelHash));
    expect(b.history.map((r) => r.evaluation)).to.deep.equal(a.history.map((r) => r.evaluation));
    expect(b.bytesPerMemberPerRound).to.equal(a.bytesPerMemberPerRound);
    const other = await hashes(5);
    expect(other[0]).to.not.equal(a.history[0]!.modelHash);
  });

  it("sends at most k entries within the bounds, and counts wire bytes with and without the header", async function () {
    const result = await simulateFederation({ ...COMMON, rounds: 1 });
    const [record] = result.history;
    expect(record!.sent).to.have.length(3);
    for (const s of record!.sent) {
      expect(s.included).to.equal(true);
      expect(s.entries).to.be.greaterThan(0).and.at.most(POLICY.maxNonZeros);
      expect(s.norm).to.be.at.most(POLICY.l2Bound / POLICY.scale + 1e-9);
      expect(s.payloadBytes).to.be.greaterThan(0).and.lessThan(s.wireBytes);
    }
    expect(result.bytesPerMemberPerRound).to.be.lessThan((4 * 1778) / 20);
    // The mean of three k-sparse updates touches at most 3k coordinates of the model.
    const initial = initialGlobalModel({
      task: 1,
      dimension: 1778,
      scale: POLICY.scale,
      params: initialParams({ spec: AI4I_MODEL_SPEC, seed: 4 }),
    });
    const changed = result.model.params.filter((v, i) => v !== initial.params[i]).length;
    expect(changed)
      .to.be.greaterThan(0)
      .and.at.most(3 * POLICY.maxNonZeros);
  });

  it("leaves out an update that breaks the bounds (no valid proof), as the chain would refuse its commit", async function () {
    const inflate = (update: SparseUpdate): SparseUpdate => ({
      ...update,
      values: update.values.map((v) => (v === 0 ? 0 : Math.sign(v) * (POLICY.lInfBound + 1))),
    });
    const rounds: { record: RoundRecord; detail: RoundDetail }[] = [];
    await simulateFederation({
      ...COMMON,
      rounds: 1,
      behaviours: [undefined, undefined, { transformUpdate: inflate }],
      onRound: (record, detail) => rounds.push({ record, detail }),
    });
    const [{ record, detail }] = rounds as [{ record: RoundRecord; detail: RoundDetail }];
    expect(record.sent.map((s) => s.included)).to.deep.equal([true, true, false]);
    expect(detail.updates.map((u) => u.member)).to.deep.equal(
      [0, 1].map((member) => simulatedMemberAddress({ member })),
    );
    const replayed = computeRoundModel({
      previous: detail.previous,
      updates: detail.updates,
      rule: POLICY.rule,
      round: 1,
    });
    expect(replayed.hash).to.equal(record.modelHash);
  });

  it("lets a member skip training and send a transformed delta (a free-rider)", async function () {
    const seen: number[] = [];
    const result = await simulateFederation({
      ...COMMON,
      behaviours: [
        undefined,
        undefined,
        {
          trains: false,
          transformDelta: ({ delta, round, lastGlobalChange }) => {
            seen.push(round, delta.every((v) => v === 0) ? 0 : 1);
            return lastGlobalChange;
          },
        },
      ],
    });
    // Round 1: nothing changed yet, so the free-rider sends nothing; round 2: the last global change.
    expect(seen).to.deep.equal([1, 0, 2, 0]);
    expect(result.history[0]!.sent[2]!.entries).to.equal(0);
    expect(result.history[1]!.sent[2]!.entries).to.be.greaterThan(0);
  });

  it("refuses impossible simulations with typed errors before training", async function () {
    const code = async (params: SimulateFederationParams): Promise<string> => {
      try {
        await simulateFederation(params);
      } catch (err) {
        expect(err).to.be.instanceOf(ResearchError);
        return (err as ResearchError).code;
      }
      return "no error";
    };
    expect(await code({ ...COMMON, members: [] })).to.equal("no-members");
    expect(await code({ ...COMMON, members: Array.from({ length: 101 }, () => members[0]!) })).to.equal(
      "too-many-members",
    );
    expect(await code({ ...COMMON, rounds: 0 })).to.equal("bad-rounds");
    expect(await code({ ...COMMON, seed: -1 })).to.equal("bad-seed");
    expect(await code({ ...COMMON, policy: { ...POLICY, maxNonZeros: 0 } })).to.equal("bad-policy");
    expect(await code({ ...COMMON, policy: { ...POLICY, scale: 0 } })).to.equal("bad-policy");
    expect(
      await code({ ...COMMON, policy: { ...POLICY, rule: { kind: "trimmed-mean", trim: -1 } } }),
    ).to.equal("bad-policy");
    expect(await code({ ...COMMON, behaviours: [undefined, undefined, undefined, undefined] })).to.equal(
      "bad-behaviours",
    );
  });

  it("trains the centralised baseline in float32 from the same start", async function () {
    const train = head(full.train, 300);
    const run = await trainCentralised({
      spec: AI4I_MODEL_SPEC,
      train,
      evaluation,
      rounds: 1,
      training: POLICY.training,
      seed: 4,
    });
    const start = initialParams({ spec: AI4I_MODEL_SPEC, seed: 4 });
    const { delta } = await trainLocal({
      spec: AI4I_MODEL_SPEC,
      globalParams: start,
      data: train,
      policy: POLICY.training,
      seed: memberTrainingSeed({ seed: 4, round: 1, member: 0 }),
    });
    expect(Array.from(run.params)).to.deep.equal(Array.from(start.map((v, i) => v + delta[i]!)));
    expect(run.history).to.have.length(1);
  });
});

describe("research: validation split", function () {
  it("holds out a stratified part of every member's own rows, deterministically", function () {
    const split = holdOutValidation({ members: full.members, fraction: 0.2, seed: 9 });
    expect(split.members).to.have.length(full.members.length);
    let held = 0;
    full.members.forEach((data, m) => {
      const kept = split.members[m]!;
      const failures = (d: LabelledData): number => Array.from(d.labels).filter((y) => y !== 0).length;
      const heldRows = data.rows - kept.rows;
      expect(heldRows).to.be.closeTo(0.2 * data.rows, 2);
      // Stratified: the held-out part has its share of the member's failures.
      expect(failures(data) - failures(kept)).to.be.closeTo(0.2 * failures(data), 1);
      held += heldRows;
    });
    expect(split.validation.rows).to.equal(held);
    const again = holdOutValidation({ members: full.members, fraction: 0.2, seed: 9 });
    expect(Array.from(again.validation.features)).to.deep.equal(Array.from(split.validation.features));
    expect(() => holdOutValidation({ members: full.members, fraction: 1, seed: 9 }))
      .to.throw(ResearchError)
      .with.property("code", "bad-split");
  });
});
