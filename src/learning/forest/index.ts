/**
 * The histogram forest: a random forest whose global model is a vector of class counts, one per (tree,
 * node, candidate feature, bin, class). Round r grows level r − 1 of every tree: each member counts its own
 * rows that reach the level's open nodes, the `sum` rule adds the members' counts exactly, and the split of
 * every node follows from the summed counts by a fixed rule. So the federated forest is exactly the forest
 * grown on the pooled rows, however the rows are split between members (no non-IID penalty), and every
 * auditor derives the same trees from the published model.
 *
 * Determinism: the split criterion is evaluated in IEEE doubles with + − × ÷ only, in a fixed order, over
 * integer counts; ties keep the first candidate (feature slot, then bin). The same counts give the same
 * trees on every machine.
 */
import { keccak256, toUtf8Bytes } from "ethers";
import { canonicalJson } from "../../data/canonical-json.js";
import { createRng } from "../../data/rng.js";
import type { SparseUpdate } from "../../sparse/types.js";
import type { LabelledData } from "../types.js";
import type { ForestErrorCode, ForestNode, HistogramForest, HistogramForestSpec } from "./types.js";

export type { ForestErrorCode, ForestNode, HistogramForest, HistogramForestSpec } from "./types.js";

export class ForestError extends Error {
  constructor(
    readonly code: ForestErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "ForestError";
  }
}

const positiveInt = (x: unknown): x is number => typeof x === "number" && Number.isSafeInteger(x) && x > 0;

/** Checks a spec; throws `ForestError("bad-spec")` naming the field. */
export function validateForestSpec(spec: HistogramForestSpec): void {
  const fail = (message: string): never => {
    throw new ForestError("bad-spec", `forest "${String(spec?.id)}": ${message}`);
  };
  for (const field of ["features", "trees", "depth", "featuresPerNode", "bins", "minSplitRows"] as const)
    if (!positiveInt(spec[field])) fail(`${field} must be a positive integer, got ${String(spec[field])}`);
  if (!positiveInt(spec.classes) || spec.classes < 2) fail(`classes must be an integer ≥ 2`);
  if (spec.bins < 2) fail("bins must be at least 2");
  if (spec.featuresPerNode > spec.features) fail("featuresPerNode exceeds features");
  if (spec.depth > 20) fail("depth must be at most 20");
  if (!Number.isSafeInteger(spec.seed) || spec.seed < 0 || spec.seed > 2 ** 31)
    fail("seed must be in [0, 2^31]");
  if (!Array.isArray(spec.ranges) || spec.ranges.length !== spec.features)
    fail(`ranges must have one [low, high] per feature (${spec.features})`);
  spec.ranges.forEach(([low, high], f) => {
    if (!Number.isFinite(low) || !Number.isFinite(high) || !(high > low))
      fail(`range of feature ${f} must be finite with high > low`);
  });
  if (spec.classWeights.length !== spec.classes || !spec.classWeights.every(positiveInt))
    fail("classWeights must be one positive integer per class");
  if (!Number.isSafeInteger(forestDimension(spec))) fail("the model dimension is too large");
}

/** Nodes per tree that carry counts: levels 0..D − 1 (the leaves below the last level need none). */
const nodesPerTree = (spec: HistogramForestSpec): number => 2 ** spec.depth - 1;

/** d = T · (2^D − 1) · m · B · C. */
export function forestDimension(spec: HistogramForestSpec): number {
  return spec.trees * nodesPerTree(spec) * spec.featuresPerNode * spec.bins * spec.classes;
}

/** Where the count of (tree, node, feature slot, bin, class) sits in the model vector. */
export function forestIndex(
  spec: HistogramForestSpec,
  tree: number,
  node: number,
  slot: number,
  bin: number,
  cls: number,
): number {
  return (
    (((tree * nodesPerTree(spec) + node) * spec.featuresPerNode + slot) * spec.bins + bin) * spec.classes +
    cls
  );
}

