/**
 * Built-in forest specs (`preset:<id>`), pinned like any forest file by `forestSpecHash`.
 *
 * `ai4i-forest` is the setting the `forest` bench chose on validation rows carved from the members'
 * training rows (selection seeds 4–6; never the test set), among settings whose d and largest update fit
 * the `large` circuit instance: 16 trees, depth 8, 3 features per node, 32 bins, failure weight 3
 * (d = 783,360). Its ranges are those of the built-in AI4I training rows after the data set's scaler
 * (`rangesFromRows`), rounded outward to three decimals: public, and the same for every member.
 */
import type { HistogramForestSpec } from "./types.js";

export const AI4I_FOREST_SPEC: HistogramForestSpec = {
  id: "ai4i-forest",
  features: 10,
  classes: 2,
  trees: 16,
  depth: 8,
  featuresPerNode: 3,
  bins: 32,
  ranges: [
    [-0.001, 1.001],
    [-0.001, 1.001],
    [-0.001, 1.001],
    [-2.359, 2.254],
    [-2.91, 2.571],
    [-2.086, 7.582],
    [-3.663, 3.695],
    [-1.692, 2.288],
    [-4.85, 3.952],
    [-2.391, 2.1],
  ],
  classWeights: [1, 3],
  minSplitRows: 2,
  seed: 1,
};

/** The forest presets by id. */
export const FOREST_PRESETS: ReadonlyMap<string, HistogramForestSpec> = new Map(
  [AI4I_FOREST_SPEC].map((s) => [s.id, s]),
);
