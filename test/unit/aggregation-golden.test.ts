import { readFileSync } from "node:fs";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { bytesToHex } from "@noble/hashes/utils.js";
import { expect } from "chai";
import {
  AGGREGATION_RULES,
  aggregate,
  computeRoundModel,
  ruleFromPolicy,
  screenRound,
  type MemberUpdate,
} from "../../src/aggregation/index.js";
import {
  applyDelta,
  decodeGlobalModel,
  encodeGlobalModel,
  globalModelHash,
  type GlobalModel,
} from "../../src/model/index.js";

interface GoldenCase {
  ruleId: number;
  param: string;
  weights?: Record<string, string>;
  expectedDelta: { indices: number[]; values: number[] };
  expectedModelBytes: string;
  expectedModelHash: string;
  /** Rules with a screen: the members it leaves out, in address order. */
  expectedFlagged?: { member: string; reason: string }[];
  expectedSuspects?: string[];
}

interface GoldenGroup {
  name: string;
  task: number;
  round: number;
  scale: number;
  dimension: number;
  initialParams: number[];
  initialModelHash: string;
  updates: { member: string; indices: number[]; values: number[] }[];
  /** The screen's suspects of the rounds before, most recent first (screen-history groups only). */
  previousSuspects?: string[][];
  cases: GoldenCase[];
}

// Produced by test/vectors/aggregation-golden.py, an independent Python implementation of the rules,
// the model format and Keccak-256: a match means two implementations of docs/aggregation.md agree.
const golden = JSON.parse(
  readFileSync(new URL("../vectors/aggregation-golden.json", import.meta.url), "utf8"),
) as { modelFormatVersion: number; groups: GoldenGroup[] };

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("hex");
}

describe("aggregation golden vectors", function () {
  it("covers every rule id", function () {
    const ids = new Set(golden.groups.flatMap((group) => group.cases.map((c) => c.ruleId)));
    // The golden vectors come from an independent generator: a registered rule without them is untested.
    expect([...ids].sort()).to.deep.equal(AGGREGATION_RULES.map((rule) => rule.id).sort());
    expect(golden.modelFormatVersion).to.equal(1);
  });

  for (const group of golden.groups) {
    describe(group.name, function () {
      const initial: GlobalModel = {
        task: group.task,
        round: 0,
        scale: group.scale,
        params: Int32Array.from(group.initialParams),
      };
      const all: MemberUpdate[] = group.updates.map((u) => ({
        member: u.member,
        update: {
          dimension: group.dimension,
          indices: Uint32Array.from(u.indices),
          values: Int32Array.from(u.values),
        },
      }));

      it("hashes the initial model as pinned", function () {
        expect(globalModelHash(encodeGlobalModel(initial))).to.equal(group.initialModelHash);
      });

      for (const testCase of group.cases) {
        it(`rule ${testCase.ruleId} (param ${testCase.param}) reproduces the delta, bytes and hash`, function () {
          const weights =
            testCase.weights === undefined
              ? undefined
              : Object.fromEntries(Object.entries(testCase.weights).map(([k, v]) => [k, BigInt(v)]));
          const rule = ruleFromPolicy({ ruleId: testCase.ruleId, param: BigInt(testCase.param), weights });
          // A rule with a screen (a defense) leaves updates out first, as the roles' round inputs do.
          const screened = screenRound({
            updates: all,
            rule,
            dimension: group.dimension,
            previousSuspects: group.previousSuspects ?? [],
            // The round's base model, which a screen may judge updates against.
            previous: Int32Array.from(group.initialParams),
          });
          expect(screened.flagged.map((f) => ({ member: f.member, reason: f.reason }))).to.deep.equal(
            testCase.expectedFlagged ?? [],
          );
          expect(screened.suspects).to.deep.equal(testCase.expectedSuspects ?? []);
          const updates = screened.kept;
          const delta = aggregate({ updates, rule, dimension: group.dimension });
          expect(Array.from(delta.indices)).to.deep.equal(testCase.expectedDelta.indices);
          expect(Array.from(delta.values)).to.deep.equal(testCase.expectedDelta.values);

          const model = applyDelta({ model: initial, delta, round: group.round });
          const bytes = encodeGlobalModel(model);
          expect(hex(bytes)).to.equal(testCase.expectedModelBytes);
          expect(globalModelHash(bytes)).to.equal(testCase.expectedModelHash);
          // A second Keccak implementation guards against the hash helper drifting.
          expect("0x" + bytesToHex(keccak_256(bytes))).to.equal(testCase.expectedModelHash);
          expect(decodeGlobalModel(bytes)).to.deep.equal(model);

          const whole = computeRoundModel({ previous: initial, updates, rule, round: group.round });
          expect(whole.hash).to.equal(testCase.expectedModelHash);
          expect(hex(whole.bytes)).to.equal(testCase.expectedModelBytes);
          expect(whole.model).to.deep.equal(model);
          expect(whole.delta).to.deep.equal(delta);
        });
      }
    });
  }
});
