/**
 * Classification metrics that stay informative under heavy class imbalance, in plain TypeScript so
 * that they do not depend on the TF.js backend.
 */

export class MetricInputError extends Error {
  readonly code = "metric-input";
  constructor(message: string) {
    super(message);
    this.name = "MetricInputError";
  }
}

function confusion({
  labels,
  predictions,
  classes,
}: {
  labels: ArrayLike<number>;
  predictions: ArrayLike<number>;
  classes: number;
}): number[][] {
  if (labels.length !== predictions.length) {
    throw new MetricInputError(`${labels.length} labels but ${predictions.length} predictions`);
  }
  const matrix = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  for (let i = 0; i < labels.length; i++) {
    const row = matrix[labels[i] as number];
    if (row === undefined)
      throw new MetricInputError(`label ${labels[i]} at row ${i} is not below ${classes}`);
    const p = predictions[i] as number;
    if (!(p >= 0 && p < classes))
      throw new MetricInputError(`prediction ${p} at row ${i} is not below ${classes}`);
    row[p] = (row[p] as number) + 1;
  }
  return matrix;
}

/** Mean over classes of F1; a class absent from both labels and predictions is skipped. */
export function macroF1(args: {
  labels: ArrayLike<number>;
  predictions: ArrayLike<number>;
  classes: number;
}): number {
  const matrix = confusion(args);
  const scores: number[] = [];
  for (let c = 0; c < args.classes; c++) {
    const tp = (matrix[c] as number[])[c] as number;
    let support = 0;
    let predicted = 0;
    for (let k = 0; k < args.classes; k++) {
      support += (matrix[c] as number[])[k] as number;
      predicted += (matrix[k] as number[])[c] as number;
    }
    if (support === 0 && predicted === 0) continue;
    scores.push((2 * tp) / (support + predicted));
  }
  return scores.length === 0 ? 0 : scores.reduce((a, b) => a + b, 0) / scores.length;
}

/** Mean over the classes present in `labels` of their recall. */
export function balancedAccuracy(args: {
  labels: ArrayLike<number>;
  predictions: ArrayLike<number>;
  classes: number;
}): number {
  const matrix = confusion(args);
  const recalls: number[] = [];
  for (let c = 0; c < args.classes; c++) {
    const row = matrix[c] as number[];
    const support = row.reduce((a, b) => a + b, 0);
    if (support > 0) recalls.push((row[c] as number) / support);
  }
  return recalls.length === 0 ? 0 : recalls.reduce((a, b) => a + b, 0) / recalls.length;
}

/**
 * Binary ROC AUC by the rank statistic (Mann–Whitney U), ties counted as half; NaN when one class is
 * absent (AUC is undefined then).
 */
export function binaryRocAuc({
  positive,
  scores,
}: {
  positive: ArrayLike<boolean>;
  scores: ArrayLike<number>;
}): number {
  if (positive.length !== scores.length) {
    throw new MetricInputError(`${positive.length} labels but ${scores.length} scores`);
  }
  const order = Array.from({ length: scores.length }, (_, i) => i).sort(
    (a, b) => (scores[a] as number) - (scores[b] as number),
  );
  let positives = 0;
  let rankSum = 0;
  for (let start = 0; start < order.length;) {
    let end = start;
    while (end + 1 < order.length && scores[order[end + 1] as number] === scores[order[start] as number])
      end++;
    const averageRank = (start + end) / 2 + 1;
    for (let r = start; r <= end; r++) {
      if (positive[order[r] as number] === true) {
        positives++;
        rankSum += averageRank;
      }
    }
    start = end + 1;
  }
  const negatives = order.length - positives;
  if (positives === 0 || negatives === 0) return Number.NaN;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/**
 * ROC AUC from class probabilities (rows × classes, row-major): the binary AUC of class 1 for two
 * classes, else the mean one-vs-rest AUC over classes present.
 */
export function rocAuc({
  labels,
  probabilities,
  classes,
}: {
  labels: ArrayLike<number>;
  probabilities: ArrayLike<number>;
  classes: number;
}): number {
  if (probabilities.length !== labels.length * classes) {
    throw new MetricInputError(
      `expected ${labels.length * classes} probabilities, got ${probabilities.length}`,
    );
  }
  const aucFor = (c: number): number =>
    binaryRocAuc({
      positive: Array.from(labels, (label) => label === c),
      scores: Array.from({ length: labels.length }, (_, i) => probabilities[i * classes + c] as number),
    });
  if (classes === 2) return aucFor(1);
  const aucs = Array.from({ length: classes }, (_, c) => aucFor(c)).filter((auc) => !Number.isNaN(auc));
  return aucs.length === 0 ? Number.NaN : aucs.reduce((a, b) => a + b, 0) / aucs.length;
}
