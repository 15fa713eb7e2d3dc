/**
 * Types of the histogram forest: a tree model whose global parameters are the consortium's class counts,
 * so that it federates through the same integer rounds as the neural models (rule `sum`).
 */

/**
 * A histogram forest as a task fixes it: everything here is public (the task's model), nothing depends on
 * any member's data. Tree t's node j (heap order: children of j are 2j+1, 2j+2) splits on one of
 * `featuresPerNode` features drawn from (`seed`, t, j); each feature's `ranges` entry is cut into `bins`
 * equal-width bins.
 */
export interface HistogramForestSpec {
  /** The model's name (tasks and reports). */
  readonly id: string;
  /** Input width F (tabular rows). */
  readonly features: number;
  /** Classes C (at least 2). */
  readonly classes: number;
  /** Trees T. */
  readonly trees: number;
  /** Split levels D: leaves sit at depth ≤ D; one round grows one level. */
  readonly depth: number;
  /** Features considered at every node (m ≤ F). */
  readonly featuresPerNode: number;
  /** Equal-width bins per feature (B ≥ 2); the candidate split points are the B − 1 inner bin edges. */
  readonly bins: number;
  /** Per feature the [low, high] interval that is cut into bins; values outside fall in the end bins. */
  readonly ranges: readonly (readonly [number, number])[];
  /** Positive integer class weights in the split criterion and the leaves (class imbalance). */
  readonly classWeights: readonly number[];
  /** A node with fewer rows is a leaf. */
  readonly minSplitRows: number;
  /** Seed of the per-node feature draws. */
  readonly seed: number;
}

/** One node of a derived tree. */
export type ForestNode =
  | {
      readonly kind: "split";
      /** The feature compared, its bin threshold (rows with bin ≤ `bin` go left) and the node's class counts. */
      readonly feature: number;
      readonly bin: number;
      readonly counts: readonly number[];
      readonly left: ForestNode;
      readonly right: ForestNode;
    }
  | { readonly kind: "leaf"; readonly counts: readonly number[] };

/** A forest derived from a global model's counts: a pure function of the spec and the counts. */
export interface HistogramForest {
  readonly spec: HistogramForestSpec;
  readonly roots: readonly ForestNode[];
}

/** Codes of `ForestError`. */
export type ForestErrorCode = "bad-spec" | "bad-counts" | "bad-data" | "bad-level";
