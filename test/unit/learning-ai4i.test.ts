import { expect } from "chai";
import fc from "fast-check";
import {
  AI4I_FEATURE_NAMES,
  Ai4iFormatError,
  ai4iFeatureRow,
  buildAi4iDataset,
  loadAi4i,
  parseAi4i,
  partitionByQualityType,
  partitionDirichlet,
  stratifiedSplit,
  type Ai4iRecord,
} from "../../src/learning/index.js";

const HEADER =
  "UDI,Product ID,Type,Air temperature [K],Process temperature [K],Rotational speed [rpm],Torque [Nm],Tool wear [min],Machine failure,TWF,HDF,PWF,OSF,RNF";

function expectFormatError(text: string, pattern: RegExp, line?: number): void {
  let caught: unknown;
  try {
    parseAi4i({ text });
  } catch (error) {
    caught = error;
  }
  expect(caught).to.be.instanceOf(Ai4iFormatError);
  expect((caught as Ai4iFormatError).code).to.equal("ai4i-format");
  expect((caught as Error).message).to.match(pattern);
  if (line !== undefined) expect((caught as Ai4iFormatError).line).to.equal(line);
}

/** Every index 0..n-1 exactly once across the parts. */
function expectExactCover(parts: readonly Uint32Array[], n: number): void {
  const seen = new Uint8Array(n);
  for (const part of parts) for (const i of part) seen[i] = (seen[i] as number) + 1;
  expect(Array.from(seen).every((count) => count === 1)).to.equal(true);
}

