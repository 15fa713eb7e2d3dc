/**
 * Local training (the step a member runs each round) and evaluation. Both take the global parameters
 * as a flat Float32Array, so they fit the federation: members exchange deltas, never models or data.
 */
import { initBackend, tf } from "./backend.js";
import { balancedAccuracy, macroF1, rocAuc } from "./metrics.js";
import {
  createModel,
  forward,
  getParams,
  paramCount,
  ParamsMismatchError,
  setParams,
  type Model,
} from "./model.js";
import { createRng, permutation } from "../data/rng.js";
import type { EvaluationMetrics, LabelledData, ModelSpec, TrainingPolicy } from "./types.js";

export class InvalidTrainingInputError extends Error {
  readonly code = "invalid-training-input";
  constructor(message: string) {
    super(message);
    this.name = "InvalidTrainingInputError";
  }
}

export interface LocalTrainingResult {
  /** Local parameters minus `globalParams`, canonical order. */
  readonly delta: Float32Array;
  readonly metrics: {
    /** Mean cross-entropy on the local data after training. */
    readonly loss: number;
    /** Mean cross-entropy on the local data before training (from the global parameters). */
    readonly initialLoss: number;
    /** Local examples trained on. */
    readonly samples: number;
    /** Optimiser steps taken. */
    readonly steps: number;
  };
}

function rowWidth(data: LabelledData): number {
  return data.featureShape.reduce((a, b) => a * b, 1);
}

export function validateData({ spec, data }: { spec: ModelSpec; data: LabelledData }): void {
  const shape = data.featureShape.join("x");
  if (shape !== spec.inputShape.join("x")) {
    throw new InvalidTrainingInputError(
      `data rows are shaped [${data.featureShape.join(", ")}] but model "${spec.id}" takes [${spec.inputShape.join(", ")}]`,
    );
  }
  if (data.classes !== spec.classes) {
    throw new InvalidTrainingInputError(
      `data has ${data.classes} classes but model "${spec.id}" has ${spec.classes}`,
    );
  }
  if (data.features.length !== data.rows * rowWidth(data) || data.labels.length !== data.rows) {
    throw new InvalidTrainingInputError(
      `data claims ${data.rows} rows but holds ${data.features.length} feature values and ${data.labels.length} labels`,
    );
  }
  for (let i = 0; i < data.labels.length; i++) {
    if ((data.labels[i] as number) >= data.classes) {
      throw new InvalidTrainingInputError(`label ${data.labels[i]} at row ${i} is not below ${data.classes}`);
    }
  }
}

function validatePolicy(policy: TrainingPolicy): void {
  if (!Number.isInteger(policy.epochs) || policy.epochs < 1) {
    throw new InvalidTrainingInputError(`policy.epochs must be a positive integer, got ${policy.epochs}`);
  }
  if (!Number.isInteger(policy.batchSize) || policy.batchSize < 1) {
    throw new InvalidTrainingInputError(
      `policy.batchSize must be a positive integer, got ${policy.batchSize}`,
    );
  }
  if (policy.optimizer !== undefined && policy.optimizer !== "adam" && policy.optimizer !== "momentum") {
    throw new InvalidTrainingInputError(
      `policy.optimizer must be "adam" or "momentum", got ${String(policy.optimizer)}`,
    );
  }
  if (!(policy.learningRate > 0) || !Number.isFinite(policy.learningRate)) {
    throw new InvalidTrainingInputError(
      `policy.learningRate must be a positive number, got ${policy.learningRate}`,
    );
  }
}

/** Per-class loss weights from local class counts (see TrainingPolicy.classWeighting). */
export function classWeights({
  data,
  weighting,
}: {
  data: LabelledData;
  weighting: NonNullable<TrainingPolicy["classWeighting"]>;
}): Float32Array {
  const counts = new Array<number>(data.classes).fill(0);
  for (const label of data.labels) counts[label] = (counts[label] as number) + 1;
  return Float32Array.from(counts, (count) => {
    if (weighting === "none" || count === 0) return 1;
    const balanced = data.rows / (data.classes * count);
    return weighting === "balanced" ? balanced : Math.sqrt(balanced);
  });
}

function gatherRows({ data, rows }: { data: LabelledData; rows: ArrayLike<number> }): {
  input: tf.Tensor;
  labels: tf.Tensor1D;
} {
  const width = rowWidth(data);
  const features = new Float32Array(rows.length * width);
  const labels = new Int32Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i] as number;
    features.set(data.features.subarray(row * width, (row + 1) * width), i * width);
    labels[i] = data.labels[row] as number;
  }
  return {
    input: tf.tensor(features, [rows.length, ...data.featureShape]),
    labels: tf.tensor1d(labels, "int32"),
  };
}

/** Class probabilities for every row, row-major rows × classes. */
function probabilities({ model, data }: { model: Model; data: LabelledData }): Float32Array {
  const out = new Float32Array(data.rows * data.classes);
  const chunk = 2048;
  for (let start = 0; start < data.rows; start += chunk) {
    const rows = Array.from({ length: Math.min(chunk, data.rows - start) }, (_, i) => start + i);
    const batch = gatherRows({ data, rows });
    const probs = tf.tidy(() => tf.softmax(forward({ model, input: batch.input }).logits));
    out.set(probs.dataSync(), start * data.classes);
    probs.dispose();
    batch.input.dispose();
    batch.labels.dispose();
  }
  return out;
}

