import { expect } from "chai";
import fc from "fast-check";
import {
  aggregate,
  computeRoundModel,
  AggregationError,
  clipUpdateL2,
  divRoundHalfAwayFromZero,
  divRoundHalfAwayFromZeroBig,
  integerSqrt,
  MAX_UPDATES,
  RULE_IDS,
  ruleFromPolicy,
  ruleToPolicy,
  squaredL2,
  type AggregationErrorCode,
  type AggregationRule,
  type MemberUpdate,
} from "../../src/aggregation/index.js";
import { decodeGlobalModel, globalModelHash, ModelFormatError } from "../../src/model/index.js";
import type { SparseUpdate } from "../../src/sparse/types.js";

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

// ---------------------------------------------------------------------------------------------------
// A naive reference: dense rows of bigints, full sorts, exact rational rounding. Deliberately shares no
// code with src/aggregation so that agreement means something.

function roundHalfAwayRef(numerator: bigint, denominator: bigint): bigint {
  const sign = numerator < 0n ? -1n : 1n;
  const magnitude = numerator * sign;
  return sign * ((2n * magnitude + denominator) / (2n * denominator));
}

function ceilSqrtRef(value: bigint): bigint {
  let lo = 0n;
  let hi = 1n << 64n;
  while (lo < hi) {
    const mid = (lo + hi) / 2n;
    if (mid * mid >= value) hi = mid;
    else lo = mid + 1n;
  }
  return lo;
}

function referenceAggregate(
  updates: readonly MemberUpdate[],
  rule: AggregationRule,
  dimension: number,
): { indices: number[]; values: number[] } | "overflow" {
  const members = [...updates].sort((a, b) => (a.member.toLowerCase() < b.member.toLowerCase() ? -1 : 1));
  let rows = members.map((m) => {
    const row = new Array<bigint>(dimension).fill(0n);
    m.update.indices.forEach((index, i) => (row[index] = BigInt(m.update.values[i]!)));
    return row;
  });
  const n = BigInt(rows.length);
  if (rule.kind === "clipped-mean" || rule.kind === "screened-mean") {
    const floorSqrt = (s: bigint): bigint => {
      const r = ceilSqrtRef(s);
      return r * r === s ? r : r - 1n;
    };
    // screened-mean clips to the lower median of the integer norms (its screen runs before aggregate).
    const norms = rows
      .map((row) => floorSqrt(row.reduce((acc, v) => acc + v * v, 0n)))
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const c = rule.kind === "clipped-mean" ? rule.clipL2 : norms[(norms.length - 1) >> 1]!;
    rows = rows.map((row) => {
      const s = row.reduce((acc, v) => acc + v * v, 0n);
      if (c === 0n || s <= c * c) return row;
      const r = ceilSqrtRef(s);
      return row.map((v) => (v < 0n ? -((-v * c) / r) : (v * c) / r));
    });
  }
  const out: { indices: number[]; values: number[] } = { indices: [], values: [] };
  for (let j = 0; j < dimension; j++) {
    const column = rows.map((row) => row[j]!);
    const sorted = [...column].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    let value: bigint;
    switch (rule.kind) {
      case "mean":
      case "clipped-mean":
      case "screened-mean":
        value = roundHalfAwayRef(
          column.reduce((a, b) => a + b, 0n),
          n,
        );
        break;
      case "weighted-mean": {
        const weights = members.map((m) => rule.weights[m.member.toLowerCase()] ?? rule.weights[m.member]!);
        const total = weights.reduce((a, b) => a + b, 0n);
        value = roundHalfAwayRef(
          column.reduce((acc, v, i) => acc + v * weights[i]!, 0n),
          total,
        );
        break;
      }
      case "trimmed-mean": {
        const kept = sorted.slice(rule.trim, sorted.length - rule.trim);
        value = roundHalfAwayRef(
          kept.reduce((a, b) => a + b, 0n),
          BigInt(kept.length),
        );
        break;
      }
      case "median": {
        const half = sorted.length >> 1;
        value =
          sorted.length % 2 === 1 ? sorted[half]! : roundHalfAwayRef(sorted[half - 1]! + sorted[half]!, 2n);
        break;
      }
      case "sum":
        value = column.reduce((a, b) => a + b, 0n);
        if (value > BigInt(INT32_MAX) || value < -BigInt(INT32_MAX)) return "overflow";
        break;
    }
    if (value !== 0n) {
      out.indices.push(j);
      out.values.push(Number(value));
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Generators

const valueArb = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: -6, max: 6 }) },
  { weight: 1, arbitrary: fc.integer({ min: INT32_MIN, max: INT32_MAX }) },
  { weight: 1, arbitrary: fc.constantFrom(INT32_MIN, INT32_MAX, INT32_MIN + 1, INT32_MAX - 1) },
);

const addressArb = fc
  .tuple(fc.uint8Array({ minLength: 20, maxLength: 20 }), fc.boolean())
  .map(([bytes, upper]) => {
    const hex = Buffer.from(bytes).toString("hex");
    return "0x" + (upper ? hex.toUpperCase() : hex);
  });

function sparseUpdateArb(dimension: number): fc.Arbitrary<SparseUpdate> {
  return fc
    .array(fc.tuple(fc.nat({ max: dimension - 1 }), valueArb), { maxLength: Math.min(dimension, 12) })
    .map((pairs) => {
      const byIndex = new Map<number, number>();
      for (const [index, value] of pairs) if (!byIndex.has(index)) byIndex.set(index, value);
      const indices = [...byIndex.keys()].sort((a, b) => a - b);
      return {
        dimension,
        indices: Uint32Array.from(indices),
        values: Int32Array.from(indices.map((i) => byIndex.get(i)!)),
      };
    });
}

interface Round {
  dimension: number;
  updates: MemberUpdate[];
}

