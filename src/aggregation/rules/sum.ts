/**
 * `sum`: coordinate-wise sum over all n included updates, exact (no division, no rounding).
 *
 * For tasks whose parameters are statistics rather than weights: a histogram forest's global model holds
 * the consortium's class counts per tree node, feature bin and class, and each member's update is its own
 * counts, so the sum is exactly the pooled data's counts (a mean would round a rare class's count of 1
 * among 4 members to 0). A member's influence is still capped by the proof's bounds (L∞: the most rows it
 * can claim in one bin; L2 and k).
 *
 * With a support parameter (q, m, B, C) the sum also defends against backdoors: it reads the vector as
 * histograms of B bins × C classes (a forest's feature slots, which start at multiples of B·C) and collapses
 * into its first bin, per class, every histogram on which some member's own rows vary (fill two or more
 * bins) but fewer than q members' do. No split can then be made on it. A backdoor trigger is a feature
 * combination honest members never show within their own rows (the attackers' rows alone vary there), so
 * its split is vetoed; a feature that varies only across members (product type, under a split by type) is
 * kept, as nobody's rows vary on it alone. Integers only: every auditor replays it bit for bit.
 *
 * The same parameter names how histograms group into nodes (m per node, one per feature slot), and with it
 * the rule screens out free riders before summing: every row an honest member counts at a node lands in one
 * bin of each of the node's m histograms, so its class totals agree across them. An update whose totals
 * disagree at some node, or that holds a negative count, is no rows' counts (**FreeRider**: random counts),
 * and so is an empty update in the round that grows the roots while others sent counts (every row reaches
 * a root; deeper, an honest member whose rows all sit in closed nodes sends nothing, so an empty update is
 * not judged there), and one that counts a node the base model already holds counts for (last round's
 * global change sent again: honest members count only the level being grown).
 */
import { AggregationError } from "../errors.js";
import { forEachSentCoordinate } from "../merge.js";
import { SparseBuilder } from "./sparse-builder.js";
import type { AggregationRuleDefinition, ScreenFlag } from "./types.js";

/** The support veto of a supported sum and its free-rider screen (see the file's comment). */
export interface SumSupport {
  /** q: a histogram some members vary on stands only when at least q of them do (2 ≤ q < 2^16). */
  readonly members: number;
  /** m: histograms per node, consecutive (1 ≤ m < 2^16); a node's class totals agree across them. */
  readonly slots: number;
  /** B: bins per histogram (2 ≤ B < 2^16). */
  readonly bins: number;
  /** C: classes per bin (1 ≤ C < 2^16). */
  readonly classes: number;
}

export interface SumRule {
  readonly kind: "sum";
  /** Absent: the plain sum. */
  readonly support?: SumSupport;
}

const INT32_MAX = 2 ** 31 - 1;
const FIELD = 2 ** 16;

function checkSupport(support: unknown): SumSupport {
  const s = support as Partial<SumSupport> | null;
  const field = (name: keyof SumSupport, min: number): number => {
    const v = s?.[name];
    if (typeof v !== "number" || !Number.isSafeInteger(v) || v < min || v >= FIELD)
      throw new AggregationError(
        "bad-rule-param",
        `sum support.${name} must be an integer in [${min}, ${FIELD}), got ${String(v)}`,
      );
    return v;
  };
  if (s === null || typeof s !== "object")
    throw new AggregationError("bad-rule-param", "sum support must be { members, slots, bins, classes }");
  return {
    members: field("members", 2),
    slots: field("slots", 1),
    bins: field("bins", 2),
    classes: field("classes", 1),
  };
}

const checked = (index: number, sum: number): number => {
  // Within the circuits' value range (|v| < 2^15) this needs more than 2^16 members; refused rather
  // than wrapped, so that every replay fails alike instead of agreeing on a wrong model.
  if (sum > INT32_MAX || sum < -INT32_MAX)
    throw new AggregationError("overflow", `sum at coordinate ${index} leaves the int32 range: ${sum}`);
  return sum;
};

/**
 * Per histogram (index ÷ B·C), how many members' own rows fill two or more of its bins (a bin is filled
 * when its positive values add up to more than 0).
 */
function supportOf(
  updates: readonly { indices: Uint32Array; values: Int32Array }[],
  { bins, classes }: SumSupport,
): Map<number, number> {
  const width = bins * classes;
  const support = new Map<number, number>();
  for (const update of updates) {
    let histogram = -1;
    let firstBin = -1;
    let varies = false;
    for (let j = 0; j < update.indices.length; j++) {
      if (update.values[j]! <= 0) continue;
      const index = update.indices[j]!;
      const h = Math.floor(index / width);
      const bin = Math.floor((index - h * width) / classes);
      if (h !== histogram) {
        if (varies) support.set(histogram, (support.get(histogram) ?? 0) + 1);
        histogram = h;
        firstBin = bin;
        varies = false;
      } else if (bin !== firstBin) varies = true;
    }
    if (varies) support.set(histogram, (support.get(histogram) ?? 0) + 1);
  }
  return support;
}

/**
 * Why an update cannot be any rows' counts, or undefined: a negative count, or a node whose histograms'
 * class totals disagree (each counted row adds 1 to one bin of every histogram of its node, per its class).
 */
