/**
 * Tests written for mutants of src/aggregation that survived the other aggregation tests (`npm run mutation
 * -- --area aggregation`): the checks on what an aggregator (and every auditor replaying it) accepts as
 * input — a member listed twice anywhere in the list, updates and weights of the wrong type, the rule
 * parameters at their edges, the previous model and the round number — each at its boundary.
 */
import { expect } from "chai";
import {
  AggregationError,
  aggregate,
  clipUpdateL2,
  computeRoundModel,
  integerSqrt,
  MAX_UPDATES,
  normalizeMember,
  ruleFromPolicy,
  validateRule,
  type AggregationErrorCode,
  type MemberUpdate,
} from "../../src/aggregation/index.js";
import { initialGlobalModel, ModelFormatError } from "../../src/model/index.js";
import type { SparseUpdate } from "../../src/sparse/types.js";

const A = "0x" + "aa".repeat(20);
const B = "0x" + "bb".repeat(20);
const C = "0x" + "cc".repeat(20);

const upd = (indices: number[], values: number[], dimension = 8): SparseUpdate => ({
  dimension,
  indices: Uint32Array.from(indices),
  values: Int32Array.from(values),
});

function expectCode(fn: () => unknown, code: AggregationErrorCode): AggregationError {
  try {
    fn();
  } catch (error) {
    expect(error, String(error)).to.be.instanceOf(AggregationError);
    expect((error as AggregationError).code, (error as Error).message).to.equal(code);
    return error as AggregationError;
  }
  return expect.fail(`expected AggregationError ${code}`);
}

