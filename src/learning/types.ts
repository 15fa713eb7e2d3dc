import type { LabelledData } from "../data/types.js";
import type { LayersTopology, ParamTensorLayout } from "./topology.js";

export type { LabelledData };
/**
 * Types the learning code shares: labelled data in one shape for every task (tabular AI4I records and
 * supply-chain measurement sequences alike), model specifications, local-training policies and metrics.
 */

/**
 * A model the consortium trains: its TF.js Layers topology (what a task pins by hash) and what loading it
 * shows — the input shape, the classes, the parameter layout in canonical order (`loadModelSpec`).
 */
export interface ModelSpec {
  /** A preset's name, or the name a task gives its model file. */
  readonly id: string;
  readonly topology: LayersTopology;
  /** Per-row input shape: [F] for tabular input, [T, F] for sequences, any fixed shape for others. */
  readonly inputShape: readonly number[];
  readonly classes: number;
  readonly layout: readonly ParamTensorLayout[];
}

/** How a member trains locally in one round; fixed by the task's policy. */
export interface TrainingPolicy {
  readonly epochs: number;
  readonly batchSize: number;
  readonly learningRate: number;
  /**
   * Per-class loss weights against imbalance: "balanced" weighs class c by rows/(classes·count_c),
   * "sqrt" by the square root of that (milder, better precision on rare classes), "none" by 1.
   * Default "sqrt".
   */
  readonly classWeighting?: "balanced" | "sqrt" | "none";
  /**
   * Local optimiser, fresh every round. "adam" (default) normalises every coordinate's step, so a
   * delta's magnitudes say little about which coordinates matter; "momentum" (SGD, momentum 0.9) keeps
   * steps proportional to gradients, which suits top-k sparsification.
   */
  readonly optimizer?: "adam" | "momentum";
}

/** Metrics suited to imbalanced classes (3.4% failures in AI4I). */
export interface EvaluationMetrics {
  /** Unweighted mean of the per-class F1 scores. */
  readonly macroF1: number;
  /** Mean per-class recall. */
  readonly balancedAccuracy: number;
  /** Binary ROC AUC; for more than two classes the mean of one-vs-rest AUCs. */
  readonly rocAuc: number;
  /** Mean cross-entropy (no regularisation terms). */
  readonly loss: number;
}

/** Data for a federation: a pooled training part, its split between members, one shared test set. */
export interface FederatedDataset {
  readonly name: "ai4i" | "supplychain";
  /** A model specification that fits this data. */
  readonly spec: ModelSpec;
  readonly classNames: readonly string[];
  readonly featureNames: readonly string[];
  /** All training rows (what centralised training sees). */
  readonly train: LabelledData;
  /** The training rows split between members; together they hold every training row exactly once. */
  readonly members: readonly LabelledData[];
  /** Held-out rows shared by every evaluation. */
  readonly test: LabelledData;
}