/** Whether any cell of (tree, node) holds a count: the node was grown in an earlier round. */
function nodeHoldsCounts(spec: HistogramForestSpec, counts: Int32Array, tree: number, node: number): boolean {
  const start = forestIndex(spec, tree, node, 0, 0, 0);
  const end = start + spec.featuresPerNode * spec.bins * spec.classes;
  for (let i = start; i < end; i++) if (counts[i] !== 0) return true;
  return false;
}

/** The level of a heap-ordered node (0 for the root). */
export function nodeLevel(node: number): number {
  return Math.floor(Math.log2(node + 1));
}

/** The features node `node` of tree `tree` considers: a seeded partial shuffle, the same for everyone. */
export function nodeFeatures(spec: HistogramForestSpec, tree: number, node: number): number[] {
  const rng = createRng(
    spec.seed * 2 ** 21 + tree * 2 ** 11 + (node % 2 ** 11) + Math.floor(node / 2 ** 11) * 7919,
  );
  const all = Array.from({ length: spec.features }, (_, f) => f);
  for (let i = 0; i < spec.featuresPerNode; i++) {
    const j = i + rng.int(spec.features - i);
    [all[i], all[j]] = [all[j]!, all[i]!];
  }
  return all.slice(0, spec.featuresPerNode);
}

/** The bin of `value` for `feature`: equal-width over the feature's range, clamped to the end bins. */
export function binOf(spec: HistogramForestSpec, feature: number, value: number): number {
  const [low, high] = spec.ranges[feature]!;
  const b = Math.floor(((value - low) / (high - low)) * spec.bins);
  return b < 0 ? 0 : b >= spec.bins ? spec.bins - 1 : b;
}

/** Weighted Gini impurity times the weighted total: W − Σ (w_c n_c)² / W (0 for an empty node). */
function impurity(counts: readonly number[], weights: readonly number[]): number {
  let total = 0;
  for (let c = 0; c < counts.length; c++) total += weights[c]! * counts[c]!;
  if (total === 0) return 0;
  let squares = 0;
  for (let c = 0; c < counts.length; c++) {
    const wc = weights[c]! * counts[c]!;
    squares += wc * wc;
  }
  return total - squares / total;
}

const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);

/** Whether a node with these counts is grown further: enough rows and at least two classes present. */
function isOpen(spec: HistogramForestSpec, counts: readonly number[]): boolean {
  return sum(counts) >= spec.minSplitRows && counts.filter((n) => n > 0).length >= 2;
}

/**
 * The counts of a node's region: per feature slot, per bin, per class. Negative sums (a member may send
 * negative values within the proof's bounds) count as 0, so no node can be made to hold fewer than 0 rows.
 */
function nodeHistogram(
  spec: HistogramForestSpec,
  counts: Int32Array,
  tree: number,
  node: number,
): number[][][] | undefined {
  let any = false;
  const slots: number[][][] = [];
  for (let s = 0; s < spec.featuresPerNode; s++) {
    const bins: number[][] = [];
    for (let b = 0; b < spec.bins; b++) {
      const row: number[] = [];
      for (let c = 0; c < spec.classes; c++) {
        const v = counts[forestIndex(spec, tree, node, s, b, c)]!;
        if (v !== 0) any = true;
        row.push(v > 0 ? v : 0);
      }
      bins.push(row);
    }
    slots.push(bins);
  }
  return any ? slots : undefined;
}

/** The best split of a node's histogram, or undefined when no split lowers the impurity. */
function bestSplit(
  spec: HistogramForestSpec,
  histogram: number[][][],
  features: readonly number[],
): { slot: number; bin: number; left: number[]; right: number[]; counts: number[] } | undefined {
  let best: { slot: number; bin: number; left: number[]; right: number[]; counts: number[] } | undefined;
  let bestGain = 0;
  for (let s = 0; s < features.length; s++) {
    const bins = histogram[s]!;
    const counts = new Array<number>(spec.classes).fill(0);
    for (const row of bins) for (let c = 0; c < spec.classes; c++) counts[c] = counts[c]! + row[c]!;
    const parent = impurity(counts, spec.classWeights);
    const left = new Array<number>(spec.classes).fill(0);
    for (let b = 0; b < spec.bins - 1; b++) {
      for (let c = 0; c < spec.classes; c++) left[c] = left[c]! + bins[b]![c]!;
      const right = counts.map((n, c) => n - left[c]!);
      if (sum(left) === 0 || sum(right) === 0) continue;
      const gain = parent - impurity(left, spec.classWeights) - impurity(right, spec.classWeights);
      if (gain > bestGain) {
        bestGain = gain;
        best = { slot: s, bin: b, left: [...left], right, counts: [...counts] };
      }
    }
  }
  return best;
}