describe("aggregation: checks at their boundaries (mutation testing)", () => {
  it("refuses a member listed twice, wherever the two entries stand", () => {
    for (const order of [
      [A, B, A],
      [B, A, C, A],
      [A, C, B, C],
    ]) {
      const updates: MemberUpdate[] = order.map((member) => ({ member, update: upd([1], [5]) }));
      expectCode(() => aggregate({ updates, rule: { kind: "mean" }, dimension: 8 }), "duplicate-member");
    }
    // In any case: the addresses compare lower-cased.
    const mixed: MemberUpdate[] = [
      { member: A, update: upd([1], [5]) },
      { member: A.toUpperCase().replace("0X", "0x"), update: upd([1], [5]) },
    ];
    expectCode(() => aggregate({ updates: mixed, rule: { kind: "mean" }, dimension: 8 }), "duplicate-member");
  });

  it("gives the same result whatever the order of the updates", () => {
    const base: MemberUpdate[] = [
      { member: C, update: upd([0, 3], [7, -9]) },
      { member: A, update: upd([3], [4]) },
      { member: B, update: upd([0, 7], [-2, 11]) },
    ];
    for (const rule of [{ kind: "mean" }, { kind: "median" }, { kind: "trimmed-mean", trim: 1 }] as const) {
      const reference = aggregate({ updates: base, rule, dimension: 8 });
      for (const order of [
        [1, 2, 0],
        [2, 0, 1],
        [0, 2, 1],
      ]) {
        const again = aggregate({ updates: order.map((i) => base[i]!), rule, dimension: 8 });
        expect([...again.indices], rule.kind).to.deep.equal([...reference.indices]);
        expect([...again.values], rule.kind).to.deep.equal([...reference.values]);
      }
    }
  });

  it("refuses an update that is not an object, and a weight that is not a bigint", () => {
    for (const update of [null, 5, "update"]) {
      expectCode(
        () =>
          aggregate({
            updates: [{ member: A, update: update as never }],
            rule: { kind: "mean" },
            dimension: 8,
          }),
        "bad-update",
      );
    }
    expectCode(
      () =>
        aggregate({
          updates: [{ member: A, update: upd([1], [5]), weight: 2 as never }],
          rule: { kind: "mean" },
          dimension: 8,
        }),
      "bad-weight",
    );
  });

  it("takes exactly MAX_UPDATES updates' worth of count check: one more is refused before any work", () => {
    const one = { member: A, update: upd([1], [5]) };
    const tooMany = new Array<MemberUpdate>(MAX_UPDATES + 1).fill(one);
    expectCode(
      () => aggregate({ updates: tooMany, rule: { kind: "mean" }, dimension: 8 }),
      "too-many-updates",
    );
    // MAX_UPDATES itself passes the count check (and then fails on the repeated member, not on the count).
    const atLimit = new Array<MemberUpdate>(MAX_UPDATES).fill(one);
    expectCode(
      () => aggregate({ updates: atLimit, rule: { kind: "mean" }, dimension: 8 }),
      "duplicate-member",
    );
  });

  it("trimmed-mean needs more than twice its trim in updates", () => {
    const three: MemberUpdate[] = [A, B, C].map((member, i) => ({
      member,
      update: upd([2], [10 * (i + 1)]),
    }));
    expect([
      ...aggregate({ updates: three, rule: { kind: "trimmed-mean", trim: 1 }, dimension: 8 }).values,
    ]).to.deep.equal([20]);
    expectCode(
      () => aggregate({ updates: three.slice(0, 2), rule: { kind: "trimmed-mean", trim: 1 }, dimension: 8 }),
      "trim-too-large",
    );
  });

  it("validates the rule object and its parameters", () => {
    for (const rule of [null, undefined, 3, "mean"]) expectCode(() => validateRule(rule), "bad-rule");
    for (const weights of [null, undefined, 5, [A]]) {
      expectCode(() => validateRule({ kind: "weighted-mean", weights }), "bad-rule");
    }
    expectCode(() => validateRule({ kind: "weighted-mean", weights: { [A]: 1 } }), "bad-weight");
    expectCode(
      () =>
        validateRule({
          kind: "weighted-mean",
          weights: { [A]: 1n, [A.toUpperCase().replace("0X", "0x")]: 2n },
        }),
      "bad-weight",
    );
    expect(
      validateRule({ kind: "weighted-mean", weights: { [A]: 1n, [A.toUpperCase().replace("0X", "0x")]: 1n } })
        .kind,
    ).to.equal("weighted-mean");
    for (const trim of ["1", 1n, 1.5, -1])
      expectCode(() => validateRule({ kind: "trimmed-mean", trim }), "bad-rule-param");
    expect(validateRule({ kind: "trimmed-mean", trim: 0 }).kind).to.equal("trimmed-mean");
    for (const clipL2 of [1, 0n, -1n])
      expectCode(() => validateRule({ kind: "clipped-mean", clipL2 }), "bad-rule-param");
    expect(validateRule({ kind: "clipped-mean", clipL2: 1n }).kind).to.equal("clipped-mean");
  });

  it("reads the policy's rule id and parameter at their edges", () => {
    expect(ruleFromPolicy({ ruleId: 2, param: 0n })).to.deep.equal({ kind: "trimmed-mean", trim: 0 });
    expect(ruleFromPolicy({ ruleId: 2, param: BigInt(MAX_UPDATES) })).to.deep.equal({
      kind: "trimmed-mean",
      trim: MAX_UPDATES,
    });
    expectCode(() => ruleFromPolicy({ ruleId: 2, param: BigInt(MAX_UPDATES) + 1n }), "bad-rule-param");
    expectCode(() => ruleFromPolicy({ ruleId: 2, param: -1n }), "bad-rule-param");
    expectCode(() => ruleFromPolicy({ ruleId: 2, param: 1 as never }), "bad-rule-param");
    expectCode(() => ruleFromPolicy({ ruleId: 1, param: 1n, weights: { [A]: 1n } }), "bad-rule-param");
  });

  it("clipL2 must be a positive bigint, and an update already within it comes back unchanged", () => {
    const u = upd([1, 2], [3, 4]);
    for (const clipL2 of [0n, -1n, 5 as never])
      expectCode(() => clipUpdateL2({ update: u, clipL2 }), "bad-rule-param");
    expect(clipUpdateL2({ update: u, clipL2: 5n })).to.equal(u);
    // 1 · 10 / 101 truncates to 0: that entry is dropped from both arrays.
    const clipped = clipUpdateL2({ update: upd([1, 2], [1, 100]), clipL2: 10n });
    expect([...clipped.indices]).to.deep.equal([2]);
    expect([...clipped.values]).to.deep.equal([9]);
    expectCode(() => integerSqrt(-1n), "bad-rule-param");
    expect(integerSqrt(10n ** 30n)).to.equal(10n ** 15n);
  });

  it("names members by their lower-cased address and nothing that only looks like one", () => {
    expect(normalizeMember("0x" + "AB".repeat(20))).to.equal("0x" + "ab".repeat(20));
    expectCode(() => normalizeMember({ toString: () => A }), "bad-member");
  });

  it("computeRoundModel checks the previous model and takes rounds over the whole uint32 range", () => {
    const previous = initialGlobalModel({ task: 1, dimension: 8, scale: 100 });
    const updates: MemberUpdate[] = [{ member: A, update: upd([1], [5]) }];
    for (const round of [0, 2 ** 32 - 1]) {
      expect(computeRoundModel({ previous, updates, rule: { kind: "mean" }, round }).model.round).to.equal(
        round,
      );
    }
    for (const round of [-1, 2 ** 32, 1.5]) {
      expectCode(() => computeRoundModel({ previous, updates, rule: { kind: "mean" }, round }), "bad-round");
    }
    expect(() =>
      computeRoundModel({ previous: { ...previous, scale: 0 }, updates, rule: { kind: "mean" }, round: 1 }),
    ).to.throw(ModelFormatError);
  });
});
