/**
 * The screened-mean defense's screen: deterministic whatever the order of the updates, flags what it
 * should (an empty update, one that opposes the others) and leaves alone what it cannot judge (too few
 * updates, too little overlap). A direction verdict needs a repeat: the member must also have been a suspect
 * in one of the two rounds before, so one round's disagreement (an honest minority) excludes nobody. Random updates (noise free riders) are caught statistically: the defenses
 * bench measures how often. Golden vectors from the Python generator check the
 * same semantics against a second implementation (test/vectors/aggregation-golden.py).
 */
import { expect } from "chai";
import { screenRound, type AggregationRule, type MemberUpdate } from "../../src/aggregation/index.js";
import { createRng } from "../../src/data/rng.js";

const D = 64;
const RULE: AggregationRule = { kind: "screened-mean", minCosinePerMille: 25 };
const member = (i: number): string => `0x${(i + 1).toString(16).padStart(40, "0")}`;

/** An honest-looking update: a shared direction plus as much of the member's own, on the first `k` coordinates. */
function honest(i: number, k = 32): MemberUpdate {
  const rng = createRng(100 + i);
  const indices = Uint32Array.from({ length: k }, (_, j) => j);
  const values = Int32Array.from(indices, (j) =>
    Math.round(200 * Math.sin(j + 1) + 300 * (rng.next() - 0.5)),
  );
  return { member: member(i), update: { dimension: D, indices, values } };
}

function update(i: number, entries: [number, number][]): MemberUpdate {
  return {
    member: member(i),
    update: {
      dimension: D,
      indices: Uint32Array.from(entries.map(([j]) => j)),
      values: Int32Array.from(entries.map(([, v]) => v)),
    },
  };
}

const reasons = (updates: MemberUpdate[], previousSuspects: string[][] = []) =>
  screenRound({ updates, rule: RULE, dimension: D, previousSuspects }).flagged.map((f) => [
    f.member,
    f.reason,
  ]);

/** Five honest members and one that sends the first one's update negated. */
function withOpposer(): { updates: MemberUpdate[]; opposer: string } {
  const h = [0, 1, 2, 3, 4].map((i) => honest(i));
  const opposing = {
    member: member(6),
    update: { ...h[0]!.update, values: h[0]!.update.values.map((v) => -v) },
  };
  return { updates: [...h, opposing], opposer: member(6) };
}

