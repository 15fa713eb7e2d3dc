/**
 * The update-bounds circuit (`test` instance) accepts honest updates and rejects every way of breaking the
 * policy, including inputs no honest code path produces (crafted raw field elements), within one chunk and
 * across the borders of an update proven in several chunks.
 */
import { expect } from "chai";
import type { SparseUpdate, UpdateContext } from "../../src/sparse/types.js";
import {
  BN254_SCALAR_FIELD,
  buildChunkWitnessInputs,
  buildWitnessInput,
  chunkPublicInputs,
  computeCommitment,
  packBounds,
  packContext,
  proveUpdateChunks,
  releaseZkWorkers,
  toPublicSignals,
  verifyUpdateProof,
  type ChunkedUpdateProof,
  type CircuitArtifacts,
  type CircuitParams,
  type PolicyBounds,
  type UpdatePublicInputs,
} from "../../src/zk/index.js";
import {
  artifacts,
  BOUNDS,
  computeWitness,
  CONTEXT,
  failsAt,
  rawChunk,
  rawChunks,
  rawInput,
  referenceChunks,
  referenceContext,
  referenceStateValue,
  SALT,
  slot,
  type RawChunk,
  type RawSlot,
  type RawState,
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
    const input = rawInput({ slots: honest(), params });
    await expectAccepted(input);
    // The crafting tool builds what the product's witness builder builds for the same update.
    const update = {
      dimension: BOUNDS.d,
      indices: Uint32Array.from([3, 40, 999]),
      values: Int32Array.from([-5, 1999, -2000]),
    };
    expect(
      JSON.parse(
        JSON.stringify(
          buildWitnessInput({ update, context: CONTEXT, salt: SALT, policyBounds: BOUNDS, params }),
        ),
      ),
    ).to.deep.equal(input);
  });

  it("a first chunk (previous = 0) starts from nothing, whatever carried-over inputs come with it", async function () {
    const honestInput = rawInput({ slots: honest(), params });
    // Sums the prover would like to start from: a negative sum of squares, a count of -3, a later start.
    const junk = {
      chain: 5n,
      sumSquares: BN254_SCALAR_FIELD - 10n ** 9n,
      next: 7n,
      count: BN254_SCALAR_FIELD - 3n,
    };
    const input = rawInput({ slots: honest(), params, opening: junk });
    expect(input.previous).to.equal("0");
    expect(input.sumSquaresIn).to.equal(junk.sumSquares.toString());
    expect(input.commitment).to.equal(honestInput.commitment);
    await expectAccepted(input);
    // The sum still starts at 0: one above the update's own sum of squares is still refused.
    const sum = 5n * 5n + 1999n * 1999n + 2000n * 2000n;
    await expectRejected(
      rawInput({ slots: honest(), params, opening: junk, bounds: { ...BOUNDS, l2Sq: sum - 1n } }),
      "l2Fits.in <==",
    );
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
    // value = p - 2^40 as a field element: the packed entry is close to p, so its index part is a huge field
    // element that the chain of gap checks (each step below 2^IDX_BITS, up from the carried `next`) cannot reach.
    const wrapped = honest();
    wrapped[1] = {
      entry: (40n << BigInt(params.VAL_BITS)) + lInf + (BN254_SCALAR_FIELD - (1n << 40n)),
      active: 1n,
    };
    await expectRejected(rawInput({ slots: wrapped, params }), "gapFits[i].in <==");
    // An entry of p - 1 (i.e. -1) in the first slot: its index cannot follow the carried `next`.
    const minusOne = honest();
    minusOne[0] = { entry: BN254_SCALAR_FIELD - 1n, active: 1n };
    await expectRejected(rawInput({ slots: minusOne, params }), "firstGapFits.in <==");
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
    await expectRejected(tampered, "commitment === state.out;");
    // Same commitment, one entry changed.
    const other = honest();
    other[0] = slot(3, -4, lInf, params);
    await expectRejected(
      { ...rawInput({ slots: other, params }), commitment: good.commitment },
      "commitment === state.out;",
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
    await expectRejected({ ...lone, commitment: empty.commitment }, "commitment === state.out;");
  });

  it("rejects malformed activity flags: non-boolean, a gap before an active slot, a non-empty inactive slot", async function () {
    const nonBoolean = honest();
    nonBoolean[2] = { ...nonBoolean[2]!, active: 2n };
    await expectRejected(
      rawInput({ slots: nonBoolean, params }),
      "active[i] * (active[i - 1] - active[i]) === 0;",
    );
    const nonBooleanFirst = honest();
    nonBooleanFirst[0] = { ...nonBooleanFirst[0]!, active: 2n };
    await expectRejected(rawInput({ slots: nonBooleanFirst, params }), "active[0] * (active[0] - 1) === 0;");
    const gap = honest();
    gap[1] = { entry: 0n, active: 0n };
    await expectRejected(rawInput({ slots: gap, params }), "active[i] * (active[i - 1] - active[i]) === 0;");
    const hidden = [...honest(), { entry: slot(5, 9, lInf, params).entry, active: 0n }];
    await expectRejected(rawInput({ slots: hidden, params }), "entries[i] * (1 - active[i]) === 0;");
  });

  it("takes k above K (it bounds the whole update, proven in chunks)", async function () {
    await expectAccepted(rawInput({ slots: honest(), params, bounds: { ...BOUNDS, k: params.K + 1 } }));
    await expectAccepted(rawInput({ slots: honest(), params, bounds: { ...BOUNDS, k: 2 ** 32 - 1 } }));
  });

  it("rejects policies the circuit cannot represent: d > 2^IDX_BITS, d = 0, 2*lInf >= 2^VAL_BITS", async function () {
    await expectRejected(
      rawInput({ slots: honest(), params, bounds: { ...BOUNDS, d: 2 ** params.IDX_BITS + 1 } }),
      "dFits.in <==",
    );
    await expectRejected(rawInput({ slots: [], params, bounds: { ...BOUNDS, d: 0 } }), "gapFits[i].in <==");
    const bigLInf = 1n << BigInt(params.VAL_BITS - 1);
    await expectRejected(
      rawInput({ slots: [slot(1, 0, bigLInf, params)], params, bounds: { ...BOUNDS, lInf: bigLInf } }),
      "bounds === d + k * (1 << 32)",
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

  describe("chunk borders", function () {
    // 40 entries: three chunks of 16 + 16 + 8 on the test shape (K = 16).
    const N = 40;
    const indicesOf = (): number[] => Array.from({ length: N }, (_, i) => 5 + 20 * i);
    const valuesOf = (): number[] => Array.from({ length: N }, (_, i) => (i % 2 === 0 ? 1 : -1) * (100 + i));
    const loose = (): PolicyBounds => ({ d: BOUNDS.d, k: N, lInf, l2Sq: BigInt(N) * lInf * lInf });

    /** Raw slots in chunks of K. */
    function chunked(indices: readonly number[], values: readonly number[]): RawSlot[][] {
      const out: RawSlot[][] = [];
      for (let from = 0; from < indices.length; from += params.K) {
        out.push(
          indices.slice(from, from + params.K).map((idx, t) => slot(idx, values[from + t]!, lInf, params)),
        );
      }
      return out;
    }

    /** Each chunk's witness: "ok" or whether it failed at `marker`. */
    async function outcomes(chunks: readonly RawChunk[], marker: string): Promise<string[]> {
      const out: string[] = [];
      for (const c of chunks) {
        const result = await computeWitness(c.input, art.wasmPath);
        out.push(result.ok ? "ok" : failsAt(result.error, marker) ? "fails" : result.error);
      }
      return out;
    }

    it("accepts every chunk of an honest 3-chunk update, built exactly as src/zk builds it", async function () {
      const indices = indicesOf();
      const values = valuesOf();
      const chunks = rawChunks({ chunks: chunked(indices, values), params, bounds: loose() });
      expect(chunks).to.have.length(3);
      expect(await outcomes(chunks, "commitment === state.out;")).to.deep.equal(["ok", "ok", "ok"]);
      expect(chunks.map((c) => c.input.previous)).to.deep.equal([
        "0",
        chunks[0]!.input.commitment,
        chunks[1]!.input.commitment,
      ]);
      const update: SparseUpdate = {
        dimension: BOUNDS.d,
        indices: Uint32Array.from(indices),
        values: Int32Array.from(values),
      };
      const built = buildChunkWitnessInputs({
        update,
        context: CONTEXT,
        salt: SALT,
        policyBounds: loose(),
        params,
      });
      expect(JSON.parse(JSON.stringify(built))).to.deep.equal(chunks.map((c) => c.input));
      expect(
        computeCommitment({ context: packContext(CONTEXT), salt: SALT, update, lInf, params }).toString(),
      ).to.equal(chunks[2]!.input.commitment);
    });

    it("rejects a duplicate index across a border: chunk 2's first index equal to chunk 1's last", async function () {
      const indices = indicesOf();
      indices[16] = indices[15]!;
      const chunks = rawChunks({ chunks: chunked(indices, valuesOf()), params, bounds: loose() });
      expect(await outcomes(chunks.slice(0, 2), "firstGapFits.in <== firstGap;")).to.deep.equal([
        "ok",
        "fails",
      ]);
      // One above chunk 1's last index is the smallest chunk 2 may start with.
      indices[16] = indices[15]! + 1;
      const next = rawChunks({ chunks: chunked(indices, valuesOf()), params, bounds: loose() });
      expect(await outcomes(next, "firstGapFits.in <== firstGap;")).to.deep.equal(["ok", "ok", "ok"]);
    });

    it("rejects an index going backwards across a border, and a chunk counted twice", async function () {
      for (const back of [1, 100, indicesOf()[15]!]) {
        const indices = indicesOf();
        indices[16] = indices[15]! - back;
        const chunks = rawChunks({ chunks: chunked(indices, valuesOf()), params, bounds: loose() });
        expect(
          await outcomes(chunks.slice(0, 2), "firstGapFits.in <== firstGap;"),
          `back ${back}`,
        ).to.deep.equal(["ok", "fails"]);
      }
      // Chunk 1's entries again as chunk 2 (each of them counted twice toward every bound).
      const first = chunked(indicesOf(), valuesOf())[0]!;
      const twice = rawChunks({ chunks: [first, first], params, bounds: loose() });
      expect(await outcomes(twice, "firstGapFits.in <== firstGap;")).to.deep.equal(["ok", "fails"]);
    });

    it("rejects partial sums of squares that pass one by one but not in total, in the chunk that crosses l2Sq", async function () {
      // Every value at ±lInf: the chunks carry 16, 16 and 8 times lInf^2.
      const values = Array.from({ length: N }, (_, i) => (i % 2 === 0 ? 1 : -1) * Number(lInf));
      const slots = chunked(indicesOf(), values);
      const at = (l2Sq: bigint): PolicyBounds => ({ ...loose(), l2Sq });
      const unit = lInf * lInf;
      // l2Sq = 24 lInf^2: each chunk alone (as a first chunk) is within it ...
      for (const alone of slots)
        await expectAccepted(rawInput({ slots: alone, params, bounds: at(24n * unit) }));
      // ... but the running sum is 32 lInf^2 after chunk 2: refused there, and in every chunk after it.
      expect(
        await outcomes(rawChunks({ chunks: slots, params, bounds: at(24n * unit) }), "l2Fits.in <=="),
      ).to.deep.equal(["ok", "fails", "fails"]);
      // Exactly the total passes; one below it fails in the last chunk only.
      expect(
        await outcomes(rawChunks({ chunks: slots, params, bounds: at(40n * unit) }), "l2Fits.in <=="),
      ).to.deep.equal(["ok", "ok", "ok"]);
      expect(
        await outcomes(rawChunks({ chunks: slots, params, bounds: at(40n * unit - 1n) }), "l2Fits.in <=="),
      ).to.deep.equal(["ok", "ok", "fails"]);
    });

    it("rejects a total count over k across chunks (each chunk alone within k)", async function () {
      const slots = chunked(indicesOf(), valuesOf());
      for (const alone of slots)
        await expectAccepted(rawInput({ slots: alone, params, bounds: { ...loose(), k: 20 } }));
      expect(
        await outcomes(
          rawChunks({ chunks: slots, params, bounds: { ...loose(), k: 20 } }),
          "countFits.in <==",
        ),
      ).to.deep.equal(["ok", "fails", "fails"]);
      expect(
        await outcomes(
          rawChunks({ chunks: slots, params, bounds: { ...loose(), k: N - 1 } }),
          "countFits.in <==",
        ),
      ).to.deep.equal(["ok", "ok", "fails"]);
    });

    it("rejects a chunk whose previous state does not open to its carried-over inputs", async function () {
      const slots = chunked(indicesOf(), valuesOf());
      const [first] = rawChunks({ chunks: slots, params, bounds: loose() });
      const state = first!.after;
      const honestSecond = rawChunk({ slots: slots[1]!, params, bounds: loose(), continues: state });
      await expectAccepted(honestSecond.input);
      // Each a way to continue from a state of one's choosing: the commitment is computed from the opening,
      // so that the opening is the only thing wrong.
      const openings: Record<string, RawState> = {
        "another chain (other entries before)": { ...state, chain: state.chain + 1n },
        "sumSquaresIn lowered to 0 (the sum restarts)": { ...state, sumSquares: 0n },
        "nextIn lowered to 0 (indices may repeat)": { ...state, next: 0n },
        "countIn lowered to 0 (the count restarts)": { ...state, count: 0n },
      };
      for (const [label, opening] of Object.entries(openings)) {
        const input = rawChunk({
          slots: slots[1]!,
          params,
          bounds: loose(),
          continues: state,
          opening,
        }).input;
        expect(input.previous, label).to.equal(honestSecond.input.previous);
        const result = await computeWitness(input, art.wasmPath);
        expect(
          result.ok ? "ok" : failsAt(result.error, "(1 - first) * (opened.out - previous) === 0;"),
          `${label}: ${result.ok ? "accepted" : result.error}`,
        ).to.equal(true);
      }
    });

    it("rejects a previous state that opens but is out of range (each chunk is sound on its own)", async function () {
      const slots = chunked(indicesOf(), valuesOf())[1]!;
      const [first] = rawChunks({ chunks: [chunked(indicesOf(), valuesOf())[0]!], params, bounds: loose() });
      const state = first!.after;
      const cases: [string, RawState, string][] = [
        [
          "a negative sum of squares",
          { ...state, sumSquares: BN254_SCALAR_FIELD - 10n ** 9n },
          "sumInFits.in <==",
        ],
        [
          "next past 2^(IDX_BITS + 1)",
          { ...state, next: 1n << BigInt(params.IDX_BITS + 1) },
          "nextInFits.in <==",
        ],
        ["a negative count", { ...state, count: BN254_SCALAR_FIELD - 20n }, "countInFits.in <=="],
      ];
      for (const [label, crafted, marker] of cases) {
        const input = rawChunk({ slots, params, bounds: loose(), continues: crafted }).input;
        const result = await computeWitness(input, art.wasmPath);
        expect(
          result.ok ? "ok" : failsAt(result.error, marker),
          `${label}: ${result.ok ? "accepted" : result.error}`,
        ).to.equal(true);
      }
    });

    it("rejects a chunk of another member's (or round's) update spliced in: its state does not open", async function () {
      const others: Record<string, UpdateContext> = {
        "another member": { ...CONTEXT, member: "0x" + "cd".repeat(20) },
        "another round": { ...CONTEXT, round: CONTEXT.round + 1 },
      };
      const mine = rawChunks({ chunks: chunked(indicesOf(), valuesOf()), params, bounds: loose() });
      const theirSlots = chunked(
        indicesOf().map((i) => i + 1),
        valuesOf().map((v) => -v),
      );
      for (const [label, context] of Object.entries(others)) {
        const theirs = rawChunks({ chunks: theirSlots, params, bounds: loose(), context });
        // Under its own context their chunk 2 is fine.
        await expectAccepted(theirs[1]!.input);
        // Under mine, with their opening: continuing my chunk 1, or their chunk 1 as their chain published it.
        const previousValues = {
          "my chunk 1": BigInt(mine[0]!.input.commitment),
          "their chunk 1": referenceStateValue({
            context: referenceContext(context),
            state: theirs[0]!.after,
          }),
        };
        expect(previousValues["their chunk 1"].toString()).to.equal(theirs[0]!.input.commitment);
        for (const [which, previous] of Object.entries(previousValues)) {
          const input = rawChunk({
            slots: theirSlots[1]!,
            params,
            bounds: loose(),
            opening: theirs[0]!.after,
            previous,
          }).input;
          expect(input.context).to.equal(packContext(CONTEXT).toString());
          const result = await computeWitness(input, art.wasmPath);
          expect(
            result.ok ? "ok" : failsAt(result.error, "(1 - first) * (opened.out - previous) === 0;"),
            `${label}, after ${which}: ${result.ok ? "accepted" : result.error}`,
          ).to.equal(true);
        }
      }
    });

    describe("with Groth16 proofs", function () {
      const bounds = (): PolicyBounds => loose();
      const updateOf = (shift: number, sign: number): SparseUpdate => ({
        dimension: BOUNDS.d,
        indices: Uint32Array.from(indicesOf().map((i) => i + shift)),
        values: Int32Array.from(valuesOf().map((v) => sign * v)),
      });
      // Two updates of the same member in the same round (e.g. a first attempt and a resubmission).
      let x: ChunkedUpdateProof;
      let y: ChunkedUpdateProof;
      let pubX: UpdatePublicInputs[];
      let pubY: UpdatePublicInputs[];

      before(async function () {
        const prove = async (update: SparseUpdate, salt: bigint) => {
          const args = { update, context: CONTEXT, salt, policyBounds: bounds() };
          return {
            proved: await proveUpdateChunks({ ...args, artifacts: art }),
            pub: chunkPublicInputs({ ...args, params }),
          };
        };
        ({ proved: x, pub: pubX } = await prove(updateOf(0, 1), SALT));
        ({ proved: y, pub: pubY } = await prove(updateOf(1, -1), SALT + 1n));
      });

      const verifies = (
        proof: ChunkedUpdateProof["chunks"][number],
        pub: UpdatePublicInputs,
      ): Promise<boolean> => verifyUpdateProof({ vkey: art.vkey, proof: proof.proof, publicInputs: pub });

      it("proves an honest 3-chunk update: each proof verifies with the state before it as previous", async function () {
        for (const [proved, pub] of [
          [x, pubX],
          [y, pubY],
        ] as const) {
          expect(proved.chunks).to.have.length(3);
          expect(proved.chunks.map((c) => c.publicSignals)).to.deep.equal(pub.map(toPublicSignals));
          expect(proved.links).to.deep.equal([pub[0]!.commitment, pub[1]!.commitment]);
          expect(pub.map((p) => p.previous)).to.deep.equal([0n, ...proved.links]);
          expect(proved.commitment).to.equal(pub[2]!.commitment);
          for (const [c, chunk] of proved.chunks.entries())
            expect(await verifies(chunk, pub[c]!), `chunk ${c + 1}`).to.equal(true);
        }
        // The independent reference computes the same states.
        const reference = referenceChunks({
          context: referenceContext(CONTEXT),
          salt: SALT,
          indices: indicesOf(),
          values: valuesOf(),
          lInf,
          params,
        });
        expect(reference.map((c) => c.commitment)).to.deep.equal(pubX.map((p) => p.commitment));
      });

      it("a chunk's proof does not verify after another state: a dropped, reordered or restarted chain", async function () {
        const [p1, p2, p3] = x.chunks;
        const [s1, s2, s3] = pubX.map((p) => p.commitment);
        const presentations: [string, typeof p1, UpdatePublicInputs][] = [
          ["chunk 2 as the first (chunk 1 dropped)", p2, { ...pubX[1]!, previous: 0n }],
          ["chunk 3 right after chunk 1 (chunk 2 dropped)", p3, { ...pubX[2]!, previous: s1! }],
          ["chunk 2 after chunk 3 (reordered)", p2, { ...pubX[1]!, previous: s3! }],
          ["chunk 2 after itself (repeated)", p2, { ...pubX[1]!, previous: s2! }],
          ["chunk 1 after chunk 1 (a second start)", p1, { ...pubX[0]!, previous: s1! }],
        ];
        for (const [label, proof, pub] of presentations)
          expect(await verifies(proof!, pub), label).to.equal(false);
      });

      it("a proof of chunk 2 of one update does not verify after chunk 1 of another update", async function () {
        // Y's chunk 1 state as previous: X's chunk 2 continues X's state only, whatever it is said to end in.
        expect(await verifies(x.chunks[1]!, { ...pubX[1]!, previous: pubY[0]!.commitment })).to.equal(false);
        expect(await verifies(x.chunks[1]!, { ...pubY[1]!, commitment: pubX[1]!.commitment })).to.equal(
          false,
        );
        expect(await verifies(y.chunks[1]!, { ...pubY[1]!, previous: pubX[0]!.commitment })).to.equal(false);
        expect(await verifies(x.chunks[2]!, { ...pubX[2]!, previous: pubY[1]!.commitment })).to.equal(false);
        // And in its own chain it does.
        expect(await verifies(y.chunks[1]!, pubY[1]!)).to.equal(true);
      });
    });
  });
});