/**
 * The forest a global model's counts describe. A node is grown when it is the root or its parent's split
 * left it open (enough rows, two classes) and its region holds counts; it splits at the candidate with the
 * largest impurity decrease; everything else is a leaf holding the counts its parent's split gave it.
 */
export function deriveForest({
  spec,
  counts,
}: {
  spec: HistogramForestSpec;
  counts: Int32Array;
}): HistogramForest {
  validateForestSpec(spec);
  if (!(counts instanceof Int32Array) || counts.length !== forestDimension(spec))
    throw new ForestError("bad-counts", `counts must be an Int32Array of length ${forestDimension(spec)}`);
  const grow = (tree: number, node: number, given: readonly number[] | undefined): ForestNode => {
    const leaf = (c: readonly number[]): ForestNode => ({ kind: "leaf", counts: c });
    const fallback = given ?? new Array<number>(spec.classes).fill(0);
    if (nodeLevel(node) >= spec.depth) return leaf(fallback);
    if (given !== undefined && !isOpen(spec, given)) return leaf(given);
    const histogram = nodeHistogram(spec, counts, tree, node);
    if (histogram === undefined) return leaf(fallback);
    const features = nodeFeatures(spec, tree, node);
    const split = bestSplit(spec, histogram, features);
    if (split === undefined) {
      const own = new Array<number>(spec.classes).fill(0);
      for (const row of histogram[0]!) for (let c = 0; c < spec.classes; c++) own[c] = own[c]! + row[c]!;
      return leaf(given ?? own);
    }
    return {
      kind: "split",
      feature: features[split.slot]!,
      bin: split.bin,
      counts: split.counts,
      left: grow(tree, 2 * node + 1, split.left),
      right: grow(tree, 2 * node + 2, split.right),
    };
  };
  return { spec, roots: Array.from({ length: spec.trees }, (_, t) => grow(t, 0, undefined)) };
}

function checkData(spec: HistogramForestSpec, data: LabelledData): void {
  if (data.featureShape.length !== 1 || data.featureShape[0] !== spec.features)
    throw new ForestError(
      "bad-data",
      `forest "${spec.id}" takes rows of ${spec.features} features, got [${data.featureShape.join(", ")}]`,
    );
  if (data.classes !== spec.classes)
    throw new ForestError(
      "bad-data",
      `forest "${spec.id}" has ${spec.classes} classes, the data ${data.classes}`,
    );
  for (let i = 0; i < data.features.length; i++)
    if (!Number.isFinite(data.features[i]!))
      throw new ForestError("bad-data", `row ${Math.floor(i / spec.features)} has a non-finite feature`);
}

/** Class probabilities (rows × classes): each tree's leaf distribution under the class weights, averaged. */
export function predictForest({
  forest,
  data,
}: {
  forest: HistogramForest;
  data: LabelledData;
}): Float32Array {
  const { spec } = forest;
  checkData(spec, data);
  const out = new Float32Array(data.rows * spec.classes);
  const acc = new Float64Array(spec.classes);
  for (let r = 0; r < data.rows; r++) {
    acc.fill(0);
    const row = data.features.subarray(r * spec.features, (r + 1) * spec.features);
    for (const root of forest.roots) {
      let node = root;
      while (node.kind === "split")
        node = binOf(spec, node.feature, row[node.feature]!) <= node.bin ? node.left : node.right;
      let total = 0;
      for (let c = 0; c < spec.classes; c++) total += spec.classWeights[c]! * node.counts[c]!;
      for (let c = 0; c < spec.classes; c++)
        acc[c] =
          acc[c]! + (total === 0 ? 1 / spec.classes : (spec.classWeights[c]! * node.counts[c]!) / total);
    }
    for (let c = 0; c < spec.classes; c++) out[r * spec.classes + c] = acc[c]! / forest.roots.length;
  }
  return out;
}

