import type { LabelledData } from "../data/types.js";

export type { LabelledData };
/**
 * Types the learning code shares: labelled data in one shape for every task (tabular AI4I records and
 * supply-chain measurement sequences alike), model specifications, local-training policies and metrics.
 */

/** A model the consortium trains: a sparse encoder, an optional LSTM over time steps, a classifier. */
export interface ModelSpec {
  /** The policy's model id; also names the parameter layout. */
  readonly id: string;
  /** [F] for tabular input, [T, F] for sequences (the encoder is applied at every step, then the LSTM). */
  readonly inputShape: readonly number[];
  /** Hidden sizes of the sparse encoder's dense ReLU layers. */
  readonly encoderUnits: readonly number[];
  /** LSTM state size; required for sequence input, forbidden for tabular input. */
  readonly recurrentUnits?: number;
  readonly classes: number;
  /** L1 penalty on the encoder's kernels (drives weights to zero). */
  readonly l1Kernel: number;
  /** L1 penalty on the encoder's output activations (drives codes to zero). */
  readonly l1Activity: number;
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