describe("AI4I 2020 loader", function () {
  let records: Ai4iRecord[];
  before(function () {
    records = loadAi4i();
  });

  it("reads the shipped file: 10,000 records, 339 failures, L/M/H counts and failure modes", function () {
    expect(records).to.have.length(10_000);
    expect(records.filter((r) => r.machineFailure === 1)).to.have.length(339);
    expect(records.filter((r) => r.type === "L")).to.have.length(6000);
    expect(records.filter((r) => r.type === "M")).to.have.length(2997);
    expect(records.filter((r) => r.type === "H")).to.have.length(1003);
    expect(records[0]).to.deep.include({
      udi: 1,
      productId: "M14860",
      type: "M",
      rotationalSpeedRpm: 1551,
      torqueNm: 42.8,
    });
    // Every failure-mode flag is kept; TWF is the tool-wear mode.
    expect(records.filter((r) => r.failureModes.TWF === 1).length).to.equal(46);
  });

  it("builds the documented features, including power and temperature gap", function () {
    const row = ai4iFeatureRow(records[0] as Ai4iRecord);
    expect(row).to.have.length(AI4I_FEATURE_NAMES.length);
    expect(row.slice(0, 3)).to.deep.equal([0, 1, 0]);
    expect(row[8]).to.be.closeTo((42.8 * 1551 * 2 * Math.PI) / 60, 1e-9);
    expect(row[9]).to.be.closeTo(308.6 - 298.1, 1e-9);
  });

  it("names the line of a malformed row", function () {
    const good = "1,M14860,M,298.1,308.6,1551,42.8,0,0,0,0,0,0,0";
    expectFormatError(
      `${HEADER}\n${good}\n2,L47181,L,298.2,308.7,1408,abc,3,0,0,0,0,0,0\n`,
      /line 3: column "Torque \[Nm\]" is not a number: "abc"/,
      3,
    );
    expectFormatError(
      `${HEADER}\n${good}\n2,L47181,X,298.2,308.7,1408,46.3,3,0,0,0,0,0,0\n`,
      /line 3: Type must be L, M or H/,
      3,
    );
    expectFormatError(
      `${HEADER}\n2,L47181,L,298.2,308.7,1408,46.3,3,0,0\n`,
      /line 2: expected 14 fields, got 10/,
      2,
    );
    expectFormatError(
      `${HEADER}\n2,L47181,L,298.2,308.7,1408,46.3,3,2,0,0,0,0,0\n`,
      /line 2: column "Machine failure" must be 0 or 1/,
      2,
    );
    expectFormatError(`${HEADER}\n${good}\n${good}\n`, /line 3: UDI "1" is not a new integer id/, 3);
    expectFormatError(`UDI,Type\n1,M\n`, /line 1: header must be/, 1);
    expectFormatError("", /empty/);
    expectFormatError(`${HEADER}\n1,"M14860,M,298.1\n`, /not a readable CSV file/);
  });

  it("keeps the failure rate in the stratified test set and covers every row once", function () {
    const labels = records.map((r) => r.machineFailure);
    const split = stratifiedSplit({ labels, testFraction: 0.2, seed: 2020 });
    expectExactCover([split.train, split.test], records.length);
    const rate = (rows: Uint32Array): number =>
      Array.from(rows).filter((i) => labels[i] === 1).length / rows.length;
    expect(split.test.length).to.equal(2000);
    expect(rate(split.test)).to.be.closeTo(0.0339, 0.001);
    expect(rate(split.train)).to.be.closeTo(0.0339, 0.001);
    const again = stratifiedSplit({ labels, testFraction: 0.2, seed: 2020 });
    expect(Array.from(again.test)).to.deep.equal(Array.from(split.test));
    const other = stratifiedSplit({ labels, testFraction: 0.2, seed: 2021 });
    expect(Array.from(other.test)).to.not.deep.equal(Array.from(split.test));
  });

  it("fits the scaler on the training part only", function () {
    const data = buildAi4iDataset({ records, members: 3, partition: "quality-type", seed: 1 });
    const trainRows = Array.from(data.trainRows, (i) => ai4iFeatureRow(records[i] as Ai4iRecord));
    const allRows = records.map(ai4iFeatureRow);
    const mean = (rows: number[][], j: number): number =>
      rows.reduce((s, r) => s + (r[j] as number), 0) / rows.length;
    for (let j = 3; j < AI4I_FEATURE_NAMES.length; j++) {
      expect(data.scaler.mean[j]).to.be.closeTo(mean(trainRows, j), 1e-9);
    }
    // The test part does not shift the statistics: with it they would differ.
    const differs = [3, 4, 5, 6, 7].some(
      (j) => Math.abs((data.scaler.mean[j] as number) - mean(allRows, j)) > 1e-6,
    );
    expect(differs).to.equal(true);
    // Scaled training features have mean 0 and standard deviation 1 per scaled column.
    const width = AI4I_FEATURE_NAMES.length;
    for (let j = 3; j < width; j++) {
      let s = 0;
      let s2 = 0;
      for (let i = 0; i < data.train.rows; i++) {
        const v = data.train.features[i * width + j] as number;
        s += v;
        s2 += v * v;
      }
      expect(s / data.train.rows).to.be.closeTo(0, 1e-4);
      expect(s2 / data.train.rows).to.be.closeTo(1, 1e-3);
    }
    // One-hot columns pass through unscaled.
    expect(Array.from(data.test.features.subarray(0, 3)).sort()).to.deep.equal([0, 0, 1]);
  });

  it("partitions cover all training rows exactly once, deterministically per seed", function () {
    const types = records.map((r) => r.type);
    const labels = records.map((r) => r.machineFailure);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 7 }), fc.integer({ min: 0, max: 1_000_000 }), (members, seed) => {
        const byType = partitionByQualityType({ types, members, seed });
        expect(byType).to.have.length(members);
        expectExactCover(byType, records.length);
        const dirichlet = partitionDirichlet({ labels, alpha: 0.5, members, seed });
        expectExactCover(dirichlet, records.length);
        const again = partitionDirichlet({ labels, alpha: 0.5, members, seed });
        expect(again.map((p) => Array.from(p))).to.deep.equal(dirichlet.map((p) => Array.from(p)));
      }),
      { numRuns: 15 },
    );
  });

  it("gives each of three or more members a single quality type", function () {
    const types = records.map((r) => r.type);
    const parts = partitionByQualityType({ types, members: 4, seed: 3 });
    const typesOf = parts.map((rows) => new Set(Array.from(rows, (i) => types[i])));
    expect(typesOf.map((s) => [...s])).to.deep.equal([["L"], ["M"], ["H"], ["L"]]);
    expect((parts[0] as Uint32Array).length + (parts[3] as Uint32Array).length).to.equal(6000);
  });

  it("skews labels more with smaller Dirichlet alpha", function () {
    const labels = records.map((r) => r.machineFailure);
    const spread = (alpha: number): number => {
      const parts = partitionDirichlet({ labels, alpha, members: 5, seed: 11 });
      const rates = parts.map(
        (rows) => Array.from(rows).filter((i) => labels[i] === 1).length / Math.max(rows.length, 1),
      );
      return Math.max(...rates) - Math.min(...rates);
    };
    expect(spread(0.1)).to.be.greaterThan(spread(100));
  });

  it("rejects invalid partition requests with a clear error", function () {
    expect(() => partitionDirichlet({ labels: [0, 1], alpha: 0, members: 2, seed: 1 })).to.throw(
      /alpha must be a positive number/,
    );
    expect(() => partitionByQualityType({ types: ["L"], members: 0, seed: 1 })).to.throw(
      /members must be a positive integer/,
    );
  });
});
