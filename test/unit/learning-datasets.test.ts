import { expect } from "chai";
import {
  loadDataset,
  paramCount,
  UnknownDatasetError,
  validateData,
  type LabelledData,
} from "../../src/learning/index.js";

function labelCounts(data: LabelledData): number[] {
  const counts = new Array<number>(data.classes).fill(0);
  for (const label of data.labels) counts[label] = (counts[label] as number) + 1;
  return counts;
}

describe("loadDataset", function () {
  it("gives AI4I in the shared shape, the test set the same whatever the partition", function () {
    const natural = loadDataset({ name: "ai4i", members: 4, seed: 1 });
    const dirichlet = loadDataset({
      name: "ai4i",
      members: 4,
      seed: 1,
      partition: { kind: "dirichlet", alpha: 0.5 },
    });
    expect(natural.spec.id).to.equal("ai4i-sparse-mlp-v1");
    expect(natural.classNames).to.deep.equal(["no_failure", "failure"]);
    expect(Array.from(dirichlet.test.labels)).to.deep.equal(Array.from(natural.test.labels));
    expect(Array.from(dirichlet.test.features.subarray(0, 50))).to.deep.equal(
      Array.from(natural.test.features.subarray(0, 50)),
    );
    expect(natural.members.reduce((n, m) => n + m.rows, 0)).to.equal(natural.train.rows);
    expect(dirichlet.members.reduce((n, m) => n + m.rows, 0)).to.equal(natural.train.rows);
    for (const data of [natural.train, natural.test, ...natural.members])
      validateData({ spec: natural.spec, data });
  });

  it("gives both supply-chain tasks in the shared shape, fitting their model specs", function () {
    for (const task of ["quality", "route"] as const) {
      const data = loadDataset({ name: "supplychain", members: 3, seed: 2, task, supplyChain: { lots: 80 } });
      expect(paramCount(data.spec)).to.be.within(300, 2000);
      for (const part of [data.train, data.test, ...data.members])
        validateData({ spec: data.spec, data: part });
      expect(data.members.reduce((n, m) => n + m.rows, 0)).to.equal(data.train.rows);
      expect(labelCounts(data.train).filter((c) => c > 0).length).to.be.at.least(3);
      expect(data.featureNames.length).to.equal(data.spec.inputShape[data.spec.inputShape.length - 1]);
    }
  });

  it("splits supply-chain rows by Dirichlet on request, covering the training rows", function () {
    const data = loadDataset({
      name: "supplychain",
      members: 5,
      seed: 2,
      task: "route",
      partition: { kind: "dirichlet", alpha: 0.3 },
      supplyChain: { lots: 80 },
    });
    expect(data.members).to.have.length(5);
    expect(data.members.reduce((n, m) => n + m.rows, 0)).to.equal(data.train.rows);
    const pooled = data.members.flatMap((m) => labelCounts(m));
    expect(pooled.reduce((a, b) => a + b, 0)).to.equal(data.train.rows);
  });

  it("names an unknown data set", function () {
    expect(() => loadDataset({ name: "mnist" as "ai4i", members: 1, seed: 1 })).to.throw(
      UnknownDatasetError,
      /unknown data set "mnist"/,
    );
  });
});