function notCounts(
  update: { indices: Uint32Array; values: Int32Array },
  { slots, bins, classes }: SumSupport,
): string | undefined {
  const width = bins * classes;
  const nodeWidth = slots * width;
  // Per histogram and class of the node being read: the class totals (exact: at most 2^16 · 2^31).
  const totals = new Float64Array(slots * classes);
  let node = -1;
  const check = (): string | undefined => {
    for (let s = 1; s < slots; s++)
      for (let c = 0; c < classes; c++)
        if (totals[s * classes + c] !== totals[c])
          return `node ${node}: class ${c} totals ${totals[c]} in histogram 0, ${totals[s * classes + c]} in histogram ${s}`;
    return undefined;
  };
  for (let j = 0; j < update.indices.length; j++) {
    const index = update.indices[j]!;
    const value = update.values[j]!;
    if (value < 0) return `a negative count (${value}) at ${index}`;
    const n = Math.floor(index / nodeWidth);
    if (n !== node) {
      const why = node < 0 ? undefined : check();
      if (why !== undefined) return why;
      totals.fill(0);
      node = n;
    }
    const within = index - n * nodeWidth;
    const slot = Math.floor(within / width);
    const c = (within - slot * width) % classes;
    totals[slot * classes + c] = totals[slot * classes + c]! + value;
  }
  return node < 0 ? undefined : check();
}

/**
 * Why an update counts again a node the base model already holds counts for (a grown level: an honest
 * member counts only the level being grown, whose nodes hold none yet), or undefined. Last round's global
 * change sent again is such an update.
 */
function recounted(
  update: { indices: Uint32Array },
  { slots, bins, classes }: SumSupport,
  previous: Int32Array,
): string | undefined {
  const nodeWidth = slots * bins * classes;
  let node = -1;
  for (const index of update.indices) {
    const n = Math.floor(index / nodeWidth);
    if (n === node) continue;
    node = n;
    const end = Math.min(previous.length, (n + 1) * nodeWidth);
    for (let i = n * nodeWidth; i < end; i++)
      if (previous[i] !== 0) return `counts node ${n} again, which the base model already holds`;
  }
  return undefined;
}

export const sumRule: AggregationRuleDefinition<SumRule> = {
  kind: "sum",
  id: 6,
  summary:
    "coordinate-wise sum, exact; for statistics such as a histogram forest's class counts (optionally vetoing histograms fewer than q members vary on)",
  draftable: true,
  acceptsWeights: false,
  validate: (rule) =>
    rule["support"] === undefined ? { kind: "sum" } : { kind: "sum", support: checkSupport(rule["support"]) },
  fromPolicy: ({ parameter }) => {
    if (parameter === 0n) return { kind: "sum" };
    // q · 2^48 + m · 2^32 + B · 2^16 + C: the policy's uint64.
    if (parameter < 0n || parameter >= 2n ** 64n)
      throw new AggregationError(
        "bad-rule-param",
        `sum's parameter must be 0 or q·2^48 + m·2^32 + B·2^16 + C, got ${parameter}`,
      );
    const f = (shift: bigint) => Number((parameter >> shift) & 0xffffn);
    return {
      kind: "sum",
      support: checkSupport({ members: f(48n), slots: f(32n), bins: f(16n), classes: f(0n) }),
    };
  },
  toParameter: (rule) =>
    rule.support === undefined
      ? 0n
      : (BigInt(rule.support.members) << 48n) +
        (BigInt(rule.support.slots) << 32n) +
        (BigInt(rule.support.bins) << 16n) +
        BigInt(rule.support.classes),
  defaultParameter: () => 0n,
  screenHistory: 0,
  screen: ({ rule, updates, previous }) => {
    const flags: ScreenFlag[] = [];
    if (rule.support === undefined) return { flags, suspects: [] };
    const sent = updates.filter((u) => u.indices.length > 0).length;
    // Only the roots are open to every row: deeper, an honest member whose rows all sit in closed nodes
    // sends nothing, so an empty update is judged only while the base model holds no counts.
    const roots = previous !== undefined && previous.every((v) => v === 0);
    updates.forEach((update, index) => {
      const why =
        update.indices.length === 0
          ? sent > 0 && roots
            ? `sent no counts for the roots while ${sent} member${sent === 1 ? "" : "s"} did`
            : undefined
          : (notCounts(update, rule.support!) ??
            (previous === undefined ? undefined : recounted(update, rule.support!, previous)));
      if (why !== undefined) flags.push({ index, reason: "FreeRider", detail: why });
    });
    return { flags, suspects: flags.map((f) => f.index) };
  },
  aggregate: ({ rule, updates, dimension }) => {
    const out = new SparseBuilder(dimension, updates);
    const support = rule.support;
    if (support === undefined) {
      forEachSentCoordinate(updates, (index, count, values) => {
        // |sum| ≤ n · 2^31 ≤ 2^51 for any n a round can hold: exact in a double.
        let sum = 0;
        for (let i = 0; i < count; i++) sum += values[i]!;
        out.push(index, checked(index, sum));
      });
      return out.build();
    }
    const { members: q, bins, classes } = support;
    const width = bins * classes;
    const supporters = supportOf(updates, support);
    const vetoed = (h: number): boolean => {
      const n = supporters.get(h) ?? 0;
      return n >= 1 && n < q;
    };
    // A vetoed histogram's sums are gathered per class, then written to its first bin once it is complete
    // (its first-bin indices are its lowest, so the output stays in index order).
    let open = -1;
    const totals = new Array<number>(classes).fill(0);
    const flush = (): void => {
      if (open < 0) return;
      for (let c = 0; c < classes; c++) out.push(open * width + c, checked(open * width + c, totals[c]!));
      totals.fill(0);
      open = -1;
    };
    forEachSentCoordinate(updates, (index, count, values) => {
      let sum = 0;
      for (let i = 0; i < count; i++) sum += values[i]!;
      const h = Math.floor(index / width);
      if (h !== open) flush();
      if (!vetoed(h)) {
        out.push(index, checked(index, sum));
        return;
      }
      open = h;
      const c = (index - h * width) % classes;
      totals[c] = totals[c]! + sum;
    });
    flush();
    return out.build();
  },
};
