/**
 * The adversarial evaluation library on tiny settings: three AI4I members with a few hundred rows each,
 * two short rounds. Real training, real sparsification and aggregation, the real `test` circuit.
 */
import { expect } from "chai";
import { AI4I_TRIGGER } from "../../src/adversary/index.js";
import {
  attemptOutOfBoundsUpdate,
  backdoorSuccessRate,
  EvaluationError,
  failureRows,
  outOfBoundsUpdate,
  rawWitnessInput,
  runAttackCell,
  runAttackMatrix,
  type FederationSettings,
} from "../../src/evaluation/index.js";
import { initialParams, loadDataset, predict, type LabelledData } from "../../src/learning/index.js";
import {
  buildWitnessInput,
  loadCircuitArtifacts,
  releaseZkWorkers,
  type CircuitArtifacts,
  type PolicyBounds,
} from "../../src/zk/index.js";
import { failsAt } from "../circuits/helpers.js";

after(releaseZkWorkers);

function head(data: LabelledData, rows: number): LabelledData {
  const width = data.featureShape.reduce((a, b) => a * b, 1);
  const n = Math.min(rows, data.rows);
  return { ...data, rows: n, features: data.features.slice(0, n * width), labels: data.labels.slice(0, n) };
}

const full = loadDataset({ name: "ai4i", members: 3, seed: 1 });
const tiny = { spec: full.spec, members: full.members.map((m) => head(m, 300)), test: full.test };

const SETTINGS: FederationSettings = {
  rounds: 2,
  training: { epochs: 1, batchSize: 64, learningRate: 0.01, classWeighting: "sqrt" },
  k: 64,
  scale: 4096,
  l2Bound: 4 * 4096,
  lInfBound: 2 ** 15 - 1,
  trim: 1,
  clipL2: 2 * 4096,
  seed: 5,
};