const roundArb: fc.Arbitrary<Round> = fc
  .record({
    dimension: fc.integer({ min: 1, max: 24 }),
    members: fc.uniqueArray(addressArb, { minLength: 1, maxLength: 9, selector: (a) => a.toLowerCase() }),
  })
  .chain(({ dimension, members }) =>
    fc.tuple(...members.map(() => sparseUpdateArb(dimension))).map((updates) => ({
      dimension,
      updates: members.map((member, i) => ({ member, update: updates[i]! })),
    })),
  );

function weightsFor(updates: readonly MemberUpdate[], seed: readonly bigint[]): Record<string, bigint> {
  const weights: Record<string, bigint> = {};
  updates.forEach((u, i) => (weights[u.member.toLowerCase()] = seed[i % seed.length]!));
  return weights;
}

const ruleForRoundArb = (round: Round): fc.Arbitrary<AggregationRule> => {
  const n = round.updates.length;
  return fc.oneof(
    fc.constant<AggregationRule>({ kind: "mean" }),
    fc.constant<AggregationRule>({ kind: "median" }),
    fc
      .integer({ min: 0, max: Math.floor((n - 1) / 2) })
      .map((trim): AggregationRule => ({ kind: "trimmed-mean", trim })),
    fc
      .bigInt({ min: 1n, max: 1n << 40n })
      .map((clipL2): AggregationRule => ({ kind: "clipped-mean", clipL2 })),
    fc
      .array(
        // Small weights take the Number path (total ≤ 2^22), large ones the BigInt path.
        fc.oneof(fc.bigInt({ min: 0n, max: 10n }), fc.bigInt({ min: 0n, max: 1n << 70n })),
        { minLength: 1, maxLength: 4 },
      )
      // The first member always gets seed[0], so a positive seed[0] keeps the included total above 0.
      .filter((seed) => seed[0]! > 0n)
      .map((seed): AggregationRule => ({ kind: "weighted-mean", weights: weightsFor(round.updates, seed) })),
  );
};

function plain(update: SparseUpdate): { indices: number[]; values: number[] } {
  return { indices: Array.from(update.indices), values: Array.from(update.values) };
}

function expectCode(fn: () => unknown, code: AggregationErrorCode): void {
  try {
    fn();
  } catch (error) {
    expect(error).to.be.instanceOf(AggregationError);
    expect((error as AggregationError).code).to.equal(code);
    return;
  }
  expect.fail(`expected AggregationError ${code}`);
}

const A = "0x" + "a".repeat(40);
const B = "0x" + "b".repeat(40);
const C = "0x" + "c".repeat(40);
const D = "0x" + "d".repeat(40);
const E = "0x" + "e".repeat(40);
function u(dimension: number, indices: number[], values: number[]): SparseUpdate {
  return { dimension, indices: Uint32Array.from(indices), values: Int32Array.from(values) };
}

// ---------------------------------------------------------------------------------------------------

