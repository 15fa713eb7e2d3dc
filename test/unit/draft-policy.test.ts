/**
 * `draftTaskPolicy`, the one way a task policy is put together (CLI, demo, harness, tests): defaults that
 * fit the circuit, the rule's parameter from the registry, and refusals with the numbers before anything
 * is stored or voted on.
 */
import { expect } from "chai";
import { keccak256, toUtf8Bytes } from "ethers";
import { DRAFTABLE_RULE_KINDS, ruleFromPolicy, ruleToPolicy } from "../../src/aggregation/index.js";
import { DRAFT_DEFAULTS, draftTaskPolicy, PolicyError, type TaskDraft } from "../../src/governance/index.js";
import { MAX_CHUNKS_PER_UPDATE } from "../../src/zk/index.js";

const NOW = 1_800_000_000n;
const BASE: TaskDraft = {
  model: {
    name: "ai4i-sparse-mlp-v1",
    dimension: 1778,
    hash: keccak256(toUtf8Bytes("m0")),
    cid: "bafkreim0",
  },
  verifyingKey: {
    keyHash: keccak256(toUtf8Bytes("vk")),
    shape: { maxEntries: 128, indexBits: 12, valueBits: 16 },
  },
  readers: {
    key: keccak256(toUtf8Bytes("reader group")),
    addresses: ["0x00000000000000000000000000000000000000a1", "0x00000000000000000000000000000000000000a2"],
  },
  now: NOW,
};

function refusal(draft: TaskDraft): { code: string; message: string } {
  try {
    draftTaskPolicy(draft);
  } catch (error) {
    if (error instanceof PolicyError) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error("the draft was accepted");
}

describe("draftTaskPolicy", function () {
  it("fills what the circuit allows and the defaults for the rest", function () {
    const policy = draftTaskPolicy(BASE);
    expect(policy.modelId).to.equal(keccak256(toUtf8Bytes("ai4i-sparse-mlp-v1")));
    expect(policy.maxNonZeros).to.equal(128);
    expect(policy.lInfBound).to.equal(2n ** 15n - 1n);
    expect(policy.l2Bound).to.equal(BigInt(DRAFT_DEFAULTS.l2BoundInScales * DRAFT_DEFAULTS.scale));
    expect([policy.aggregationRule, policy.ruleParameter]).to.deep.equal([0, 0n]);
    expect(policy.minParticipants).to.equal(DRAFT_DEFAULTS.minParticipants);
    expect(policy.expiry).to.equal(NOW + BigInt(DRAFT_DEFAULTS.lifetimeSeconds));
    expect(policy.readers).to.deep.equal(BASE.readers.addresses);
  });

  it("takes a forest's scale, bounds and rule from its family, with k the most one update's chunks prove", function () {
    const family = {
      scale: 1,
      rule: "sum" as const,
      lInfBound: 2n ** 15n - 1n,
      l2Bound: 2n ** 31n - 1n,
      layout: { slots: 3, bins: 32, classes: 2 },
    };
    const large = { maxEntries: 224, indexBits: 20, valueBits: 16 };
    const draft: TaskDraft = {
      ...BASE,
      model: { ...BASE.model, name: "ai4i-forest", dimension: 783_360 },
      verifyingKey: { ...BASE.verifyingKey, shape: large },
      family,
    };
    const policy = draftTaskPolicy(draft);
    expect(policy.scale).to.equal(1);
    expect(ruleFromPolicy({ ruleId: policy.aggregationRule, param: policy.ruleParameter }).kind).to.equal(
      "sum",
    );
    expect([policy.lInfBound, policy.l2Bound]).to.deep.equal([family.lInfBound, family.l2Bound]);
    expect(policy.maxNonZeros).to.equal(224 * MAX_CHUNKS_PER_UPDATE);
    // A setting the author names still stands (a smaller k).
    expect(draftTaskPolicy({ ...draft, settings: { maxNonZeros: 1000 } }).maxNonZeros).to.equal(1000);
    // The mean of counts would round a rare class away: another rule is refused, naming the one needed.
    expect(refusal({ ...draft, rule: "mean" })).to.deep.equal({
      code: "rule",
      message:
        'invalid task policy: model "ai4i-forest" needs rule sum (its parameters are counts), not mean',
    });
    expect(draftTaskPolicy({ ...draft, rule: "sum" }).aggregationRule).to.equal(policy.aggregationRule);
    // The backdoor veto: q over the family's layout becomes the rule's parameter, only for a forest.
    expect(draftTaskPolicy({ ...draft, supportMembers: 3 }).ruleParameter).to.equal(
      ruleToPolicy({ kind: "sum", support: { members: 3, ...family.layout } }).param,
    );
    expect(refusal({ ...BASE, supportMembers: 3 })).to.deep.equal({
      code: "rule",
      message:
        'invalid task policy: a support veto reads a histogram forest\'s counts; model "ai4i-sparse-mlp-v1" is not one',
    });
    expect(refusal({ ...draft, supportMembers: 3, ruleParameter: 0n })).to.deep.equal({
      code: "rule",
      message: "invalid task policy: give supportMembers or ruleParameter, not both",
    });
  });

  it("keeps k within a model smaller than the circuit", function () {
    expect(draftTaskPolicy({ ...BASE, model: { ...BASE.model, dimension: 40 } }).maxNonZeros).to.equal(40);
  });

  for (const kind of DRAFTABLE_RULE_KINDS) {
    it(`drafts ${kind} with a parameter the aggregator can decode`, function () {
      const policy = draftTaskPolicy({ ...BASE, rule: kind });
      expect(ruleFromPolicy({ ruleId: policy.aggregationRule, param: policy.ruleParameter }).kind).to.equal(
        kind,
      );
    });
  }

  it("refuses a rule whose weights a policy cannot carry", function () {
    expect(refusal({ ...BASE, rule: "weighted-mean" }).code).to.equal("rule");
  });

  it("refuses a rule parameter the rule cannot decode", function () {
    expect(refusal({ ...BASE, rule: "clipped-mean", ruleParameter: 0n }).code).to.equal("rule");
    expect(refusal({ ...BASE, rule: "mean", ruleParameter: 3n }).code).to.equal("rule");
  });

  it("refuses a model larger than the circuit's index range, with the numbers", function () {
    const { code, message } = refusal({ ...BASE, model: { ...BASE.model, dimension: 5000 } });
    expect(code).to.equal("circuit-d");
    expect(message).to.contain("5000").and.to.contain("2^12");
  });

  it("refuses a k beyond the circuit and an L-infinity bound beyond its value range", function () {
    // K = 4 entries per chunk proof, at most 128 chunks: k <= 512 (d = 1778 would allow more).
    const small = { ...BASE.verifyingKey, shape: { ...BASE.verifyingKey.shape, maxEntries: 4 } };
    const { code, message } = refusal({ ...BASE, verifyingKey: small, settings: { maxNonZeros: 513 } });
    expect(code).to.equal("circuit-k");
    expect(message).to.contain(
      "513 exceeds the circuit's 512 (4 entries per chunk proof, at most 128 chunks)",
    );
    expect(refusal({ ...BASE, settings: { lInfBound: 2n ** 15n } }).code).to.equal("circuit-linf");
  });

  it("refuses settings the contract would refuse", function () {
    expect(refusal({ ...BASE, settings: { minParticipants: 0 } }).code).to.equal("min-participants");
    expect(refusal({ ...BASE, settings: { expiry: NOW } }).code).to.equal("expiry");
    expect(refusal({ ...BASE, readers: { ...BASE.readers, addresses: [] } }).code).to.equal("readers");
  });
});