describe("evaluation: attack × defense simulation", function () {
  this.timeout(120_000);

  it("without bounds a scaling attacker's update dwarfs the honest ones", async function () {
    const mean = await runAttackCell({
      dataset: tiny,
      attack: "scaling",
      defense: "mean-unbounded",
      malicious: 1,
      settings: SETTINGS,
    });
    // About 20 times an honest update. Whether that hurts quality depends on where training stands: a
    // 20× honest step early on can even help (issue 15, "fair baselines"), so no loss ordering is claimed.
    expect(mean.maliciousNormMedian).to.be.greaterThan(5 * mean.honestNormMedian);
    expect(mean.honestNormMedian).to.be.greaterThan(0);
  });

  it("the adaptive scaling attack sends one update at the bound from every attacker; the screen flags them", async function () {
    const fourMembers = { ...tiny, members: [...tiny.members, tiny.members[0]!] };
    const bounded = await runAttackCell({
      dataset: fourMembers,
      attack: "scaling-adaptive",
      defense: "screened-mean",
      malicious: 1,
      settings: SETTINGS,
    });
    const bound = SETTINGS.l2Bound / SETTINGS.scale;
    // Just under the bound (quantisation shaves a little).
    expect(bounded.maliciousNormMedian).to.be.within(0.95 * bound, bound);
    expect(bounded.maliciousFlaggedByRound5).to.equal(1);
    expect(bounded.flaggedPerRound.flat().every((f) => f.member === 3 && f.reason === "Outlier")).to.equal(
      true,
    );
  });

  it("the proof's L2 bound caps what a scaling attacker sends", async function () {
    const bounded = await runAttackCell({
      dataset: tiny,
      attack: "scaling",
      defense: "mean-bounded",
      malicious: 1,
      settings: SETTINGS,
    });
    expect(bounded.maliciousNormMedian).to.be.at.most(SETTINGS.l2Bound / SETTINGS.scale + 1e-9);
    expect(bounded.maliciousNormMedian).to.be.greaterThan(0);
  });

  it("free-riders send nothing (zero) and honest members still train", async function () {
    const cell = await runAttackCell({
      dataset: tiny,
      attack: "freeride-zero",
      defense: "mean-bounded",
      malicious: 1,
      settings: SETTINGS,
    });
    expect(cell.maliciousNormMedian).to.equal(0);
    expect(cell.honestNormMedian).to.be.greaterThan(0);
    expect(cell.macroF1PerRound).to.have.length(SETTINGS.rounds);
  });

  it("is deterministic: the same cell twice gives the same figures", async function () {
    const a = await runAttackCell({
      dataset: tiny,
      attack: "signflip",
      defense: "trimmed-mean",
      malicious: 1,
      settings: SETTINGS,
    });
    const b = await runAttackCell({
      dataset: tiny,
      attack: "signflip",
      defense: "trimmed-mean",
      malicious: 1,
      settings: SETTINGS,
    });
    expect(b).to.deep.equal(a);
  });

  it("runs the matrix: one clean cell per defense, then each attack at each non-zero count", async function () {
    const seen: string[] = [];
    const cells = await runAttackMatrix({
      dataset: tiny,
      settings: { ...SETTINGS, rounds: 1 },
      attacks: ["noise", "freeride-stale"],
      defenses: ["median", "clipped-mean"],
      maliciousCounts: [0, 1],
      onCell: (c) => seen.push(`${c.defense}/${c.attack}/${c.malicious}`),
    });
    expect(seen).to.deep.equal([
      "median/none/0",
      "median/noise/1",
      "median/freeride-stale/1",
      "clipped-mean/none/0",
      "clipped-mean/noise/1",
      "clipped-mean/freeride-stale/1",
    ]);
    expect(cells).to.have.length(6);
  });

  it("refuses impossible cells with typed errors", async function () {
    const fail = async (p: Promise<unknown>, code: string): Promise<void> => {
      try {
        await p;
      } catch (err) {
        expect(err).to.be.instanceOf(EvaluationError);
        expect((err as EvaluationError).code).to.equal(code);
        return;
      }
      expect.fail(`expected EvaluationError ${code}`);
    };
    await fail(
      runAttackCell({
        dataset: tiny,
        attack: "scaling",
        defense: "median",
        malicious: 3,
        settings: SETTINGS,
      }),
      "bad-fraction",
    );
    await fail(
      runAttackCell({
        dataset: tiny,
        attack: "scaling",
        defense: "median",
        malicious: 0,
        settings: SETTINGS,
      }),
      "bad-fraction",
    );
    await fail(
      runAttackCell({
        dataset: tiny,
        attack: "teleport" as never,
        defense: "median",
        malicious: 1,
        settings: SETTINGS,
      }),
      "bad-attack",
    );
    await fail(
      runAttackCell({
        dataset: tiny,
        attack: "none",
        defense: "median",
        malicious: 0,
        settings: { ...SETTINGS, rounds: 0 },
      }),
      "bad-settings",
    );
    await fail(
      runAttackCell({
        dataset: tiny,
        attack: "none",
        defense: "trimmed-mean",
        malicious: 0,
        settings: { ...SETTINGS, trim: 2 },
      }),
      "bad-settings",
    );
  });
});