/**
 * A member's update for round `level + 1`: for every tree, its rows that reach an open node of `level`,
 * counted per feature slot, bin and class. Sparse, indices increasing, values the counts. Levels at or past
 * the depth have nothing to grow (an empty update).
 */
export function forestMemberUpdate({
  forest,
  data,
  level,
  counts,
}: {
  /** The forest of the current global model (`deriveForest`), derived once however many members count. */
  forest: HistogramForest;
  data: LabelledData;
  level: number;
  /**
   * The global model's counts: a node whose cells already hold some is not counted again, even when it
   * found no split (a level grown again after a round in which nobody reached one of its nodes).
   */
  counts?: Int32Array;
}): SparseUpdate {
  const { spec } = forest;
  checkData(spec, data);
  if (!Number.isSafeInteger(level) || level < 0)
    throw new ForestError("bad-level", `level must be a non-negative integer, got ${level}`);
  const dimension = forestDimension(spec);
  if (counts !== undefined && (!(counts instanceof Int32Array) || counts.length !== dimension))
    throw new ForestError("bad-counts", `counts must be an Int32Array of length ${dimension}`);
  // Once per node, not per row.
  const grown = new Map<number, boolean>();
  const holdsCounts = (tree: number, node: number): boolean => {
    const key = tree * 2 ** 21 + node;
    let held = grown.get(key);
    if (held === undefined) grown.set(key, (held = nodeHoldsCounts(spec, counts!, tree, node)));
    return held;
  };
  const tally = new Map<number, number>();
  // One draw per node, not per row: the draw seeds a generator, which dominates the cost otherwise.
  const drawn = new Map<number, number[]>();
  const featuresOf = (tree: number, node: number): number[] => {
    const key = tree * 2 ** 21 + node;
    let features = drawn.get(key);
    if (features === undefined) drawn.set(key, (features = nodeFeatures(spec, tree, node)));
    return features;
  };
  if (level < spec.depth) {
    for (let t = 0; t < spec.trees; t++) {
      for (let r = 0; r < data.rows; r++) {
        const row = data.features.subarray(r * spec.features, (r + 1) * spec.features);
        // Walk the derived tree to `level`; the row counts only where the walk reaches an open node there.
        let node: ForestNode = forest.roots[t]!;
        let heap = 0;
        let depth = 0;
        for (; depth < level && node.kind === "split"; depth++) {
          const goLeft = binOf(spec, node.feature, row[node.feature]!) <= node.bin;
          node = goLeft ? node.left : node.right;
          heap = 2 * heap + (goLeft ? 1 : 2);
        }
        if (depth < level) continue;
        // The root is always grown; a deeper node only when its parent's split left it open.
        if (level > 0 && !isOpen(spec, node.counts)) continue;
        // A node this level already holds counts (a later round replaying a level) is not counted again.
        if (node.kind === "split" || (counts !== undefined && holdsCounts(t, heap))) continue;
        const label = data.labels[r]!;
        featuresOf(t, heap).forEach((feature, slot) => {
          const index = forestIndex(spec, t, heap, slot, binOf(spec, feature, row[feature]!), label);
          tally.set(index, (tally.get(index) ?? 0) + 1);
        });
      }
    }
  }
  const indices = Uint32Array.from([...tally.keys()].sort((a, b) => a - b));
  // A count is at most the member's rows, far inside int32 (the proof's L∞ bound is what limits it).
  const values = Int32Array.from(indices, (index) => tally.get(index)!);
  return { dimension, indices, values };
}

/**
 * Ranges for a spec from rows the task's creator may publish (per feature the minimum and maximum, widened
 * by a thousandth so that the extremes fall inside). A deployment takes them from the schema's physical
 * ranges; the research code from the pooled training rows, as it fits the feature scaler.
 */