describe("screened-mean's screen", function () {
  it("leaves an empty update out at once and suspects an opposing one, and no honest one", function () {
    const h = [0, 1, 2, 3, 4].map((i) => honest(i));
    const empty = update(5, []);
    const opposing = {
      ...h[0]!,
      member: member(6),
      update: { ...h[0]!.update, values: h[0]!.update.values.map((v) => -v) },
    };
    // Random signs on the coordinates the others send: a free rider's noise.
    const rng = createRng(9);
    const random = update(
      7,
      Array.from({ length: 32 }, (_, j) => [j, rng.next() < 0.5 ? -150 : 150] as [number, number]),
    );
    const all = [...h, empty, opposing, random];
    const first = screenRound({ updates: all, rule: RULE, dimension: D });
    expect(first.flagged.map((f) => [f.member, f.reason])).to.deep.include([member(5), "FreeRider"]);
    expect(first.flagged.map((f) => f.member)).to.not.include(member(6));
    expect(first.suspects).to.include.members([member(5), member(6)]);
    expect(first.suspects).to.not.include.members(h.map((u) => u.member));
    // The same updates again, with the first round's suspects as history: now the opposing one goes too.
    const flagged = reasons(all, [first.suspects]);
    expect(flagged).to.deep.include([member(5), "FreeRider"]);
    expect(flagged).to.deep.include([member(6), "Outlier"]);
    expect(flagged.map(([m]) => m)).to.not.include.members(h.map((u) => u.member));
  });

  it("flags colluders that send copies of one update, which would otherwise make the honest look opposed", function () {
    const h = [0, 1, 2, 3, 4, 5, 6].map((i) => honest(i));
    // Three members send the same update, far from the honest direction and at a large norm.
    const copy = (i: number): MemberUpdate =>
      update(
        i,
        Array.from({ length: 32 }, (_, j) => [j, Math.round(-400 * Math.cos(3 * j))] as [number, number]),
      );
    const flagged = reasons([...h, copy(7), copy(8), copy(9)]);
    expect(flagged).to.deep.equal([
      [member(7), "Outlier"],
      [member(8), "Outlier"],
      [member(9), "Outlier"],
    ]);
  });

  it("decides the same whatever order the updates arrive in", function () {
    const updates = [
      ...[0, 1, 2, 3].map((i) => honest(i)),
      update(4, []),
      update(5, [
        [0, -500],
        [1, -300],
      ]),
    ];
    const expected = reasons(updates);
    expect(expected.length).to.be.greaterThan(0);
    for (let seed = 1; seed <= 5; seed++) {
      const rng = createRng(seed);
      const shuffled = [...updates].sort(() => rng.next() - 0.5);
      expect(reasons(shuffled)).to.deep.equal(expected);
    }
  });

  it("judges nothing with fewer than three updates, nor an update that shares too few coordinates", function () {
    expect(reasons([honest(0), update(1, [])])).to.deep.equal([]);
    // Entries only where nobody else sends anything: no evidence either way.
    const elsewhere = update(3, [
      [60, 80],
      [61, -90],
      [62, 70],
    ]);
    expect(reasons([honest(0), honest(1), honest(2), elsewhere])).to.deep.equal([]);
  });

  describe("suspicion must repeat", function () {
    it("keeps a first-time suspect, and leaves it out when it was a suspect the round before", function () {
      const { updates, opposer } = withOpposer();
      const once = screenRound({ updates, rule: RULE, dimension: D });
      expect(once.flagged).to.deep.equal([]);
      expect(once.suspects).to.deep.equal([opposer]);
      const again = screenRound({ updates, rule: RULE, dimension: D, previousSuspects: [once.suspects] });
      expect(again.flagged.map((f) => [f.member, f.reason])).to.deep.equal([[opposer, "Outlier"]]);
      expect(again.flagged[0]!.detail).to.match(/also a suspect the round before$/);
      expect(again.kept.map((u) => u.member)).to.not.include(opposer);
    });

    it("counts a suspicion two rounds back, not three", function () {
      const { updates, opposer } = withOpposer();
      const twoBack = reasons(updates, [[], [opposer]]);
      expect(twoBack).to.deep.equal([[opposer, "Outlier"]]);
      expect(reasons(updates, [[], [], [opposer]])).to.deep.equal([]);
    });

    it("excludes nobody on history alone, and reads the history's addresses in any case", function () {
      const h = [0, 1, 2, 3].map((i) => honest(i));
      // Every honest member listed as an earlier suspect: agreeing now, so none is left out.
      expect(reasons(h, [h.map((u) => u.member), h.map((u) => u.member)])).to.deep.equal([]);
      const { updates, opposer } = withOpposer();
      expect(reasons(updates, [[opposer.toUpperCase().replace("0X", "0x")]])).to.deep.equal([
        [opposer, "Outlier"],
      ]);
    });

    it("still leaves near-copies out in their first round: colluders gain nothing from the history rule", function () {
      const h = [0, 1, 2, 3, 4, 5, 6].map((i) => honest(i));
      const copy = (i: number): MemberUpdate =>
        update(
          i,
          Array.from({ length: 32 }, (_, j) => [j, Math.round(-400 * Math.cos(3 * j))] as [number, number]),
        );
      expect(reasons([...h, copy(7), copy(8)])).to.deep.equal([
        [member(7), "Outlier"],
        [member(8), "Outlier"],
      ]);
    });

    it("refuses a history entry that is not an address", function () {
      const { updates } = withOpposer();
      expect(() => reasons(updates, [["not-an-address"]])).to.throw(/member must be a 0x-prefixed/);
    });
  });
});