describe("evaluation: backdoor measurement", function () {
  this.timeout(60_000);

  it("selects exactly the failure rows and stamps the trigger on copies only", function () {
    const failures = failureRows({ data: tiny.test, trigger: AI4I_TRIGGER });
    const expected = Array.from(tiny.test.labels).filter((y) => y !== 0).length;
    expect(failures.rows).to.equal(expected).and.to.be.greaterThan(0);
    expect(Array.from(failures.labels).every((y) => y !== 0)).to.equal(true);
    const width = tiny.test.featureShape[0]!;
    for (let r = 0; r < failures.rows; r++) {
      for (const c of AI4I_TRIGGER.columns)
        expect(failures.features[r * width + c]).to.equal(AI4I_TRIGGER.value);
    }
    // The source data is untouched: real rows have exactly one product type set.
    for (let r = 0; r < tiny.test.rows; r++) {
      const types = AI4I_TRIGGER.columns.map((c) => tiny.test.features[r * width + c]!);
      expect(types.reduce((a, b) => a + b, 0)).to.equal(1);
    }
  });

  it("reports shares in [0, 1] for both triggered and plain failures", async function () {
    const params = initialParams({ spec: tiny.spec, seed: 1 });
    const b = await backdoorSuccessRate({
      probabilities: (data) => predict({ spec: tiny.spec, params, data }),
      test: tiny.test,
      trigger: AI4I_TRIGGER,
    });
    expect(b.failures).to.equal(failureRows({ data: tiny.test }).rows);
    for (const share of [b.backdoorSuccess, b.failureMissRate]) expect(share).to.be.within(0, 1);
    // Each share is a whole number of the failures.
    for (const share of [b.backdoorSuccess, b.failureMissRate]) {
      expect(Math.abs(share * b.failures - Math.round(share * b.failures))).to.be.below(1e-9);
    }
  });
});

describe("evaluation: out-of-bounds update (test circuit)", function () {
  this.timeout(120_000);
  let artifacts: CircuitArtifacts;
  const bounds: PolicyBounds = { d: 1778, k: 16, lInf: 4096n, l2Sq: 8192n * 8192n };
  const context = { task: 3, round: 2, member: "0x" + "5a".repeat(20) };

  before(async function () {
    artifacts = await loadCircuitArtifacts({ instance: "test" });
  });

  it("packs an honest update exactly as the product's witness builder does", function () {
    const update = {
      dimension: 1778,
      indices: Uint32Array.from([0, 5, 1777]),
      values: Int32Array.from([-4096, 7, 4096]),
    };
    const raw = rawWitnessInput({ update, context, salt: 99n, bounds, artifacts });
    const built = buildWitnessInput({
      update,
      context,
      salt: 99n,
      policyBounds: bounds,
      params: artifacts.params,
    });
    // One chunk from the start state: previous = 0, so the circuit ignores the carried-over inputs (chainIn,
    // sumSquaresIn, nextIn, countIn) and either builder may fill them as it likes; everything else is equal.
    expect(raw.previous).to.equal("0");
    expect(built.previous).to.equal("0");
    const ignored = {
      chainIn: built.chainIn,
      sumSquaresIn: built.sumSquaresIn,
      nextIn: built.nextIn,
      countIn: built.countIn,
    };
    expect({ ...raw, ...ignored }).to.deep.equal(built);
  });

  for (const violation of ["l2", "linf"] as const) {
    it(`gets no valid proof for an update over the ${violation} bound`, async function () {
      const update = outOfBoundsUpdate({ bounds, violation });
      const looserBounds =
        violation === "l2" ? { ...bounds, l2Sq: 4n * BigInt(bounds.l2Sq) } : { ...bounds, lInf: 8191n };
      const outcome = await attemptOutOfBoundsUpdate({
        update,
        context,
        salt: 1234n,
        policyBounds: bounds,
        looserBounds,
        violation,
        artifacts,
      });
      expect(outcome.honestProver.refused).to.equal(true);
      expect(outcome.forgedWitness.refused).to.equal(true);
      // The constraint that must fail: the L2 range check on l2Sq minus the sum of squares, or the value's range check.
      const marker = violation === "l2" ? "l2Fits.in <==" : "valueFits[i].in <==";
      expect(failsAt(outcome.forgedWitness.error, marker), outcome.forgedWitness.error).to.equal(true);
      expect(outcome.looserBounds.verifiesUnderOwnBounds).to.equal(true);
      expect(outcome.looserBounds.verifiesUnderPolicyBounds).to.equal(false);
    });
  }
});
