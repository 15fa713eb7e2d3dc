/** Test data for the histogram forest, shared by its unit and end-to-end tests. */
import type { HistogramForestSpec, LabelledData } from "../../src/learning/index.js";

/** Rows of 3 features in [0, 1) from a seeded LCG; class 1 when x0 > 0.6 and x1 < 0.4 (an AND, as AI4I's HDF). */
export function ruleData(rows: number, seed: number): LabelledData {
  let state = seed >>> 0;
  const next = (): number => (state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  const features = new Float32Array(rows * 3);
  const labels = new Uint8Array(rows);
  for (let r = 0; r < rows; r++) {
    const x = [next(), next(), next()];
    features.set(x, r * 3);
    labels[r] = x[0]! > 0.6 && x[1]! < 0.4 ? 1 : 0;
  }
  return { features, labels, rows, featureShape: [3], classes: 2 };
}

/**
 * A forest over `ruleData`'s 3 features in [0, 1]: 2 features per node, class 1 weighed twice. The tests
 * name what they vary (trees, depth, bins, seed) and take the rest from here.
 */
export function ruleForestSpec(
  spec: Pick<HistogramForestSpec, "id" | "trees" | "depth" | "bins" | "seed">,
): HistogramForestSpec {
  return {
    features: 3,
    classes: 2,
    featuresPerNode: 2,
    ranges: [
      [0, 1],
      [0, 1],
      [0, 1],
    ],
    classWeights: [1, 2],
    minSplitRows: 2,
    ...spec,
  };
}
