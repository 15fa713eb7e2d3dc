/**
 * The aggregation-rule registry: every rule's stable id, its parameter codec and its drafting default,
 * checked for every registered rule so that a new rule is covered by adding its registry line.
 */
import { expect } from "chai";
import {
  AGGREGATION_RULES,
  AggregationError,
  DRAFTABLE_RULE_KINDS,
  MAX_RULE_ID,
  RULE_IDS,
  ruleDefinitionById,
  ruleFromPolicy,
  ruleToPolicy,
  validateRule,
  type AggregationRule,
} from "../../src/aggregation/index.js";

const MEMBER = "0x00000000000000000000000000000000000000aa";

/** One valid value of each rule, with a non-default parameter where it has one. */
const SAMPLES: Record<AggregationRule["kind"], AggregationRule> = {
  mean: { kind: "mean" },
  "weighted-mean": { kind: "weighted-mean", weights: { [MEMBER]: 3n } },
  "trimmed-mean": { kind: "trimmed-mean", trim: 2 },
  median: { kind: "median" },
  "clipped-mean": { kind: "clipped-mean", clipL2: 12_345n },
  "screened-mean": { kind: "screened-mean", minCosinePerMille: 120 },
  sum: { kind: "sum" },
};

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (error instanceof AggregationError) return error.code;
    throw error;
  }
  return undefined;
}

describe("aggregation rule registry", function () {
  it("keeps the on-chain ids stable (policies on chain name rules by these numbers)", function () {
    expect(RULE_IDS).to.deep.equal({
      mean: 0,
      "weighted-mean": 1,
      "trimmed-mean": 2,
      median: 3,
      "clipped-mean": 4,
      "screened-mean": 5,
      sum: 6,
    });
    expect(MAX_RULE_ID).to.equal(6);
  });

  it("has a sample for every registered rule, so each is checked below", function () {
    expect(Object.keys(SAMPLES).sort()).to.deep.equal(AGGREGATION_RULES.map((r) => r.kind).sort());
  });

  for (const definition of AGGREGATION_RULES) {
    describe(definition.kind, function () {
      const sample = SAMPLES[definition.kind];

      it("round-trips through the policy's (id, parameter)", function () {
        const stored = ruleToPolicy(sample);
        expect(stored.ruleId).to.equal(definition.id);
        const weights = definition.acceptsWeights ? { [MEMBER]: 3n } : undefined;
        expect(ruleFromPolicy({ ruleId: stored.ruleId, param: stored.param, weights })).to.deep.equal(sample);
        expect(ruleDefinitionById(definition.id)?.kind).to.equal(definition.kind);
      });

      it("validates to the same rule it was given", function () {
        expect(validateRule(sample)).to.deep.equal(sample);
      });

      if (definition.draftable) {
        it("drafts with a default parameter its own decoder accepts", function () {
          const parameter = definition.defaultParameter({ l2Bound: 16_384n });
          const decoded = ruleFromPolicy({ ruleId: definition.id, param: parameter });
          expect(decoded.kind).to.equal(definition.kind);
          expect(DRAFTABLE_RULE_KINDS).to.include(definition.kind);
        });
      } else {
        it("is not offered for drafting (its parameters are not on chain)", function () {
          expect(DRAFTABLE_RULE_KINDS).not.to.include(definition.kind);
        });
      }

      if (!definition.acceptsWeights) {
        it("refuses governance weights", function () {
          expect(codeOf(() => ruleFromPolicy({ ruleId: definition.id, param: 0n, weights: {} }))).to.equal(
            "weight-not-applicable",
          );
        });
      }
    });
  }

  it("refuses an id past the registry and a kind it does not know", function () {
    expect(codeOf(() => ruleFromPolicy({ ruleId: MAX_RULE_ID + 1, param: 0n }))).to.equal("unknown-rule-id");
    expect(codeOf(() => validateRule({ kind: "geometric-median" }))).to.equal("bad-rule");
  });

  it("refuses a parameter where the rule takes none, and a clip of zero", function () {
    expect(codeOf(() => ruleFromPolicy({ ruleId: RULE_IDS.mean, param: 1n }))).to.equal("bad-rule-param");
    expect(codeOf(() => ruleFromPolicy({ ruleId: RULE_IDS.median, param: 7n }))).to.equal("bad-rule-param");
    expect(codeOf(() => ruleFromPolicy({ ruleId: RULE_IDS["clipped-mean"], param: 0n }))).to.equal(
      "bad-rule-param",
    );
    expect(codeOf(() => ruleFromPolicy({ ruleId: RULE_IDS["weighted-mean"], param: 0n }))).to.equal(
      "missing-weight",
    );
  });
});
