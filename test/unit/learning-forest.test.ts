/**
 * The histogram forest: its layout, the derivation of trees from counts, members' updates, and the property
 * that makes it federate without loss: the `sum` of members' counts is the pooled rows' counts, so the
 * model bytes do not depend on how rows are split between members.
 */
import { expect } from "chai";
import { computeRoundModel, screenRound } from "../../src/aggregation/index.js";
import {
  binOf,
  deriveForest,
  ForestError,
  forestDimension,
  forestIndex,
  FOREST_FILE_FORMAT,
  forestMemberUpdate,
  forestSpecHash,
  forestSpecOf,
  loadDataset,
  nextForestLevel,
  nodeFeatures,
  predictForest,
  rangesFromRows,
  selectRows,
  type ForestErrorCode,
  type HistogramForestSpec,
  type LabelledData,
} from "../../src/learning/index.js";
import { initialGlobalModel } from "../../src/model/index.js";
import {
  chooseThreshold,
  macroF1AtThreshold,
  ResearchError,
  simulatedMemberAddress,
  simulateForestFederation,
} from "../../src/research/index.js";
import { ruleData, ruleForestSpec } from "../support/forest-data.js";

const SPEC: HistogramForestSpec = ruleForestSpec({
  id: "rule-forest",
  trees: 4,
  depth: 4,
  bins: 10,
  seed: 11,
});

const POLICY = {
  maxNonZeros: 1 << 20,
  l2Bound: 2 ** 31 - 1,
  lInfBound: 2 ** 15 - 1,
  rule: { kind: "sum" as const },
};

function rowsOf(data: LabelledData, pick: (r: number) => boolean): LabelledData {
  const rows: number[] = [];
  for (let r = 0; r < data.rows; r++) if (pick(r)) rows.push(r);
  return selectRows({ data, rows: Uint32Array.from(rows) });
}

function codeOf(fn: () => unknown): ForestErrorCode | undefined {
  try {
    fn();
  } catch (error) {
    if (error instanceof ForestError) return error.code;
    throw error;
  }
  return undefined;
}

