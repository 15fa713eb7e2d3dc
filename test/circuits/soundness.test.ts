/**
 * The update-bounds circuit (`test` instance) accepts honest updates and rejects every way of breaking the
 * policy, including inputs no honest code path produces (crafted raw field elements).
 */
import { expect } from "chai";
import {
  BN254_SCALAR_FIELD,
  buildWitnessInput,
  packBounds,
  releaseZkWorkers,
  type CircuitArtifacts,
  type CircuitParams,
  type PolicyBounds,
} from "../../src/zk/index.js";
import {
  artifacts,
  BOUNDS,
  computeWitness,
  CONTEXT,
  failsAt,
  rawInput,
  SALT,
  slot,
  type RawSlot,
} from "./helpers.js";

const lInf = BigInt(BOUNDS.lInf);

describe("UpdateBounds circuit: soundness (test instance)", function () {
  let art: CircuitArtifacts;
  let params: CircuitParams;

  before(async function () {
    art = await artifacts();
    params = art.params;
  });

  after(releaseZkWorkers);

  async function expectRejected(input: Parameters<typeof computeWitness>[0], marker: string): Promise<void> {
    const result = await computeWitness(input, art.wasmPath);
    expect(result.ok, "witness generation should fail").to.equal(false);
    if (!result.ok)
      expect(failsAt(result.error, marker), `expected failure at "${marker}", got: ${result.error}`).to.equal(
        true,
      );
  }

  async function expectAccepted(input: Parameters<typeof computeWitness>[0]): Promise<void> {
    const result = await computeWitness(input, art.wasmPath);
    expect(result.ok ? "ok" : result.error).to.equal("ok");
  }

  const honest = (): RawSlot[] => [
    slot(3, -5, lInf, params),
    slot(40, 1999, lInf, params),
    slot(999, -2000, lInf, params),
  ];

  it("accepts the honest baseline built from raw slots (so each rejection below is the mutation's doing)", async function () {
    await expectAccepted(rawInput({ slots: honest(), params }));
  });

  it("accepts the edges: |value| = lInf, last index d - 1, count = k, sum of squares = l2Sq", async function () {
    const slots = Array.from({ length: 6 }, (_, i) =>
      slot(i === 5 ? 999 : i * 10, i % 2 === 0 ? lInf : -lInf, lInf, params),
    );
    const bounds: PolicyBounds = { d: 1000, k: 6, lInf, l2Sq: lInf * lInf * 6n };
    await expectAccepted(rawInput({ slots, params, bounds }));
  });

  it("rejects a value one above the L-infinity bound (and one below -lInf)", async function () {
    const above = honest();
    above[1] = slot(40, lInf + 1n, lInf, params);
    await expectRejected(rawInput({ slots: above, params }), "valueFits[i].in <==");
    // -lInf - 1 packs to u = -1, which wraps into the index bits: the index drops by one and u = 2^VAL_BITS - 1.
    const below = honest();
    below[1] = slot(40, -lInf - 1n, lInf, params);
    await expectRejected(rawInput({ slots: below, params }), "valueFits[i].in <==");
  });

  it("rejects a value that wraps the field (p minus a large number), whatever the entry decodes to", async function () {
    // value = p - 2^40 as a field element: the packed entry is close to p and has no 28-bit decomposition.
    const wrapped = honest();
    wrapped[1] = {
      entry: (40n << BigInt(params.VAL_BITS)) + lInf + (BN254_SCALAR_FIELD - (1n << 40n)),
      active: 1n,
    };
    await expectRejected(rawInput({ slots: wrapped, params }), "entryBits[i].in <== entries[i];");
    // An entry of p - 1 (i.e. -1): same story.
    const minusOne = honest();
    minusOne[0] = { entry: BN254_SCALAR_FIELD - 1n, active: 1n };
    await expectRejected(rawInput({ slots: minusOne, params }), "entryBits[i].in <== entries[i];");
  });

  it("rejects a duplicate index", async function () {
    const dup = honest();
    dup[1] = slot(3, 7, lInf, params);
    await expectRejected(rawInput({ slots: dup, params }), "gapFits[i].in <==");
  });

  it("rejects a decreasing index", async function () {
    const dec = [slot(50, 1, lInf, params), slot(40, 1, lInf, params), slot(999, 1, lInf, params)];
    await expectRejected(rawInput({ slots: dec, params }), "gapFits[i].in <==");
  });

  it("rejects an index equal to d (and accepts d - 1)", async function () {
    const atD = honest();
    atD[2] = slot(BOUNDS.d, 1, lInf, params);
    await expectRejected(rawInput({ slots: atD, params }), "gapFits[i].in <==");
    const below = honest();
    below[2] = slot(BOUNDS.d - 1, 1, lInf, params);
    await expectAccepted(rawInput({ slots: below, params }));
  });

  it("rejects a sum of squares one above l2Sq (and accepts it exactly at l2Sq)", async function () {
    const slots = honest();
    const sum = 5n * 5n + 1999n * 1999n + 2000n * 2000n;
    await expectAccepted(rawInput({ slots, params, bounds: { ...BOUNDS, l2Sq: sum } }));
    await expectRejected(rawInput({ slots, params, bounds: { ...BOUNDS, l2Sq: sum - 1n } }), "l2Fits.in <==");
  });

  it("rejects more active entries than k (and accepts exactly k)", async function () {
    await expectAccepted(rawInput({ slots: honest(), params, bounds: { ...BOUNDS, k: 3 } }));
    await expectRejected(
      rawInput({ slots: honest(), params, bounds: { ...BOUNDS, k: 2 } }),
      "countFits.in <==",
    );
  });

  it("rejects a commitment that does not match the entries", async function () {
    const good = rawInput({ slots: honest(), params });
    const tampered = { ...good, commitment: (BigInt(good.commitment) + 1n).toString() };
    await expectRejected(tampered, "commitment === links[CHUNKS];");
    // Same commitment, one entry changed.
    const other = honest();
    other[0] = slot(3, -4, lInf, params);
    await expectRejected(
      { ...rawInput({ slots: other, params }), commitment: good.commitment },
      "commitment === links[CHUNKS];",
    );
  });

  it("binds the count: the empty update's commitment does not open to a lone (index 0, -lInf) entry", async function () {
    const empty = rawInput({ slots: [], params });
    const lone = rawInput({
      slots: [slot(0, -lInf, lInf, params)],
      params,
      bounds: { ...BOUNDS, l2Sq: lInf * lInf },
    });
    expect(lone.entries[0]).to.equal("0");
    await expectAccepted(empty);
    await expectAccepted(lone);
    expect(lone.commitment).to.not.equal(empty.commitment);
    await expectRejected({ ...lone, commitment: empty.commitment }, "commitment === links[CHUNKS];");
  });

  it("rejects malformed activity flags: non-boolean, a gap before an active slot, a non-empty inactive slot", async function () {
    const nonBoolean = honest();
    nonBoolean[2] = { ...nonBoolean[2]!, active: 2n };
    await expectRejected(rawInput({ slots: nonBoolean, params }), "active[i] * (active[i] - 1) === 0;");
    const gap = honest();
    gap[1] = { entry: 0n, active: 0n };
    await expectRejected(rawInput({ slots: gap, params }), "active[i] * (1 - active[i - 1]) === 0;");
    const hidden = [...honest(), { entry: slot(5, 9, lInf, params).entry, active: 0n }];
    await expectRejected(rawInput({ slots: hidden, params }), "entries[i] * (1 - active[i]) === 0;");
  });

  it("rejects policies the circuit cannot represent: k > K, d > 2^IDX_BITS, d = 0, 2*lInf >= 2^VAL_BITS", async function () {
    await expectRejected(
      rawInput({ slots: honest(), params, bounds: { ...BOUNDS, k: params.K + 1 } }),
      "kFits.in <==",
    );
    await expectRejected(
      rawInput({ slots: honest(), params, bounds: { ...BOUNDS, d: 2 ** params.IDX_BITS + 1 } }),
      "dFits.in <==",
    );
    await expectRejected(rawInput({ slots: [], params, bounds: { ...BOUNDS, d: 0 } }), "gapFits[i].in <==");
    const bigLInf = 1n << BigInt(params.VAL_BITS - 1);
    await expectRejected(
      rawInput({ slots: [slot(1, 0, bigLInf, params)], params, bounds: { ...BOUNDS, lInf: bigLInf } }),
      "lInfHigh === 0;",
    );
  });

  it("the TypeScript witness builder refuses what the circuit would reject, with a message", function () {
    const update = {
      dimension: 1000,
      indices: Uint32Array.from([3, 40]),
      values: Int32Array.from([1, 2001]),
    };
    expect(() =>
      buildWitnessInput({ update, context: CONTEXT, salt: SALT, policyBounds: BOUNDS, params }),
    ).to.throw(/L-infinity/);
    const dup = { dimension: 1000, indices: Uint32Array.from([3, 3]), values: Int32Array.from([1, 1]) };
    expect(() =>
      buildWitnessInput({ update: dup, context: CONTEXT, salt: SALT, policyBounds: BOUNDS, params }),
    ).to.throw(/strictly increase/);
    expect(packBounds(BOUNDS)).to.be.a("bigint");
  });
});