export function rangesFromRows(data: LabelledData): [number, number][] {
  const width = data.featureShape[0]!;
  const ranges: [number, number][] = Array.from({ length: width }, () => [Infinity, -Infinity]);
  for (let r = 0; r < data.rows; r++)
    for (let f = 0; f < width; f++) {
      const v = data.features[r * width + f]!;
      const range = ranges[f]!;
      if (v < range[0]) range[0] = v;
      if (v > range[1]) range[1] = v;
    }
  return ranges.map(([low, high]) => {
    if (!(high > low)) return [low - 0.5, low + 0.5];
    const pad = (high - low) / 1000;
    return [low - pad, high + pad];
  });
}

/**
 * The level the next round grows: the shallowest level holding a node that the current forest reaches, that
 * is still open and whose region holds no counts yet; `spec.depth` when the forest is fully grown. Taken
 * from the model rather than the round number, so that an abandoned round (the model unchanged) grows the
 * same level again, and counts a member plants in cells no split reaches cannot make the others skip levels.
 */
export function nextForestLevel({ forest, counts }: { forest: HistogramForest; counts: Int32Array }): number {
  const { spec } = forest;
  if (!(counts instanceof Int32Array) || counts.length !== forestDimension(spec))
    throw new ForestError("bad-counts", `counts must be an Int32Array of length ${forestDimension(spec)}`);
  let next = spec.depth;
  const visit = (tree: number, node: number, at: ForestNode, level: number): void => {
    if (level >= next) return;
    if (at.kind === "split") {
      visit(tree, 2 * node + 1, at.left, level + 1);
      visit(tree, 2 * node + 2, at.right, level + 1);
      return;
    }
    if (level > 0 && !isOpen(spec, at.counts)) return;
    if (!nodeHoldsCounts(spec, counts, tree, node)) next = level;
  };
  forest.roots.forEach((root, tree) => visit(tree, 0, root, 0));
  return next;
}

/** The `format` of a forest spec file (`forest.json`): `{ "format": ..., "forest": HistogramForestSpec }`. */
export const FOREST_FILE_FORMAT = "circular-fl/histogram-forest";

/**
 * What a task pins of a forest (its `topologyHash`): the keccak-256 of the spec file's canonical JSON, so
 * that the same spec hashes the same whoever writes it, and a changed bin range or seed is another model.
 */
export function forestSpecHash(spec: HistogramForestSpec): string {
  validateForestSpec(spec);
  return keccak256(toUtf8Bytes(canonicalJson({ format: FOREST_FILE_FORMAT, forest: spec })));
}

/** Reads a forest spec file's parsed JSON; `ForestError("bad-spec")` when it is not one. */
export function forestSpecOf({ json, source }: { json: unknown; source: string }): HistogramForestSpec {
  const file = json as { format?: unknown; forest?: unknown } | null;
  if (file === null || typeof file !== "object" || file.format !== FOREST_FILE_FORMAT)
    throw new ForestError("bad-spec", `${source}: not a forest spec file (format "${FOREST_FILE_FORMAT}")`);
  const spec = file.forest as HistogramForestSpec;
  if (spec === null || typeof spec !== "object" || typeof spec.id !== "string")
    throw new ForestError("bad-spec", `${source}: "forest" must be an object with an id`);
  if (!Array.isArray(spec.ranges) || !spec.ranges.every((r) => Array.isArray(r) && r.length === 2))
    throw new ForestError("bad-spec", `${source}: ranges must be [low, high] pairs`);
  if (!Array.isArray(spec.classWeights))
    throw new ForestError("bad-spec", `${source}: classWeights must be an array`);
  // Only the spec's own fields: an extra key in the file would otherwise change the hash it pins.
  const own: HistogramForestSpec = {
    id: spec.id,
    features: spec.features,
    classes: spec.classes,
    trees: spec.trees,
    depth: spec.depth,
    featuresPerNode: spec.featuresPerNode,
    bins: spec.bins,
    ranges: spec.ranges.map(([low, high]) => [low, high] as const),
    classWeights: (spec.classWeights as readonly number[]).slice(),
    minSplitRows: spec.minSplitRows,
    seed: spec.seed,
  };
  validateForestSpec(own);
  return own;
}

export { AI4I_FOREST_SPEC, FOREST_PRESETS } from "./presets.js";