describe("aggregation", function () {
  describe("every rule", function () {
    it("equals the dense reference on random rounds", function () {
      fc.assert(
        fc.property(
          roundArb.chain((round) => fc.tuple(fc.constant(round), ruleForRoundArb(round))),
          ([round, rule]) => {
            const expected = referenceAggregate(round.updates, rule, round.dimension);
            const run = () => aggregate({ updates: round.updates, rule, dimension: round.dimension });
            if (expected === "overflow") return expectCode(run, "overflow");
            const result = run();
            expect(plain(result)).to.deep.equal(expected);
            expect(result.dimension).to.equal(round.dimension);
          },
        ),
        { numRuns: 600 },
      );
    });

    it("equals the dense reference with hundreds of members sharing coordinates", function () {
      fc.assert(
        fc.property(
          fc.integer({ min: 200, max: 400 }),
          fc.integer({ min: 0, max: 2 ** 31 - 1 }),
          (n, seed) => {
            const dimension = 40;
            let state = seed;
            const next = (): number => (state = (Math.imul(state, 1103515245) + 12345) >>> 0);
            const updates: MemberUpdate[] = [];
            for (let m = 0; m < n; m++) {
              const indices: number[] = [];
              const values: number[] = [];
              for (let j = 0; j < dimension; j++) {
                if (next() % 4 === 0) {
                  indices.push(j);
                  values.push((next() % 2001) - 1000);
                }
              }
              updates.push({
                member: "0x" + m.toString(16).padStart(40, "0"),
                update: u(dimension, indices, values),
              });
            }
            const rules: AggregationRule[] = [
              { kind: "mean" },
              { kind: "median" },
              { kind: "trimmed-mean", trim: Math.floor(n / 5) },
              { kind: "clipped-mean", clipL2: 1500n },
              { kind: "weighted-mean", weights: weightsFor(updates, [1n, 2n, 3n]) },
            ];
            for (const rule of rules) {
              expect(plain(aggregate({ updates, rule, dimension }))).to.deep.equal(
                referenceAggregate(updates, rule, dimension),
              );
            }
          },
        ),
        { numRuns: 5 },
      );
    });

    it("does not depend on input order or address letter case", function () {
      fc.assert(
        fc.property(
          roundArb.chain((round) =>
            fc.tuple(
              fc.constant(round),
              ruleForRoundArb(round),
              fc.shuffledSubarray(round.updates, {
                minLength: round.updates.length,
                maxLength: round.updates.length,
              }),
            ),
          ),
          ([round, rule, shuffled]) => {
            const recased = shuffled.map((entry, i) => ({
              ...entry,
              member: i % 2 === 0 ? "0x" + entry.member.slice(2).toUpperCase() : entry.member.toLowerCase(),
            }));
            const a = aggregate({ updates: round.updates, rule, dimension: round.dimension });
            const b = aggregate({ updates: recased, rule, dimension: round.dimension });
            expect(plain(b)).to.deep.equal(plain(a));
          },
        ),
        { numRuns: 300 },
      );
    });

    it("outputs strictly increasing indices below d and no zero values", function () {
      fc.assert(
        fc.property(
          roundArb.chain((round) => fc.tuple(fc.constant(round), ruleForRoundArb(round))),
          ([round, rule]) => {
            const result = aggregate({ updates: round.updates, rule, dimension: round.dimension });
            expect(result.indices.length).to.equal(result.values.length);
            for (let i = 0; i < result.indices.length; i++) {
              if (i > 0) expect(result.indices[i]!).to.be.greaterThan(result.indices[i - 1]!);
              expect(result.indices[i]!).to.be.lessThan(round.dimension);
              expect(result.values[i]).to.not.equal(0);
            }
          },
        ),
        { numRuns: 300 },
      );
    });

    it("is odd-symmetric: negating every update negates the result (mean, median, trimmed)", function () {
      fc.assert(
        fc.property(
          roundArb.chain((round) => fc.tuple(fc.constant(round), ruleForRoundArb(round))),
          ([round, rule]) => {
            fc.pre(rule.kind !== "weighted-mean" && rule.kind !== "clipped-mean");
            fc.pre(round.updates.every((m) => m.update.values.every((v) => v !== INT32_MIN)));
            const negated = round.updates.map((m) => ({
              ...m,
              update: { ...m.update, values: m.update.values.map((v) => -v) },
            }));
            const a = aggregate({ updates: round.updates, rule, dimension: round.dimension });
            const b = aggregate({ updates: negated, rule, dimension: round.dimension });
            expect(Array.from(b.indices)).to.deep.equal(Array.from(a.indices));
            expect(Array.from(b.values)).to.deep.equal(Array.from(a.values).map((v) => -v));
          },
        ),
        { numRuns: 300 },
      );
    });
  });

  describe("rule relations", function () {
    const roundWithRule = roundArb;

    it("median equals the trimmed mean that trims floor((n - 1) / 2) per side", function () {
      fc.assert(
        fc.property(roundWithRule, (round) => {
          const trim = Math.floor((round.updates.length - 1) / 2);
          const median = aggregate({
            updates: round.updates,
            rule: { kind: "median" },
            dimension: round.dimension,
          });
          const trimmed = aggregate({
            updates: round.updates,
            rule: { kind: "trimmed-mean", trim },
            dimension: round.dimension,
          });
          expect(plain(median)).to.deep.equal(plain(trimmed));
        }),
      );
    });

    it("trimmed mean with trim 0, equal weights and a clip above every norm all equal the mean", function () {
      fc.assert(
        fc.property(roundWithRule, fc.bigInt({ min: 1n, max: 1n << 80n }), (round, weight) => {
          const { updates, dimension } = round;
          const mean = plain(aggregate({ updates, rule: { kind: "mean" }, dimension }));
          expect(
            plain(aggregate({ updates, rule: { kind: "trimmed-mean", trim: 0 }, dimension })),
          ).to.deep.equal(mean);
          expect(
            plain(
              aggregate({
                updates,
                rule: { kind: "weighted-mean", weights: weightsFor(updates, [weight]) },
                dimension,
              }),
            ),
          ).to.deep.equal(mean);
          expect(
            plain(aggregate({ updates, rule: { kind: "clipped-mean", clipL2: 1n << 40n }, dimension })),
          ).to.deep.equal(mean);
        }),
      );
    });

    it("returns a single update unchanged under every rule but a binding clip", function () {
      fc.assert(
        fc.property(sparseUpdateArb(30), (update) => {
          const updates = [{ member: A, update }];
          for (const rule of [
            { kind: "mean" },
            { kind: "median" },
            { kind: "trimmed-mean", trim: 0 },
            { kind: "weighted-mean", weights: { [A]: 7n } },
          ] as AggregationRule[]) {
            const result = aggregate({ updates, rule, dimension: 30 });
            const nonZero = plain(update).indices.filter((_, i) => update.values[i] !== 0);
            expect(Array.from(result.indices)).to.deep.equal(nonZero);
          }
        }),
      );
    });
  });

  describe("documented semantics on small cases", function () {
    it("counts a member that did not send a coordinate as a 0 there", function () {
      const updates = [
        { member: A, update: u(4, [0], [3]) },
        { member: B, update: u(4, [], []) },
        { member: C, update: u(4, [1], [6]) },
      ];
      expect(plain(aggregate({ updates, rule: { kind: "mean" }, dimension: 4 }))).to.deep.equal({
        indices: [0, 1],
        values: [1, 2],
      });
      // Two of three members have 0 at each coordinate, so the median is 0 everywhere.
      expect(plain(aggregate({ updates, rule: { kind: "median" }, dimension: 4 }))).to.deep.equal({
        indices: [],
        values: [],
      });
    });

    it("sum equals the dense reference and ignores input order, for values in the circuits' range", function () {
      const circuitValue = fc.integer({ min: -(2 ** 15) + 1, max: 2 ** 15 - 1 });
      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 30 }).chain((dimension) =>
            fc.tuple(
              fc.constant(dimension),
              fc.array(fc.uniqueArray(fc.integer({ min: 0, max: dimension - 1 }), { maxLength: dimension }), {
                minLength: 1,
                maxLength: 12,
              }),
              fc.array(circuitValue, { minLength: 30, maxLength: 30 }),
            ),
          ),
          ([dimension, indexSets, pool]) => {
            const updates = indexSets.map((set, m) => {
              const indices = [...set].sort((a, b) => a - b);
              return {
                member: "0x" + (m + 1).toString(16).padStart(40, "0"),
                update: u(
                  dimension,
                  indices,
                  indices.map((j) => pool[(j + m) % pool.length]!),
                ),
              };
            });
            const rule: AggregationRule = { kind: "sum" };
            const result = plain(aggregate({ updates, rule, dimension }));
            expect(result).to.deep.equal(referenceAggregate(updates, rule, dimension));
            expect(plain(aggregate({ updates: [...updates].reverse(), rule, dimension }))).to.deep.equal(
              result,
            );
          },
        ),
        { numRuns: 300 },
      );
    });

    it("sums exactly where the mean rounds a rare count away, and refuses a sum outside int32", function () {
      // A histogram bin in which one of four members saw one row of the rare class.
      const counts = [
        { member: A, update: u(3, [0, 2], [1, 250]) },
        { member: B, update: u(3, [2], [3]) },
        { member: C, update: u(3, [1, 2], [2, 9]) },
        { member: D, update: u(3, [], []) },
      ];
      expect(plain(aggregate({ updates: counts, rule: { kind: "sum" }, dimension: 3 }))).to.deep.equal({
        indices: [0, 1, 2],
        values: [1, 2, 262],
      });
      expect(
        plain(aggregate({ updates: counts, rule: { kind: "mean" }, dimension: 3 })).indices,
      ).to.deep.equal([1, 2]);
      const big = [
        { member: A, update: u(2, [1], [INT32_MAX]) },
        { member: B, update: u(2, [1], [1]) },
      ];
      expectCode(() => aggregate({ updates: big, rule: { kind: "sum" }, dimension: 2 }), "overflow");
      // Opposite signs that stay within int32 are fine, and an exact zero is dropped (canonical output).
      const cancel = [
        { member: A, update: u(2, [0, 1], [INT32_MAX, 5]) },
        { member: B, update: u(2, [0, 1], [-INT32_MAX, 1]) },
      ];
      expect(plain(aggregate({ updates: cancel, rule: { kind: "sum" }, dimension: 2 }))).to.deep.equal({
        indices: [1],
        values: [6],
      });
    });

    it("a supported sum equals a dense reference: histograms 1 ≤ varying < q members vary on collapse into their first bin", function () {
      const denseVeto = (
        updates: { update: { indices: Uint32Array; values: Int32Array } }[],
        dimension: number,
        { members: q, bins, classes }: { members: number; bins: number; classes: number },
      ) => {
        const rows = updates.map(({ update }) => {
          const row = new Array<number>(dimension).fill(0);
          update.indices.forEach((i, j) => (row[i] = update.values[j]!));
          return row;
        });
        const sums = Array.from({ length: dimension }, (_, i) => rows.reduce((a, r) => a + r[i]!, 0));
        const width = bins * classes;
        for (let h = 0; h * width < dimension; h++) {
          const cells: number[] = [];
          for (let i = h * width; i < Math.min(dimension, (h + 1) * width); i++) cells.push(i);
          const binOf = (i: number) => Math.floor((i - h * width) / classes);
          const varying = rows.filter(
            (r) => new Set(cells.filter((i) => r[i]! > 0).map(binOf)).size >= 2,
          ).length;
          if (varying < 1 || varying >= q) continue;
          const totals = new Array<number>(classes).fill(0);
          for (const i of cells)
            totals[(i - h * width) % classes] = totals[(i - h * width) % classes]! + sums[i]!;
          for (const i of cells) sums[i] = 0;
          totals.forEach((t, c) => {
            if (h * width + c < dimension) sums[h * width + c] = t;
          });
        }
        const indices = [...sums.keys()].filter((i) => sums[i] !== 0);
        return { indices, values: indices.map((i) => sums[i]!) };
      };
      fc.assert(
        fc.property(
          fc.record({
            dimension: fc.integer({ min: 1, max: 40 }),
            bins: fc.integer({ min: 2, max: 5 }),
            classes: fc.integer({ min: 1, max: 3 }),
            q: fc.integer({ min: 2, max: 6 }),
            members: fc.integer({ min: 1, max: 8 }),
            seed: fc.integer({ min: 0, max: 1e9 }),
          }),
          ({ dimension, bins, classes, q, members, seed }) => {
            let state = seed;
            const next = () => (state = (state * 1103515245 + 12345) % 2 ** 31);
            const updates = Array.from({ length: members }, (_, m) => {
              const indices = [...Array(dimension).keys()].filter(() => next() % 3 === 0);
              return {
                member: "0x" + (m + 1).toString(16).padStart(40, "0"),
                update: u(
                  dimension,
                  indices,
                  indices.map(() => (next() % 9) - 2),
                ),
              };
            });
            const support = { members: q, slots: 1, bins, classes };
            const rule: AggregationRule = { kind: "sum", support };
            const result = plain(aggregate({ updates, rule, dimension }));
            expect(result).to.deep.equal(denseVeto(updates, dimension, support));
            expect(plain(aggregate({ updates: [...updates].reverse(), rule, dimension }))).to.deep.equal(
              result,
            );
            // A veto moves counts between bins, never between classes: each class's total is the plain sum's.
            const plainSum = plain(aggregate({ updates, rule: { kind: "sum" }, dimension }));
            const total = (r: { indices: number[]; values: number[] }) => r.values.reduce((a, b) => a + b, 0);
            expect(total(result)).to.equal(total(plainSum));
          },
        ),
        { numRuns: 300 },
      );
    });

    it("a supported sum vetoes the histogram only the attackers vary on, keeps one that varies only across members, and refuses overflow", function () {
      // Two histograms of 2 bins × 2 classes. Honest members fill one bin each of both (one varies on the
      // first); the two attackers fill both bins of the second (the trigger's combination).
      const updates = [
        { member: A, update: u(8, [0, 1, 4], [5, 1, 3]) },
        { member: B, update: u(8, [2, 3, 6], [4, 2, 3]) },
        { member: C, update: u(8, [0, 2, 4], [1, 1, 2]) },
        { member: D, update: u(8, [4, 6, 7], [9, 1, 8]) },
        { member: E, update: u(8, [5, 7], [4, 6]) },
      ];
      const rule: AggregationRule = { kind: "sum", support: { members: 3, slots: 1, bins: 2, classes: 2 } };
      // Histogram 0: only C varies (1 < 3) → collapsed; histogram 1: D and E vary (2 < 3) → collapsed.
      expect(plain(aggregate({ updates, rule, dimension: 8 }))).to.deep.equal({
        indices: [0, 1, 4, 5],
        values: [11, 3, 18, 18],
      });
      // With q = 2 the first histogram (one member varies) still collapses, the second stands.
      expect(
        plain(
          aggregate({
            updates,
            rule: { kind: "sum", support: { members: 2, slots: 1, bins: 2, classes: 2 } },
            dimension: 8,
          }),
        ),
      ).to.deep.equal({ indices: [0, 1, 4, 5, 6, 7], values: [11, 3, 14, 4, 4, 14] });
      // Nobody varies: kept however q is set (product type under a split by type).
      const acrossMembers = [
        { member: A, update: u(4, [0], [5]) },
        { member: B, update: u(4, [2], [7]) },
      ];
      expect(
        plain(
          aggregate({
            updates: acrossMembers,
            rule: { kind: "sum", support: { members: 9, slots: 1, bins: 2, classes: 2 } },
            dimension: 4,
          }),
        ),
      ).to.deep.equal({ indices: [0, 2], values: [5, 7] });
      const big = [
        { member: A, update: u(4, [0, 2], [INT32_MAX - 1, 1]) },
        { member: B, update: u(4, [0, 2], [1, 1]) },
      ];
      // Each cell fits int32, the collapsed bin does not: refused.
      expectCode(
        () =>
          aggregate({
            updates: [...big, { member: C, update: u(4, [0], [-1]) }],
            rule: { kind: "sum", support: { members: 9, slots: 1, bins: 2, classes: 2 } },
            dimension: 4,
          }),
        "overflow",
      );
    });

    it("rounds the mean half away from zero", function () {
      // Two members: sums 1, -1, 3, -3, 5 over n = 2 → 0.5, -0.5, 1.5, -1.5, 2.5.
      const updates = [
        { member: A, update: u(6, [0, 1, 2, 3, 4, 5], [1, -1, 2, -2, 2, 1]) },
        { member: B, update: u(6, [2, 3, 4, 5], [1, -1, 3, 0]) },
      ];
      expect(plain(aggregate({ updates, rule: { kind: "mean" }, dimension: 6 }))).to.deep.equal({
        indices: [0, 1, 2, 3, 4, 5],
        values: [1, -1, 2, -2, 3, 1],
      });
    });

    it("takes the rounded mean of the two middle values as the median of an even count", function () {
      const updates = [
        { member: A, update: u(2, [0, 1], [1, -7]) },
        { member: B, update: u(2, [0, 1], [4, -2]) },
        { member: C, update: u(2, [0, 1], [9, -100]) },
        { member: "0x" + "d".repeat(40), update: u(2, [0], [2]) },
      ];
      // Coordinate 0: 1, 2, 4, 9 → (2 + 4) / 2 = 3. Coordinate 1: -100, -7, -2, 0 → -4.5 → -5.
      expect(plain(aggregate({ updates, rule: { kind: "median" }, dimension: 2 }))).to.deep.equal({
        indices: [0, 1],
        values: [3, -5],
      });
    });

    it("trims the extremes, implicit zeros included", function () {
      const updates = [
        { member: A, update: u(1, [0], [1000]) },
        { member: B, update: u(1, [0], [3]) },
        { member: C, update: u(1, [0], [5]) },
        { member: "0x" + "d".repeat(40), update: u(1, [], []) },
      ];
      // Sorted: 0, 3, 5, 1000; trim 1 keeps 3 and 5 → 4.
      expect(
        plain(aggregate({ updates, rule: { kind: "trimmed-mean", trim: 1 }, dimension: 1 })),
      ).to.deep.equal({
        indices: [0],
        values: [4],
      });
    });

    it("weights members by governance weight, over the included members' total", function () {
      const updates = [
        { member: A, update: u(1, [0], [10]) },
        { member: B, update: u(1, [0], [-10]), weight: 3n },
      ];
      const rule: AggregationRule = { kind: "weighted-mean", weights: { [A]: 1n, [B]: 3n, [C]: 1000n } };
      // (10·1 − 10·3) / 4 = −5; C is not included, so its weight does not count.
      expect(plain(aggregate({ updates, rule, dimension: 1 }))).to.deep.equal({ indices: [0], values: [-5] });
    });

    it("stays exact for weighted means at int32 extremes on both sides of the Number/BigInt switch", function () {
      for (const total of [2n ** 22n - 1n, 2n ** 22n, 2n ** 22n + 1n, 2n ** 60n]) {
        const updates = [
          { member: A, update: u(2, [0, 1], [INT32_MIN, INT32_MAX]) },
          { member: B, update: u(2, [0, 1], [INT32_MIN, INT32_MIN]) },
          { member: C, update: u(2, [0], [1]) },
        ];
        const rule: AggregationRule = {
          kind: "weighted-mean",
          weights: { [A]: total - 2n, [B]: 1n, [C]: 1n },
        };
        expect(plain(aggregate({ updates, rule, dimension: 2 }))).to.deep.equal(
          referenceAggregate(updates, rule, 2),
        );
      }
    });

    it("clips each update's norm before the mean", function () {
      // (30, 40) has norm 50; clipped to 10 → (6, 8). (0, 5) is within. Mean over 2 → (3, 6.5 → 7).
      const updates = [
        { member: A, update: u(2, [0, 1], [30, 40]) },
        { member: B, update: u(2, [1], [5]) },
      ];
      expect(
        plain(aggregate({ updates, rule: { kind: "clipped-mean", clipL2: 10n }, dimension: 2 })),
      ).to.deep.equal({
        indices: [0, 1],
        values: [3, 7],
      });
    });

    it("never touches coordinates nobody sent, even at d = 2^32 - 1", function () {
      // A dense accumulator here would need 16 GiB; the merge only visits the 4 sent coordinates.
      const dimension = 2 ** 32 - 1;
      const updates = [
        { member: A, update: u(dimension, [0, dimension - 1], [4, -4]) },
        { member: B, update: u(dimension, [7, dimension - 1], [2, -2]) },
      ];
      for (const rule of [
        { kind: "mean" },
        { kind: "median" },
        { kind: "trimmed-mean", trim: 0 },
        { kind: "clipped-mean", clipL2: 2n },
      ] as AggregationRule[]) {
        const result = aggregate({ updates, rule, dimension });
        expect(result.dimension).to.equal(dimension);
        expect(Array.from(result.indices).every((i) => [0, 7, dimension - 1].includes(i))).to.be.true;
        expect(result.indices.length).to.be.greaterThan(0);
      }
    });
  });

  describe("validation", function () {
    const ok = [{ member: A, update: u(3, [1], [2]) }];

    it("rejects bad inputs with typed error codes", function () {
      expectCode(() => aggregate({ updates: [], rule: { kind: "mean" }, dimension: 3 }), "no-updates");
      expectCode(() => aggregate({ updates: ok, rule: { kind: "mean" }, dimension: 0 }), "bad-dimension");
      expectCode(() => aggregate({ updates: ok, rule: { kind: "mean" }, dimension: 1.5 }), "bad-dimension");
      expectCode(
        () => aggregate({ updates: ok, rule: { kind: "mean" }, dimension: 2 ** 32 }),
        "bad-dimension",
      );
      expectCode(
        () => aggregate({ updates: ok, rule: { kind: "mean" }, dimension: 4 }),
        "dimension-mismatch",
      );
      expectCode(
        () =>
          aggregate({
            updates: [{ member: A, update: u(3, [2, 1], [1, 1]) }],
            rule: { kind: "mean" },
            dimension: 3,
          }),
        "bad-update",
      );
      expectCode(
        () =>
          aggregate({
            updates: [{ member: A, update: u(3, [1, 1], [1, 1]) }],
            rule: { kind: "mean" },
            dimension: 3,
          }),
        "bad-update",
      );
      expectCode(
        () =>
          aggregate({
            updates: [{ member: A, update: u(3, [3], [1]) }],
            rule: { kind: "mean" },
            dimension: 3,
          }),
        "bad-update",
      );
      expectCode(
        () =>
          aggregate({
            updates: [
              { member: A, update: { dimension: 3, indices: Uint32Array.of(1), values: Int32Array.of() } },
            ],
            rule: { kind: "mean" },
            dimension: 3,
          }),
        "bad-update",
      );
      expectCode(
        () =>
          aggregate({
            updates: [
              {
                member: A,
                update: { dimension: 3, indices: [1] as unknown as Uint32Array, values: Int32Array.of(1) },
              },
            ],
            rule: { kind: "mean" },
            dimension: 3,
          }),
        "bad-update",
      );
      expectCode(
        () =>
          aggregate({
            updates: [{ member: "0x1234", update: u(3, [], []) }],
            rule: { kind: "mean" },
            dimension: 3,
          }),
        "bad-member",
      );
      expectCode(
        () =>
          aggregate({
            updates: [
              { member: A, update: u(3, [], []) },
              { member: A.toUpperCase().replace("0X", "0x"), update: u(3, [], []) },
            ],
            rule: { kind: "mean" },
            dimension: 3,
          }),
        "duplicate-member",
      );
      expectCode(
        () => aggregate({ updates: ok, rule: { kind: "mode" } as unknown as AggregationRule, dimension: 3 }),
        "bad-rule",
      );
    });

    it("rejects rule parameters that do not fit the round", function () {
      const three = [A, B, C].map((member) => ({ member, update: u(3, [0], [1]) }));
      expectCode(
        () => aggregate({ updates: three, rule: { kind: "trimmed-mean", trim: 2 }, dimension: 3 }),
        "trim-too-large",
      );
      expectCode(
        () => aggregate({ updates: three, rule: { kind: "trimmed-mean", trim: -1 }, dimension: 3 }),
        "bad-rule-param",
      );
      expectCode(
        () => aggregate({ updates: three, rule: { kind: "trimmed-mean", trim: 0.5 }, dimension: 3 }),
        "bad-rule-param",
      );
      expectCode(
        () => aggregate({ updates: three, rule: { kind: "clipped-mean", clipL2: 0n }, dimension: 3 }),
        "bad-rule-param",
      );
      expectCode(
        () =>
          aggregate({
            updates: three,
            rule: { kind: "weighted-mean", weights: { [A]: 1n, [B]: 1n } },
            dimension: 3,
          }),
        "missing-weight",
      );
      expectCode(
        () =>
          aggregate({
            updates: three,
            rule: { kind: "weighted-mean", weights: { [A]: 0n, [B]: 0n, [C]: 0n } },
            dimension: 3,
          }),
        "bad-weight",
      );
      expectCode(
        () =>
          aggregate({
            updates: three,
            rule: { kind: "weighted-mean", weights: { [A]: 1n, [B]: -1n, [C]: 1n } },
            dimension: 3,
          }),
        "bad-weight",
      );
      expectCode(
        () =>
          aggregate({
            updates: three.map((m) => ({ ...m, weight: 2n })),
            rule: { kind: "weighted-mean", weights: { [A]: 1n, [B]: 1n, [C]: 1n } },
            dimension: 3,
          }),
        "weight-conflict",
      );
      expectCode(
        () => aggregate({ updates: [{ ...ok[0]!, weight: 1n }], rule: { kind: "mean" }, dimension: 3 }),
        "weight-not-applicable",
      );
    });

    it("caps the number of updates so coordinate sums stay exact", function () {
      expect(MAX_UPDATES).to.equal(2 ** 20);
      // 2^20 updates of |v| ≤ 2^31 sum to at most 2^51 < 2^53.
      expect(MAX_UPDATES * 2 ** 31).to.be.at.most(Number.MAX_SAFE_INTEGER);
      const tooMany = { length: MAX_UPDATES + 1 } as unknown as MemberUpdate[];
      expectCode(
        () =>
          aggregate({
            updates: Object.assign([], tooMany, { length: MAX_UPDATES + 1 }),
            rule: { kind: "mean" },
            dimension: 3,
          }),
        "too-many-updates",
      );
    });
  });
});