function meanCrossEntropy({ probs, data }: { probs: Float32Array; data: LabelledData }): number {
  let total = 0;
  for (let i = 0; i < data.rows; i++) {
    total -= Math.log(Math.max(probs[i * data.classes + (data.labels[i] as number)] as number, 1e-7));
  }
  return total / data.rows;
}

/** Macro-F1, balanced accuracy, ROC AUC and cross-entropy of class probabilities (argmax decisions); any model family. */
export function metricsFromProbabilities({
  probs,
  data,
}: {
  probs: Float32Array;
  data: LabelledData;
}): EvaluationMetrics {
  const predictions = new Uint8Array(data.rows);
  for (let i = 0; i < data.rows; i++) {
    let best = 0;
    for (let c = 1; c < data.classes; c++) {
      if ((probs[i * data.classes + c] as number) > (probs[i * data.classes + best] as number)) best = c;
    }
    predictions[i] = best;
  }
  const labelled = { labels: data.labels, predictions, classes: data.classes };
  return {
    macroF1: macroF1(labelled),
    balancedAccuracy: balancedAccuracy(labelled),
    rocAuc: rocAuc({ labels: data.labels, probabilities: probs, classes: data.classes }),
    loss: meanCrossEntropy({ probs, data }),
  };
}

function checkParams({ spec, params }: { spec: ModelSpec; params: Float32Array }): void {
  if (!(params instanceof Float32Array) || params.length !== paramCount(spec)) {
    throw new ParamsMismatchError(
      `model "${spec.id}" has ${paramCount(spec)} parameters, got ${params?.length}`,
    );
  }
}

/** Class probabilities of `params` on `data` (rows × classes, row-major). */
export async function predict({
  spec,
  params,
  data,
}: {
  spec: ModelSpec;
  params: Float32Array;
  data: LabelledData;
}): Promise<Float32Array> {
  await initBackend();
  checkParams({ spec, params });
  validateData({ spec, data });
  const model = await createModel({ spec, seed: 0 });
  try {
    setParams(model, params);
    return probabilities({ model, data });
  } finally {
    model.dispose();
  }
}

/** Macro-F1, balanced accuracy, ROC AUC and mean cross-entropy of `params` on `data` (argmax decisions). */
export async function evaluate({
  spec,
  params,
  data,
}: {
  spec: ModelSpec;
  params: Float32Array;
  data: LabelledData;
}): Promise<EvaluationMetrics> {
  if (data.rows === 0) throw new InvalidTrainingInputError("cannot evaluate on zero rows");
  const probs = await predict({ spec, params, data });
  return metricsFromProbabilities({ probs, data });
}

/**
 * One member's local training for one round: start from the global parameters, run `policy.epochs`
 * epochs of Adam over seeded shuffles of the local data (class-weighted cross-entropy plus the
 * topology's penalties), and return the delta. Same inputs and seed, same delta (on a given backend).
 */
export async function trainLocal({
  spec,
  globalParams,
  data,
  policy,
  seed,
}: {
  spec: ModelSpec;
  globalParams: Float32Array;
  data: LabelledData;
  policy: TrainingPolicy;
  seed: number;
}): Promise<LocalTrainingResult> {
  await initBackend();
  checkParams({ spec, params: globalParams });
  validateData({ spec, data });
  validatePolicy(policy);
  if (data.rows === 0) throw new InvalidTrainingInputError("the member has no local data to train on");

  const rng = createRng(seed);
  const model = await createModel({ spec, seed: 0 });
  const optimizer =
    policy.optimizer === "momentum"
      ? tf.train.momentum(policy.learningRate, 0.9)
      : tf.train.adam(policy.learningRate);
  const weights = tf.tensor1d(classWeights({ data, weighting: policy.classWeighting ?? "sqrt" }));
  try {
    setParams(model, globalParams);
    const initialLoss = meanCrossEntropy({ probs: probabilities({ model, data }), data });
    let steps = 0;
    for (let epoch = 0; epoch < policy.epochs; epoch++) {
      const order = permutation({ n: data.rows, rng });
      for (let start = 0; start < data.rows; start += policy.batchSize) {
        const batch = gatherRows({ data, rows: order.subarray(start, start + policy.batchSize) });
        optimizer.minimize(
          () =>
            tf.tidy(() => {
              const { logits, activityPenalty } = forward({ model, input: batch.input, training: true });
              const oneHot = tf.oneHot(batch.labels, spec.classes);
              const perRow = tf.neg(tf.sum(tf.mul(oneHot, tf.logSoftmax(logits)), 1));
              const rowWeights = tf.gather(weights, batch.labels);
              let loss = tf.add(tf.mean(tf.mul(perRow, rowWeights)), activityPenalty);
              // The topology's own weight penalties (kernel_regularizer and the like).
              const penalties = model.network.calculateLosses();
              if (penalties.length > 0) loss = tf.add(loss, tf.addN(penalties));
              return loss as tf.Scalar;
            }),
          false,
          [...model.trainable],
        );
        batch.input.dispose();
        batch.labels.dispose();
        steps++;
      }
    }
    const local = getParams(model);
    const loss = meanCrossEntropy({ probs: probabilities({ model, data }), data });
    const delta = new Float32Array(local.length);
    for (let i = 0; i < local.length; i++) delta[i] = (local[i] as number) - (globalParams[i] as number);
    return { delta, metrics: { loss, initialLoss, samples: data.rows, steps } };
  } finally {
    weights.dispose();
    optimizer.dispose();
    model.dispose();
  }
}
