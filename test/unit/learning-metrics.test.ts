import { expect } from "chai";
import fc from "fast-check";
import { balancedAccuracy, binaryRocAuc, macroF1, rocAuc } from "../../src/learning/index.js";

describe("learning metrics", function () {
  it("computes macro-F1 and balanced accuracy on a worked example", function () {
    // Class 0: 8 rows, 7 right; class 1: 2 rows, 1 right; one class-0 row predicted 1.
    const labels = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1];
    const predictions = [0, 0, 0, 0, 0, 0, 0, 1, 1, 0];
    const f1Class0 = (2 * 7) / (8 + 8);
    const f1Class1 = (2 * 1) / (2 + 2);
    expect(macroF1({ labels, predictions, classes: 2 })).to.be.closeTo((f1Class0 + f1Class1) / 2, 1e-12);
    expect(balancedAccuracy({ labels, predictions, classes: 2 })).to.be.closeTo((7 / 8 + 1 / 2) / 2, 1e-12);
  });

  it("does not reward predicting the majority class", function () {
    const labels = Array.from({ length: 100 }, (_, i) => (i < 3 ? 1 : 0));
    const predictions = new Array<number>(100).fill(0);
    expect(balancedAccuracy({ labels, predictions, classes: 2 })).to.equal(0.5);
    expect(macroF1({ labels, predictions, classes: 2 })).to.be.lessThan(0.5);
  });

  it("ranks: AUC 1 when separable, 0 when reversed, 0.5 on ties, and matches the pair count", function () {
    expect(binaryRocAuc({ positive: [false, false, true, true], scores: [0.1, 0.2, 0.8, 0.9] })).to.equal(1);
    expect(binaryRocAuc({ positive: [true, true, false, false], scores: [0.1, 0.2, 0.8, 0.9] })).to.equal(0);
    expect(binaryRocAuc({ positive: [true, false], scores: [0.5, 0.5] })).to.equal(0.5);
    expect(Number.isNaN(binaryRocAuc({ positive: [true, true], scores: [0.1, 0.2] }))).to.equal(true);
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 5 })), { minLength: 2, maxLength: 40 }),
        (rows) => {
          const positive = rows.map(([p]) => p);
          const scores = rows.map(([, s]) => s);
          const pos = rows.filter(([p]) => p);
          const neg = rows.filter(([p]) => !p);
          const auc = binaryRocAuc({ positive, scores });
          if (pos.length === 0 || neg.length === 0) return Number.isNaN(auc);
          let wins = 0;
          for (const [, a] of pos) for (const [, b] of neg) wins += a > b ? 1 : a === b ? 0.5 : 0;
          return Math.abs(auc - wins / (pos.length * neg.length)) < 1e-12;
        },
      ),
    );
  });

  it("averages one-vs-rest AUC for more than two classes", function () {
    const labels = [0, 1, 2];
    const probabilities = [0.8, 0.1, 0.1, 0.1, 0.8, 0.1, 0.1, 0.1, 0.8];
    expect(rocAuc({ labels, probabilities, classes: 3 })).to.equal(1);
    expect(() => rocAuc({ labels, probabilities: [0.5], classes: 3 })).to.throw(/expected 9 probabilities/);
  });
});