describe("aggregation arithmetic helpers", function () {
  it("divRoundHalfAwayFromZero equals exact bigint rounding up to |n| < 2^53", function () {
    const numerator = fc.oneof(
      fc.integer({ min: -1000, max: 1000 }),
      fc.maxSafeInteger(),
      fc.integer({ min: 0, max: 2 ** 20 }).map((k) => Number.MAX_SAFE_INTEGER - k),
      fc.integer({ min: 0, max: 2 ** 20 }).map((k) => -Number.MAX_SAFE_INTEGER + k),
    );
    const denominator = fc.oneof(
      fc.integer({ min: 1, max: 10 }),
      fc.integer({ min: 1, max: 2 ** 20 }),
      fc.maxSafeNat().filter((d) => d > 0),
    );
    fc.assert(
      fc.property(numerator, denominator, (n, d) => {
        expect(BigInt(divRoundHalfAwayFromZero(n, d))).to.equal(roundHalfAwayRef(BigInt(n), BigInt(d)));
        expect(divRoundHalfAwayFromZeroBig(BigInt(n), BigInt(d))).to.equal(
          roundHalfAwayRef(BigInt(n), BigInt(d)),
        );
      }),
      { numRuns: 2000 },
    );
  });

  it("divRoundHalfAwayFromZero is exact where a float quotient rounds across an integer", function () {
    // (2^33·2^20 − 1) / 2^20 = 2^33 − 2^-20, which a double rounds up to exactly 2^33.
    const n = 2 ** 53 - 1;
    const d = 2 ** 20;
    expect(divRoundHalfAwayFromZero(n, d)).to.equal(Number(roundHalfAwayRef(BigInt(n), BigInt(d))));
    expect(divRoundHalfAwayFromZero(-n, d)).to.equal(-divRoundHalfAwayFromZero(n, d));
  });

  it("integerSqrt is the floor square root", function () {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 1n << 200n }), (x) => {
        const r = integerSqrt(x);
        expect(r * r <= x).to.be.true;
        expect((r + 1n) * (r + 1n) > x).to.be.true;
      }),
      { numRuns: 1000 },
    );
    for (const x of [0n, 1n, 2n, 3n, 4n, 15n, 16n, 17n, (1n << 62n) - 1n, 1n << 62n]) {
      const r = integerSqrt(x);
      expect(r * r <= x && (r + 1n) * (r + 1n) > x).to.be.true;
    }
  });

  it("squaredL2 is the exact sum of squares", function () {
    fc.assert(
      fc.property(sparseUpdateArb(200), (update) => {
        const exact = Array.from(update.values).reduce((acc, v) => acc + BigInt(v) * BigInt(v), 0n);
        expect(squaredL2(update)).to.equal(exact);
      }),
    );
    // Enough 2^20-sized values to cross the flush threshold of the Number partial sum.
    const big = u(5000, [...Array(5000).keys()], new Array<number>(5000).fill(2 ** 20));
    expect(squaredL2(big)).to.equal(5000n * (1n << 40n));
  });

  it("clipUpdateL2 always meets the bound, keeps signs and never grows a value", function () {
    fc.assert(
      fc.property(sparseUpdateArb(50), fc.bigInt({ min: 1n, max: 1n << 33n }), (update, clipL2) => {
        const clipped = clipUpdateL2({ update, clipL2 });
        expect(squaredL2(clipped) <= clipL2 * clipL2).to.be.true;
        const original = new Map(Array.from(update.indices).map((index, i) => [index, update.values[i]!]));
        clipped.indices.forEach((index, i) => {
          const before = original.get(index)!;
          const after = clipped.values[i]!;
          // A scaled update drops the entries that reached 0; an unchanged one is returned as given.
          if (clipped !== update) expect(after).to.not.equal(0);
          expect(Math.sign(after)).to.equal(Math.sign(before));
          expect(Math.abs(after)).to.be.at.most(Math.abs(before));
        });
        if (squaredL2(update) <= clipL2 * clipL2) expect(clipped).to.equal(update);
      }),
      { numRuns: 1000 },
    );
  });
});