describe("histogram forest", function () {
  it("lays out one count per (tree, node, feature slot, bin, class), each index once", function () {
    const d = forestDimension(SPEC);
    expect(d).to.equal(4 * 15 * 2 * 10 * 2);
    const seen = new Set<number>();
    for (let t = 0; t < SPEC.trees; t++)
      for (let n = 0; n < 15; n++)
        for (let s = 0; s < 2; s++)
          for (let b = 0; b < 10; b++) for (let c = 0; c < 2; c++) seen.add(forestIndex(SPEC, t, n, s, b, c));
    expect(seen.size).to.equal(d);
    expect(Math.min(...seen)).to.equal(0);
    expect(Math.max(...seen)).to.equal(d - 1);
  });

  it("draws each node's features from the public seed alone: distinct, in range, the same every time", function () {
    const a = nodeFeatures(SPEC, 2, 5);
    expect(nodeFeatures(SPEC, 2, 5)).to.deep.equal(a);
    expect(new Set(a).size).to.equal(2);
    for (const f of a) expect(f).to.be.within(0, 2);
    const draws = new Set<string>();
    for (let n = 0; n < 15; n++) draws.add(nodeFeatures(SPEC, 0, n).join(","));
    expect(draws.size).to.be.greaterThan(1);
  });

  it("bins equal-width over the range and clamps values outside it to the end bins", function () {
    expect(binOf(SPEC, 0, 0)).to.equal(0);
    expect(binOf(SPEC, 0, 0.55)).to.equal(5);
    expect(binOf(SPEC, 0, 0.999)).to.equal(9);
    expect(binOf(SPEC, 0, -3)).to.equal(0);
    expect(binOf(SPEC, 0, 7)).to.equal(9);
  });

  it("learns an AND of two thresholds from federated counts and scores unseen rows", function () {
    const train = ruleData(3000, 1);
    const test = ruleData(1000, 2);
    const members = [0, 1, 2].map((m) => rowsOf(train, (r) => r % 3 === m));
    const run = simulateForestFederation({
      spec: SPEC,
      members,
      evaluation: test,
      rounds: SPEC.depth,
      policy: POLICY,
    });
    expect(run.final.macroF1).to.be.greaterThan(0.95);
    expect(run.forest.roots.every((root) => root.kind === "split")).to.equal(true);
  });

  it("gives the same model bytes however the rows are split between members, and only with the sum", function () {
    const train = ruleData(1200, 3);
    const test = ruleData(300, 4);
    const byParity = [0, 1].map((m) => rowsOf(train, (r) => r % 2 === m));
    // A skewed split: one member holds almost every positive row.
    const skewed = [
      rowsOf(train, (r) => train.labels[r] === 1 || r < 100),
      rowsOf(train, (r) => train.labels[r] === 0 && r >= 100),
    ];
    const hash = (members: readonly LabelledData[], rule: { kind: "sum" } | { kind: "mean" }) =>
      simulateForestFederation({
        spec: SPEC,
        members,
        evaluation: test,
        rounds: 4,
        policy: { ...POLICY, rule },
      }).history.map((h) => h.modelHash);
    const pooled = hash([train], { kind: "sum" });
    expect(hash(byParity, { kind: "sum" })).to.deep.equal(pooled);
    expect(hash(skewed, { kind: "sum" })).to.deep.equal(pooled);
    // The mean divides every count by the number of members and rounds: the statistics are no longer the pooled ones.
    expect(hash(byParity, { kind: "mean" })).to.not.deep.equal(pooled);
  });

  it("splits AI4I by product type and IID into the same model, close to a random forest's macro-F1", function () {
    this.timeout(60_000);
    const byType = loadDataset({ name: "ai4i", members: 4, seed: 1 });
    const iid = loadDataset({
      name: "ai4i",
      members: 4,
      seed: 1,
      partition: { kind: "dirichlet", alpha: 1000 },
    });
    const spec: HistogramForestSpec = {
      ...SPEC,
      id: "ai4i-small",
      features: 10,
      trees: 4,
      depth: 6,
      featuresPerNode: 3,
      bins: 32,
      ranges: rangesFromRows(byType.train),
      classWeights: [1, 3],
    };
    const a = simulateForestFederation({
      spec,
      members: byType.members,
      evaluation: byType.test,
      rounds: 6,
      policy: POLICY,
    });
    const b = simulateForestFederation({
      spec,
      members: iid.members,
      evaluation: iid.test,
      rounds: 6,
      policy: POLICY,
    });
    expect(a.history.map((h) => h.modelHash)).to.deep.equal(b.history.map((h) => h.modelHash));
    // Four shallow trees already beat the neural path's federated figures (≈ 0.73–0.79).
    expect(a.final.macroF1).to.be.greaterThan(0.8);
  });

  it("a member's update counts its rows at the open nodes of the level being grown, and nothing past the depth", function () {
    const data = ruleData(500, 5);
    const empty = new Int32Array(forestDimension(SPEC));
    const roots = forestMemberUpdate({ forest: deriveForest({ spec: SPEC, counts: empty }), data, level: 0 });
    // Level 0: every row counted once per tree and feature slot.
    expect(Array.from(roots.values).reduce((a, b) => a + b, 0)).to.equal(
      500 * SPEC.trees * SPEC.featuresPerNode,
    );
    for (let i = 1; i < roots.indices.length; i++)
      expect(roots.indices[i]!).to.be.greaterThan(roots.indices[i - 1]!);
    // Once the roots hold counts, level 0 sends nothing more (a round replayed cannot count twice).
    const model = computeRoundModel({
      previous: initialGlobalModel({ task: 1, dimension: forestDimension(SPEC), scale: 1 }),
      updates: [{ member: simulatedMemberAddress({ member: 0 }), update: roots }],
      rule: { kind: "sum" },
      round: 1,
    }).model;
    const grown = deriveForest({ spec: SPEC, counts: model.params });
    expect(forestMemberUpdate({ forest: grown, data, level: 0 }).indices.length).to.equal(0);
    const level1 = forestMemberUpdate({ forest: grown, data, level: 1 });
    expect(level1.indices.length).to.be.greaterThan(0);
    expect(forestMemberUpdate({ forest: grown, data, level: SPEC.depth }).indices.length).to.equal(0);
  });

  it("grows the level the model has reached, not the round's number: a round that changes nothing grows it again", function () {
    const train = ruleData(400, 12);
    const members = [rowsOf(train, (r) => r % 2 === 0), rowsOf(train, (r) => r % 2 === 1)];
    let model = initialGlobalModel({ task: 1, dimension: forestDimension(SPEC), scale: 1 });
    for (let round = 1; round <= SPEC.depth + 1; round++) {
      const forest = deriveForest({ spec: SPEC, counts: model.params });
      const level = nextForestLevel({ forest, counts: model.params });
      // Along honest rounds the model's level is the round's; past the depth there is nothing to grow.
      expect(level).to.equal(Math.min(round - 1, SPEC.depth));
      const updates = members.map((data, m) => ({
        member: simulatedMemberAddress({ member: m }),
        update: forestMemberUpdate({ forest, data, level }),
      }));
      // An abandoned round leaves the model as it was: the next one grows the same level.
      const again = deriveForest({ spec: SPEC, counts: model.params });
      expect(nextForestLevel({ forest: again, counts: model.params })).to.equal(level);
      model = computeRoundModel({ previous: model, updates, rule: { kind: "sum" }, round }).model;
    }
    const grown = deriveForest({ spec: SPEC, counts: model.params });
    expect(nextForestLevel({ forest: grown, counts: model.params })).to.equal(SPEC.depth);
  });

  it("a count planted where no split leads cannot make members skip a level", function () {
    const counts = new Int32Array(forestDimension(SPEC));
    // One hostile member writes a count into the deepest level of tree 0 before anything is grown.
    counts[forestIndex(SPEC, 0, 2 ** (SPEC.depth - 1) - 1, 0, 0, 0)] = 7;
    expect(nextForestLevel({ forest: deriveForest({ spec: SPEC, counts }), counts })).to.equal(0);
    expect(
      codeOf(() =>
        nextForestLevel({ forest: deriveForest({ spec: SPEC, counts }), counts: new Int32Array(3) }),
      ),
    ).to.equal("bad-counts");
  });

  it("pins a spec by the hash of its canonical file: the same spec the same hash, any change another", function () {
    const hash = forestSpecHash(SPEC);
    expect(forestSpecHash({ ...SPEC })).to.equal(hash);
    for (const changed of [
      { seed: 12 },
      { bins: 11 },
      { classWeights: [1, 3] },
      {
        ranges: [
          [0, 1],
          [0, 1],
          [0, 2],
        ],
      },
    ])
      expect(forestSpecHash({ ...SPEC, ...changed } as HistogramForestSpec)).to.not.equal(hash);
    // A file read back: extra keys are not part of the spec (they would change the hash a task pins).
    const read = forestSpecOf({
      json: { format: FOREST_FILE_FORMAT, forest: { ...SPEC, note: "x" } },
      source: "f.json",
    });
    expect(forestSpecHash(read)).to.equal(hash);
    expect(read).to.deep.equal(SPEC);
    expect(
      codeOf(() => forestSpecOf({ json: { format: "layers-model", forest: SPEC }, source: "f.json" })),
    ).to.equal("bad-spec");
    expect(
      codeOf(() =>
        forestSpecOf({
          json: { format: FOREST_FILE_FORMAT, forest: { ...SPEC, ranges: [[0, 1]] } },
          source: "f.json",
        }),
      ),
    ).to.equal("bad-spec");
    expect(
      codeOf(() =>
        forestSpecOf({
          json: { format: FOREST_FILE_FORMAT, forest: { ...SPEC, trees: 0 } },
          source: "f.json",
        }),
      ),
    ).to.equal("bad-spec");
    expect(codeOf(() => forestSpecOf({ json: null, source: "f.json" }))).to.equal("bad-spec");
  });

  it("the supported sum's screen never flags honest counts, and flags every kind of free rider, each round", function () {
    const train = ruleData(600, 31);
    const members = [0, 1, 2, 3, 4, 5].map((k) => rowsOf(train, (r) => r % 6 === k));
    const support = {
      members: 3,
      slots: SPEC.featuresPerNode,
      bins: SPEC.bins,
      classes: SPEC.classes,
    };
    const policy = { ...POLICY, rule: { kind: "sum" as const, support } };
    const honest = simulateForestFederation({
      spec: SPEC,
      members,
      evaluation: train,
      rounds: SPEC.depth + 1,
      policy,
    });
    expect(honest.history.flatMap((h) => h.flagged)).to.deep.equal([]);
    const riders = simulateForestFederation({
      spec: SPEC,
      members,
      evaluation: train,
      rounds: SPEC.depth,
      policy,
      freeRiders: [undefined, undefined, undefined, "freeride-zero", "noise", "freeride-stale"],
    });
    // Round 1 grows the roots, which every row reaches: all three are flagged. Deeper, an empty update is
    // not judged (an honest member's rows may all sit in closed nodes); random counts and a recount are.
    riders.history.forEach((h, i) =>
      expect(h.flagged.map((f) => [f.member, f.reason])).to.deep.equal(
        i === 0
          ? [
              [3, "FreeRider"],
              [4, "FreeRider"],
              [5, "FreeRider"],
            ]
          : [
              [4, "FreeRider"],
              [5, "FreeRider"],
            ],
      ),
    );
    // Why, in the published detail: nothing sent, no rows' counts, a grown node counted again.
    expect(riders.history[0]!.flagged[0]!.detail).to.equal(
      "sent no counts for the roots while 4 members did",
    );
    const details = riders.history[1]!.flagged.map((f) => f.detail);
    expect(details[0]).to.match(/class \d totals .* in histogram 0, .* in histogram \d$/);
    expect(details[1]).to.match(/^counts node \d+ again, which the base model already holds$/);
    // The forest the honest members grow is the one they grow alone.
    const alone = simulateForestFederation({
      spec: SPEC,
      members: members.slice(0, 3),
      evaluation: train,
      rounds: SPEC.depth,
      policy,
    });
    expect(riders.model.params).to.deep.equal(alone.model.params);
  });

  it("a level grown again after a member missed a round is counted only where nodes hold no counts: nobody honest is flagged", function () {
    const train = ruleData(400, 32);
    const rule = {
      kind: "sum" as const,
      support: { members: 2, slots: SPEC.featuresPerNode, bins: SPEC.bins, classes: SPEC.classes },
    };
    const dimension = forestDimension(SPEC);
    let model = initialGlobalModel({ task: 1, dimension, scale: 1 });
    let members = [0, 1, 2].map((k) => rowsOf(train, (r) => r % 3 === k));
    const levels: number[] = [];
    for (let round = 1; round <= 4; round++) {
      const forest = deriveForest({ spec: SPEC, counts: model.params });
      if (round === 2) {
        // From here member 2 holds exactly the rows tree 0's root sends right, and it misses round 2: that
        // child stays ungrown, so round 3 grows level 1 again, where the others' nodes already hold counts.
        // A root split with a child still open (two classes, enough rows): member 2 gets that child's rows.
        const open = (c: readonly number[]) =>
          c.filter((n) => n > 0).length >= 2 && c.reduce((a, b) => a + b, 0) >= SPEC.minSplitRows;
        const found = forest.roots.find(
          (root) => root.kind === "split" && (open(root.left.counts) || open(root.right.counts)),
        );
        if (found === undefined || found.kind !== "split")
          throw new Error("no root split with an open child");
        const goesRight = open(found.right.counts);
        const child = (r: number) =>
          binOf(SPEC, found.feature, train.features[3 * r + found.feature]!) > found.bin === goesRight;
        members = [
          rowsOf(train, (r) => !child(r) && r % 2 === 0),
          rowsOf(train, (r) => !child(r) && r % 2 === 1),
          rowsOf(train, child),
        ];
      }
      const level = nextForestLevel({ forest, counts: model.params });
      levels.push(level);
      const updates = members
        .map((data, m) => ({ m, data }))
        .filter(({ m }) => !(round === 2 && m === 2))
        .map(({ m, data }) => ({
          member: simulatedMemberAddress({ member: m }),
          update: forestMemberUpdate({ forest, data, level, counts: model.params }),
        }));
      const screened = screenRound({ updates, rule, dimension, previous: model.params });
      expect(screened.flagged, `round ${round}`).to.deep.equal([]);
      model = computeRoundModel({ previous: model, updates: screened.kept, rule, round }).model;
    }
    expect(levels.slice(0, 3)).to.deep.equal([0, 1, 1]);
  });

  it("reads negative counts (a member may send them within the bounds) as zero rows", function () {
    const counts = new Int32Array(forestDimension(SPEC));
    // Tree 0's root: feature slot 0 holds 5 rows of class 0 in bin 1 and -40 of class 1 in bin 8.
    counts[forestIndex(SPEC, 0, 0, 0, 1, 0)] = 5;
    counts[forestIndex(SPEC, 0, 0, 0, 8, 1)] = -40;
    const forest = deriveForest({ spec: SPEC, counts });
    const root = forest.roots[0]!;
    expect(root.kind).to.equal("leaf");
    expect(root.counts).to.deep.equal([5, 0]);
    const probs = predictForest({ forest, data: ruleData(3, 9) });
    for (const p of probs) expect(p).to.be.within(0, 1);
  });

  it("leaves out an update above the proof's L∞ bound, as the chain would refuse its commit", function () {
    const train = ruleData(400, 6);
    const run = simulateForestFederation({
      spec: SPEC,
      members: [rowsOf(train, (r) => r < 300), rowsOf(train, (r) => r >= 300)],
      evaluation: train,
      rounds: 1,
      policy: { ...POLICY, lInfBound: 20 },
    });
    // 300 uniform rows over 10 bins put about 26 class-0 rows in a bin; 100 rows about 9.
    expect(run.history[0]!.sent.map((s) => s.included)).to.deep.equal([false, true]);
  });

  it("refuses bad specs, counts and data with a code", function () {
    expect(codeOf(() => deriveForest({ spec: { ...SPEC, bins: 1 }, counts: new Int32Array(1) }))).to.equal(
      "bad-spec",
    );
    expect(
      codeOf(() => deriveForest({ spec: { ...SPEC, featuresPerNode: 4 }, counts: new Int32Array(1) })),
    ).to.equal("bad-spec");
    expect(
      codeOf(() => deriveForest({ spec: { ...SPEC, ranges: [[0, 1]] }, counts: new Int32Array(1) })),
    ).to.equal("bad-spec");
    expect(
      codeOf(() => deriveForest({ spec: { ...SPEC, classWeights: [1, 0] }, counts: new Int32Array(1) })),
    ).to.equal("bad-spec");
    expect(codeOf(() => deriveForest({ spec: SPEC, counts: new Int32Array(3) }))).to.equal("bad-counts");
    const forest = deriveForest({ spec: SPEC, counts: new Int32Array(forestDimension(SPEC)) });
    const wide: LabelledData = {
      features: new Float32Array(4),
      labels: new Uint8Array(1),
      rows: 1,
      featureShape: [4],
      classes: 2,
    };
    expect(codeOf(() => predictForest({ forest, data: wide }))).to.equal("bad-data");
    const nan: LabelledData = {
      features: Float32Array.from([0, NaN, 0]),
      labels: new Uint8Array(1),
      rows: 1,
      featureShape: [3],
      classes: 2,
    };
    expect(
      codeOf(() =>
        forestMemberUpdate({
          forest: deriveForest({ spec: SPEC, counts: new Int32Array(forestDimension(SPEC)) }),
          data: nan,
          level: 0,
        }),
      ),
    ).to.equal("bad-data");
    expect(codeOf(() => forestMemberUpdate({ forest, data: ruleData(3, 1), level: -1 }))).to.equal(
      "bad-level",
    );
    expect(codeOf(() => forestMemberUpdate({ forest, data: ruleData(3, 1), level: 0.5 }))).to.equal(
      "bad-level",
    );
    expect(() =>
      simulateForestFederation({ spec: SPEC, members: [], evaluation: nan, rounds: 1, policy: POLICY }),
    ).to.throw(ResearchError);
  });

  it("chooses a decision threshold on validation rows and scores it", function () {
    // Three rows: scores 0.2 (class 0), 0.3 (class 1), 0.9 (class 1): a threshold at or below 0.3 is perfect.
    const data: LabelledData = {
      features: new Float32Array(3),
      labels: Uint8Array.from([0, 1, 1]),
      rows: 3,
      featureShape: [1],
      classes: 2,
    };
    const probs = Float32Array.from([0.8, 0.2, 0.7, 0.3, 0.1, 0.9]);
    const best = chooseThreshold({ probs, data });
    expect(best.macroF1).to.equal(1);
    expect(best.threshold).to.be.within(0.2 + 1e-9, 0.3);
    expect(macroF1AtThreshold({ probs, data, threshold: 0.5 })).to.be.lessThan(1);
  });
});
