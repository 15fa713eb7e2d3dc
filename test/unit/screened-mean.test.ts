/**
 * The screened-mean defense's screen: deterministic whatever the order of the updates, flags what it
 * should (an empty update, one that opposes the others) and leaves alone what it cannot judge (too few
 * updates, too little overlap). Random updates (noise free riders) are caught statistically: the defenses
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

const reasons = (updates: MemberUpdate[]) =>
  screenRound({ updates, rule: RULE, dimension: D }).flagged.map((f) => [f.member, f.reason]);

describe("screened-mean's screen", function () {
  it("flags an empty and an opposing update among honest ones, and no honest one", function () {
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
    const flagged = reasons([...h, empty, opposing, random]);
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
});