describe("rules from the on-chain policy", function () {
  it("numbers the rules stably", function () {
    expect(RULE_IDS).to.deep.equal({
      mean: 0,
      "weighted-mean": 1,
      "trimmed-mean": 2,
      median: 3,
      "clipped-mean": 4,
      "screened-mean": 5,
      sum: 6,
    });
  });

  it("builds each rule and round-trips through ruleToPolicy", function () {
    expect(ruleFromPolicy({ ruleId: 0, param: 0n })).to.deep.equal({ kind: "mean" });
    expect(ruleFromPolicy({ ruleId: 2, param: 3n })).to.deep.equal({ kind: "trimmed-mean", trim: 3 });
    expect(ruleFromPolicy({ ruleId: 3, param: 0n })).to.deep.equal({ kind: "median" });
    expect(ruleFromPolicy({ ruleId: 4, param: 4096n })).to.deep.equal({
      kind: "clipped-mean",
      clipL2: 4096n,
    });
    expect(ruleFromPolicy({ ruleId: 1, param: 0n, weights: { [A]: 2n } })).to.deep.equal({
      kind: "weighted-mean",
      weights: { [A]: 2n },
    });
    const supported = (4n << 48n) + (3n << 32n) + (32n << 16n) + 2n;
    expect(ruleFromPolicy({ ruleId: 6, param: supported })).to.deep.equal({
      kind: "sum",
      support: { members: 4, slots: 3, bins: 32, classes: 2 },
    });
    // Too large for the policy's uint64, negative, q = 1, m = 0, B = 1, C = 0.
    for (const param of [
      1n << 64n,
      -1n,
      (1n << 48n) + (3n << 32n) + (32n << 16n) + 2n,
      (4n << 48n) + (32n << 16n) + 2n,
      (4n << 48n) + (3n << 32n) + (1n << 16n) + 2n,
      (4n << 48n) + (3n << 32n) + (32n << 16n),
    ])
      expectCode(() => ruleFromPolicy({ ruleId: 6, param }), "bad-rule-param");
    for (const policy of [
      { ruleId: 0, param: 0n },
      { ruleId: 2, param: 5n },
      { ruleId: 3, param: 0n },
      { ruleId: 4, param: 1n << 40n },
      { ruleId: 6, param: 0n },
      { ruleId: 6, param: (4n << 48n) + (3n << 32n) + (32n << 16n) + 2n },
    ]) {
      expect(ruleToPolicy(ruleFromPolicy(policy))).to.deep.equal(policy);
    }
    expect(ruleToPolicy({ kind: "weighted-mean", weights: { [A]: 1n } })).to.deep.equal({
      ruleId: 1,
      param: 0n,
    });
  });

  it("rejects unknown ids and parameters the rule does not take", function () {
    expectCode(() => ruleFromPolicy({ ruleId: 7, param: 0n }), "unknown-rule-id");
    expectCode(() => ruleFromPolicy({ ruleId: 6, param: 1n }), "bad-rule-param");
    expectCode(() => ruleFromPolicy({ ruleId: 5, param: 0n }), "bad-rule-param");
    expectCode(() => ruleFromPolicy({ ruleId: 5, param: 1000n }), "bad-rule-param");
    expectCode(() => ruleFromPolicy({ ruleId: -1, param: 0n }), "unknown-rule-id");
    expectCode(() => ruleFromPolicy({ ruleId: 0, param: 1n }), "bad-rule-param");
    expectCode(() => ruleFromPolicy({ ruleId: 3, param: 2n }), "bad-rule-param");
    expectCode(() => ruleFromPolicy({ ruleId: 2, param: -1n }), "bad-rule-param");
    expectCode(() => ruleFromPolicy({ ruleId: 2, param: BigInt(MAX_UPDATES) + 1n }), "bad-rule-param");
    expectCode(() => ruleFromPolicy({ ruleId: 4, param: 0n }), "bad-rule-param");
    expectCode(() => ruleFromPolicy({ ruleId: 1, param: 0n }), "missing-weight");
    expectCode(() => ruleFromPolicy({ ruleId: 0, param: 0n, weights: { [A]: 1n } }), "weight-not-applicable");
    expectCode(() => ruleFromPolicy({ ruleId: 1, param: 0n, weights: { nobody: 1n } }), "bad-member");
    expectCode(
      () =>
        ruleFromPolicy({
          ruleId: 1,
          param: 0n,
          weights: { [A]: 1n, [A.toUpperCase().replace("0X", "0x")]: 2n },
        }),
      "bad-weight",
    );
  });
});

describe("computeRoundModel", function () {
  const previous = { task: 11, round: 4, scale: 4096, params: Int32Array.of(10, 20, 30) };
  const updates = [
    { member: A, update: u(3, [0, 2], [4, -6]) },
    { member: B, update: u(3, [2], [2]) },
  ];

  it("aggregates, applies, encodes and hashes in one deterministic step", function () {
    const result = computeRoundModel({ previous, updates, rule: { kind: "mean" }, round: 5 });
    expect(plain(result.delta)).to.deep.equal({ indices: [0, 2], values: [2, -2] });
    expect(result.model).to.deep.equal({
      task: 11,
      round: 5,
      scale: 4096,
      params: Int32Array.of(12, 20, 28),
    });
    expect(decodeGlobalModel(result.bytes)).to.deep.equal(result.model);
    expect(result.hash).to.equal(globalModelHash(result.bytes));
    // (With two members the median is the mean; a binding clip changes the delta and so the hash.)
    const other = computeRoundModel({
      previous,
      updates,
      rule: { kind: "clipped-mean", clipL2: 1n },
      round: 5,
    });
    expect(other.hash).to.not.equal(result.hash);
  });

  it("carries the previous parameters into the new round when every update was excluded", function () {
    const result = computeRoundModel({ previous, updates: [], rule: { kind: "median" }, round: 5 });
    expect(result.model).to.deep.equal({ ...previous, round: 5 });
    expect(result.delta.indices.length).to.equal(0);
    expectCode(
      () =>
        computeRoundModel({ previous, updates: [], rule: { kind: "clipped-mean", clipL2: 0n }, round: 5 }),
      "bad-rule-param",
    );
  });

  it("rejects a round that is not a uint32 and a previous model that is not valid", function () {
    expectCode(
      () => computeRoundModel({ previous, updates, rule: { kind: "mean" }, round: -1 }),
      "bad-round",
    );
    expectCode(
      () => computeRoundModel({ previous, updates, rule: { kind: "mean" }, round: 2 ** 32 }),
      "bad-round",
    );
    expect(() =>
      computeRoundModel({ previous: { ...previous, scale: 0 }, updates, rule: { kind: "mean" }, round: 5 }),
    ).to.throw(ModelFormatError);
    expectCode(
      () =>
        computeRoundModel({
          previous,
          updates: [{ member: A, update: u(4, [], []) }],
          rule: { kind: "mean" },
          round: 5,
        }),
      "dimension-mismatch",
    );
  });
});
