/**
 * Tests written for mutants of src/zk that survived the other zk tests (`npm run mutation -- --area zk`):
 * each input check of the public-input packing, the commitment and the verifying-key conversion at its
 * boundary — the last value accepted and the first refused — since a check that is off by one lets the
 * TypeScript side accept what the circuit or the contract refuses (or the reverse).
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { bn254 } from "@noble/curves/bn254.js";
import { poseidon16, poseidon2, poseidon3 } from "poseidon-lite";
import {
  BN254_BASE_FIELD,
  BN254_SCALAR_FIELD,
  advanceState,
  buildChunkWitnessInputs,
  buildWitnessInput,
  chunkCount,
  chunkPublicInputs,
  canonicalJson,
  checkUpdateAgainstBounds,
  committedDevelopmentKey,
  commitmentFromEntries,
  ZkCeremonyError,
  ZkDriftError,
  ZkSetupError,
  computeCommitment,
  loadCircuitArtifacts,
  packBounds,
  packContext,
  packEntries,
  packLanes,
  proveWitnessInput,
  publicInputsFor,
  releaseZkWorkers,
  toSolidityProof,
  verifyUpdateProof,
  ZkWitnessError,
  randomSalt,
  registrableKey,
  startState,
  packTotals,
  stateCommitment,
  toPublicSignals,
  updateChunks,
  unpackBounds,
  unpackContext,
  verifyingKeyHash,
  verifyingKeyWords,
  vkeyHash,
  VERIFYING_KEY_WORDS,
  ZkInputError,
  type CircuitParams,
} from "../../src/zk/index.js";
import type { SparseUpdate } from "../../src/sparse/types.js";
import { KEYS_DIR, readKeyFile } from "../../src/zk/setup/index.js";

const PARAMS: CircuitParams = { K: 4, IDX_BITS: 8, VAL_BITS: 10 };
const MEMBER = "0x" + "ab".repeat(20);
const U32 = 2 ** 32 - 1;

const refused = (fn: () => unknown, what = ""): void => {
  expect(fn, what).to.throw(ZkInputError);
};
const update = (dimension: number, indices: number[], values: number[]): SparseUpdate => ({
  dimension,
  indices: Uint32Array.from(indices),
  values: Int32Array.from(values),
});

describe("zk: input checks at their boundaries (mutation testing)", () => {
  // snarkjs keeps its prover's worker threads alive: stop them so that the process can exit.
  after(releaseZkWorkers);

  it("packContext takes task and round over the uint32 range and a 20-byte hex member only", () => {
    expect(unpackContext(packContext({ task: U32, round: U32, member: MEMBER }))).to.deep.equal({
      task: U32,
      round: U32,
      member: MEMBER,
    });
    expect(packContext({ task: 0, round: 0, member: MEMBER })).to.equal(BigInt(MEMBER));
    for (const bad of [-1, U32 + 1, 1.5]) {
      refused(() => packContext({ task: bad, round: 0, member: MEMBER }), `task ${bad}`);
      refused(() => packContext({ task: 0, round: bad, member: MEMBER }), `round ${bad}`);
    }
    const hex = "ab".repeat(20);
    for (const member of [`0x${hex}00`, `00x${hex}`, `0x${hex.slice(1)}`, `0x${hex.slice(2)}zz`]) {
      refused(() => packContext({ task: 0, round: 0, member }), member);
    }
  });

  it("unpackContext and unpackBounds take values below 2^224 only", () => {
    const top = (1n << 224n) - 1n;
    expect(unpackContext(top).task).to.equal(U32);
    expect(unpackBounds(top).d).to.equal(U32);
    for (const bad of [-1n, 1n << 224n]) {
      refused(() => unpackContext(bad), `context ${bad}`);
      refused(() => unpackBounds(bad), `bounds ${bad}`);
    }
  });

  it("packBounds takes d and k as uint32, lInf below 2^64 and l2Sq below 2^96", () => {
    const max = { d: U32, k: U32, lInf: (1n << 64n) - 1n, l2Sq: (1n << 96n) - 1n };
    expect(unpackBounds(packBounds(max))).to.deep.equal(max);
    refused(() => packBounds({ ...max, d: U32 + 1 }));
    refused(() => packBounds({ ...max, k: -1 }));
    refused(() => packBounds({ ...max, lInf: 1n << 64n }));
    refused(() => packBounds({ ...max, lInf: -1n }));
    refused(() => packBounds({ ...max, lInf: 2 ** 60 }), "an unsafe number");
    refused(() => packBounds({ ...max, l2Sq: 1n << 96n }));
    expect(unpackBounds(packBounds({ d: 1, k: 0, lInf: 0, l2Sq: 0n }))).to.deep.equal({
      d: 1,
      k: 0,
      lInf: 0n,
      l2Sq: 0n,
    });
  });

  it("checkUpdateAgainstBounds accepts every bound exactly and refuses one past it", () => {
    // K = 4 slots, 2^8 indices, values within ±(2^9 - 1).
    const lInf = 511n;
    const ok = update(256, [0, 255], [511, -511]);
    const sum = 2n * 511n * 511n;
    const bounds = { d: 256, k: 4, lInf, l2Sq: sum };
    checkUpdateAgainstBounds({ update: ok, bounds, params: PARAMS });
    refused(() =>
      checkUpdateAgainstBounds({ update: ok, bounds: { ...bounds, l2Sq: sum - 1n }, params: PARAMS }),
    );
    // k bounds the whole update, proven in chunks of K: k > K and more than K entries are fine.
    checkUpdateAgainstBounds({ update: ok, bounds: { ...bounds, k: 5 }, params: PARAMS });
    const five = update(256, [0, 1, 2, 3, 255], [1, 1, 1, 1, 1]);
    checkUpdateAgainstBounds({ update: five, bounds: { ...bounds, k: 5 }, params: PARAMS });
    refused(
      () => checkUpdateAgainstBounds({ update: five, bounds: { ...bounds, k: 4 }, params: PARAMS }),
      "5 entries, k = 4",
    );
    refused(
      () =>
        checkUpdateAgainstBounds({
          update: update(256, [0, 1, 2, 3, 3], [1, 1, 1, 1, 1]),
          bounds: { ...bounds, k: 5 },
          params: PARAMS,
        }),
      "a repeated index past the first K entries",
    );
    refused(
      () => checkUpdateAgainstBounds({ update: ok, bounds: { ...bounds, k: 1 }, params: PARAMS }),
      "count > k",
    );
    checkUpdateAgainstBounds({ update: ok, bounds: { ...bounds, k: 2 }, params: PARAMS });
    refused(
      () =>
        checkUpdateAgainstBounds({
          update: update(257, [0], [1]),
          bounds: { ...bounds, d: 257 },
          params: PARAMS,
        }),
      "d > 2^IDX_BITS",
    );
    refused(() =>
      checkUpdateAgainstBounds({ update: update(0, [], []), bounds: { ...bounds, d: 0 }, params: PARAMS }),
    );
    checkUpdateAgainstBounds({ update: update(1, [0], [1]), bounds: { ...bounds, d: 1 }, params: PARAMS });
    refused(
      () => checkUpdateAgainstBounds({ update: ok, bounds: { ...bounds, lInf: 512n }, params: PARAMS }),
      "2 lInf = 2^VAL",
    );
    refused(
      () => checkUpdateAgainstBounds({ update: update(255, [0], [1]), bounds, params: PARAMS }),
      "dimension ≠ d",
    );
    refused(
      () =>
        checkUpdateAgainstBounds({
          update: update(200, [0, 200], [1, 1]),
          bounds: { ...bounds, d: 200 },
          params: PARAMS,
        }),
      "index = d",
    );
  });

  it("packEntries takes |value| = lInf and the last index of its width, and nothing past them", () => {
    const at = (indices: number[], values: number[], lInf = 100n) =>
      packEntries({ update: update(256, indices, values), lInf, K: 4, valBits: 10, idxBits: 8 });
    expect(at([255], [100])[0]).to.equal((255n << 10n) | 200n);
    expect(at([0], [-100])[0]).to.equal(0n);
    refused(() => at([0], [101]));
    refused(() => at([0], [-101]));
    refused(() =>
      packEntries({ update: update(512, [256], [1]), lInf: 100n, K: 4, valBits: 10, idxBits: 8 }),
    );
    refused(() => at([3, 3], [1, 1]), "a repeated index");
    refused(() => at([0, 1, 2, 3, 4], [1, 1, 1, 1, 1]), "more entries than K");
    refused(() => packEntries({ update: update(8, [0], [1]), lInf: 1n, K: 0, valBits: 10 }), "K = 0");
    refused(
      () => packEntries({ update: update(8, [0], [1]), lInf: 512n, K: 4, valBits: 10 }),
      "2 lInf = 2^valBits",
    );
    expect(packEntries({ update: update(8, [0], [1]), lInf: 511n, K: 4, valBits: 10 })[0]).to.equal(512n);
    refused(() =>
      packEntries({
        update: { ...update(8, [0, 1], [1]), values: Int32Array.from([1]) },
        lInf: 1n,
        K: 4,
        valBits: 10,
      }),
    );
  });

  it("the commitment takes salts below r, contexts below 2^224 and counts up to K, and entries of its width", () => {
    const entries = [1n, 2n, 0n, 0n];
    const base = { context: 5n, salt: 7n, entries, count: 2, lInf: 100n, params: PARAMS };
    const reference = commitmentFromEntries(base);
    expect(commitmentFromEntries({ ...base, salt: BN254_SCALAR_FIELD - 1n })).to.not.equal(reference);
    expect(commitmentFromEntries({ ...base, context: (1n << 224n) - 1n })).to.not.equal(reference);
    expect(commitmentFromEntries({ ...base, count: 4 })).to.not.equal(reference);
    expect(commitmentFromEntries({ ...base, count: 0 })).to.not.equal(reference);
    // lInf is in the state: the sum of squares of the values the entries encode.
    expect(commitmentFromEntries({ ...base, lInf: 101n })).to.not.equal(reference);
    refused(() => commitmentFromEntries({ ...base, salt: BN254_SCALAR_FIELD }));
    refused(() => commitmentFromEntries({ ...base, salt: -1n }));
    refused(() => commitmentFromEntries({ ...base, context: 1n << 224n }));
    refused(() => commitmentFromEntries({ ...base, context: -1n }));
    refused(() => commitmentFromEntries({ ...base, count: 5 }));
    refused(() => commitmentFromEntries({ ...base, count: -1 }));
    refused(() => commitmentFromEntries({ ...base, count: 1.5 }));
    refused(() => packLanes({ entries: [1n, 2n, 3n], params: PARAMS }), "fewer entries than K");
    expect(packLanes({ entries: [(1n << 18n) - 1n, 0n, 0n, 0n], params: PARAMS })[0]).to.equal(
      (1n << 18n) - 1n,
    );
    refused(() => packLanes({ entries: [1n << 18n, 0n, 0n, 0n], params: PARAMS }), "an entry of 19 bits");
    refused(() => packLanes({ entries: [-1n, 0n, 0n, 0n], params: PARAMS }));
    // computeCommitment is packEntries then commitmentFromEntries.
    const u = update(256, [3, 9], [4, -4]);
    const packed = packEntries({ update: u, lInf: 100n, K: 4, valBits: 10, idxBits: 8 });
    expect(computeCommitment({ context: 5n, salt: 7n, update: u, lInf: 100n, params: PARAMS })).to.equal(
      commitmentFromEntries({ context: 5n, salt: 7n, entries: packed, count: 2, lInf: 100n, params: PARAMS }),
    );
  });

  it("the running state: startState's bounds, advanceState's count, chunkCount's and updateChunks' borders", () => {
    refused(() => startState({ context: 5n, salt: BN254_SCALAR_FIELD }));
    refused(() => startState({ context: 1n << 224n, salt: 7n }));
    const start = startState({ context: (1n << 224n) - 1n, salt: BN254_SCALAR_FIELD - 1n });
    expect(start).to.deep.equal({
      chain: BN254_SCALAR_FIELD - 1n,
      sumSquares: 0n,
      next: 0n,
      count: 0n,
    });
    const entries = [(3n << 10n) | 104n, (9n << 10n) | 96n, 0n, 0n];
    const step = { state: start, entries, lInf: 100n, params: PARAMS };
    expect(advanceState({ ...step, count: 2 })).to.deep.include({ sumSquares: 32n, next: 10n, count: 2n });
    // An empty chunk leaves the sum and the next index where they were, and still moves the chain.
    const after = advanceState({ ...step, count: 2 });
    const empty = advanceState({ ...step, state: after, entries: [0n, 0n, 0n, 0n], count: 0 });
    expect(empty).to.deep.include({ sumSquares: 32n, next: 10n, count: 2n });
    expect(empty.chain).to.not.equal(after.chain);
    advanceState({ ...step, count: 4 });
    advanceState({ ...step, count: 0 });
    refused(() => advanceState({ ...step, count: 5 }), "count > K");
    refused(() => advanceState({ ...step, count: -1 }));
    refused(() => advanceState({ ...step, count: 1.5 }));
    // The totals share one field element without overlapping at their widest (sum < 2^96, next <= 2^32,
    // count < 2^32).
    expect(packTotals({ sumSquares: 1n, next: 1n, count: 1n })).to.equal(1n + (1n << 96n) + (1n << 129n));
    const widest = packTotals({ sumSquares: (1n << 96n) - 1n, next: 1n << 32n, count: (1n << 32n) - 1n });
    expect(widest & ((1n << 96n) - 1n)).to.equal((1n << 96n) - 1n);
    expect((widest >> 96n) & ((1n << 33n) - 1n)).to.equal(1n << 32n);
    expect(widest >> 129n).to.equal((1n << 32n) - 1n);
    expect(stateCommitment({ context: 5n, state: after })).to.equal(
      poseidon3([5n, after.chain, after.sumSquares + (after.next << 96n) + (after.count << 129n)]),
    );
    expect([0, 1, 4, 5, 8, 9].map((n) => chunkCount({ entries: n, K: 4 }))).to.deep.equal([1, 1, 1, 2, 2, 3]);
    // Chunks of exactly K entries in index order, the last partial; the border keeps the order.
    const nine = update(256, [1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const chunks = updateChunks({ context: 5n, salt: 7n, update: nine, lInf: 100n, params: PARAMS });
    expect(chunks.map((c) => c.count)).to.deep.equal([4, 4, 1]);
    expect(chunks.map((c) => c.previous)).to.deep.equal([0n, chunks[0]!.commitment, chunks[1]!.commitment]);
    expect(chunks[1]!.before).to.deep.equal(chunks[0]!.after);
    expect(chunks[2]!.after).to.deep.include({ sumSquares: 285n, next: 10n, count: 9n });
    const four = update(256, [1, 2, 3, 4], [1, 1, 1, 1]);
    expect(updateChunks({ context: 5n, salt: 7n, update: four, lInf: 100n, params: PARAMS })).to.have.length(
      1,
    );
    const atBorder = (fifth: number) =>
      updateChunks({
        context: 5n,
        salt: 7n,
        update: update(256, [1, 2, 3, 10, fifth], [1, 1, 1, 1, 1]),
        lInf: 100n,
        params: PARAMS,
      });
    expect(atBorder(11)).to.have.length(2);
    refused(() => atBorder(10), "the same index on both sides of a border");
    refused(() => atBorder(9), "an index going back across a border");
    refused(() =>
      updateChunks({
        context: 5n,
        salt: 7n,
        update: { ...nine, values: Int32Array.from([1, 2]) },
        lInf: 100n,
        params: PARAMS,
      }),
    );
  });

  it("buildWitnessInput takes salts below r only, and marks the active slots", () => {
    const args = {
      update: update(256, [3, 9], [4, -4]),
      context: { task: 1, round: 2, member: MEMBER },
      policyBounds: { d: 256, k: 4, lInf: 100n, l2Sq: 100n },
      params: PARAMS,
    };
    const input = buildWitnessInput({ ...args, salt: BN254_SCALAR_FIELD - 1n });
    expect(input.active).to.deep.equal(["1", "1", "0", "0"]);
    expect(input.salt).to.equal((BN254_SCALAR_FIELD - 1n).toString());
    refused(() => buildWitnessInput({ ...args, salt: BN254_SCALAR_FIELD }));
    refused(() => buildWitnessInput({ ...args, salt: -1n }));
  });

  it("verifyingKeyHash takes 22 uint256 words only", () => {
    const words = new Array<bigint>(VERIFYING_KEY_WORDS).fill(1n);
    const hash = verifyingKeyHash(words);
    expect(verifyingKeyHash([...words.slice(1), (1n << 256n) - 1n])).to.not.equal(hash);
    verifyingKeyHash(new Array<bigint>(VERIFYING_KEY_WORDS).fill(0n));
    refused(() => verifyingKeyHash(words.slice(1)));
    refused(() => verifyingKeyHash([...words, 1n]));
    refused(() => verifyingKeyHash([...words.slice(1), 1n << 256n]));
    refused(() => verifyingKeyHash([...words.slice(1), -1n]));
    refused(() => verifyingKeyHash([...words.slice(1), 1 as unknown as bigint]));
  });

  it("verifyingKeyWords refuses every malformed part of a snarkjs key and takes the affine forms", async () => {
    const { vkey } = await loadCircuitArtifacts({ instance: "test" });
    const words = verifyingKeyWords(vkey);
    const alpha = vkey.vk_alpha_1 as string[];
    const beta = vkey.vk_beta_2 as string[][];
    // Two-element affine forms (no z) are the same key.
    expect(
      verifyingKeyWords({ ...vkey, vk_alpha_1: alpha.slice(0, 2), vk_beta_2: beta.slice(0, 2) }),
    ).to.deep.equal(words);
    // Missing protocol, curve and nPublic are tolerated; wrong ones are not.
    const { protocol: _p, curve: _c, nPublic: _n, ...bare } = vkey;
    expect(verifyingKeyWords(bare)).to.deep.equal(words);
    refused(() => verifyingKeyWords({ ...vkey, protocol: "plonk" }));
    refused(() => verifyingKeyWords({ ...vkey, curve: "bls12381" }));
    expect(vkey.nPublic).to.equal(4);
    refused(() => verifyingKeyWords({ ...vkey, nPublic: 3 }));
    refused(() => verifyingKeyWords({ ...vkey, nPublic: 5 }));
    refused(() => verifyingKeyWords([] as unknown as Record<string, unknown>));
    refused(() => verifyingKeyWords({ ...vkey, IC: (vkey.IC as unknown[]).slice(1) }));
    refused(() => verifyingKeyWords({ ...vkey, vk_alpha_1: [...alpha.slice(0, 2), "2"] }), "z = 2");
    refused(() => verifyingKeyWords({ ...vkey, vk_alpha_1: [alpha[0]] }), "one coordinate");
    refused(
      () => verifyingKeyWords({ ...vkey, vk_alpha_1: [alpha[0], alpha[1], "1", "1"] }),
      "four coordinates",
    );
    refused(
      () =>
        verifyingKeyWords({
          ...vkey,
          vk_alpha_1: [alpha[0], (BigInt(alpha[1]!) + BN254_BASE_FIELD).toString(), "1"],
        }),
      "y + q",
    );
    refused(() => verifyingKeyWords({ ...vkey, vk_alpha_1: [alpha[0], "0x01", "1"] }), "hex");
    refused(() => verifyingKeyWords({ ...vkey, vk_alpha_1: [alpha[0], "1".repeat(81), "1"] }), "81 digits");
    refused(
      () => verifyingKeyWords({ ...vkey, vk_beta_2: [...beta.slice(0, 2), ["1", "1"]] }),
      "G2 z = 1 + i",
    );
    refused(() => verifyingKeyWords({ ...vkey, vk_beta_2: [...beta.slice(0, 2), ["0", "0"]] }), "G2 z = 0");
    refused(() => verifyingKeyWords({ ...vkey, vk_beta_2: [beta[0], [beta[1]![0]]] }), "G2 y with one part");
    refused(() => verifyingKeyWords({ ...vkey, vk_beta_2: [beta[0]] }), "G2 without y");
    refused(
      () =>
        verifyingKeyWords({
          ...vkey,
          vk_delta_2: [
            ["0", "0"],
            ["0", "0"],
            ["1", "0"],
          ],
        }),
      "G2 infinity",
    );
  });

  it("takes zero as a context, bounds, salt and the smallest K, and exactly K entries", () => {
    expect(unpackContext(0n)).to.deep.equal({ task: 0, round: 0, member: "0x" + "00".repeat(20) });
    expect(unpackBounds(0n)).to.deep.equal({ d: 0, k: 0, lInf: 0n, l2Sq: 0n });
    commitmentFromEntries({
      context: 0n,
      salt: 0n,
      entries: [0n, 0n, 0n, 0n],
      count: 0,
      lInf: 0n,
      params: PARAMS,
    });
    const empty = update(8, [], []);
    refused(() => packEntries({ update: empty, lInf: 1n, K: 0, valBits: 10 }), "K = 0, even for no entries");
    expect(packEntries({ update: update(8, [5], [1]), lInf: 1n, K: 1, valBits: 10 })).to.have.length(1);
    const full = packEntries({ update: update(8, [1, 2, 3, 4], [1, 1, 1, 1]), lInf: 1n, K: 4, valBits: 10 });
    expect(full.map((e) => e >> 10n)).to.deep.equal([1n, 2n, 3n, 4n]);
  });

  it("the commitment is the documented state over a Poseidon chain of lanes: count and 14 lanes, then 15 per hash", () => {
    // 18-bit entries: 14 per lane; K = 224 fills exactly 16 lanes: Poseidon(chain, count, 14 lanes), then
    // Poseidon(chain, 2 lanes).
    const params: CircuitParams = { K: 224, IDX_BITS: 8, VAL_BITS: 10 };
    const entries = Array.from({ length: 224 }, (_, i) => BigInt((i * 7919 + 13) % 2 ** 18));
    const lanes = Array.from({ length: 16 }, (_, l) =>
      entries.slice(14 * l, 14 * l + 14).reduce((lane, e, t) => lane | (e << BigInt(18 * t)), 0n),
    );
    expect(packLanes({ entries, params })).to.deep.equal(lanes);
    const lInf = 300n;
    const stateOf = (count: number, chain: bigint) => {
      const active = entries.slice(0, count);
      const sumSquares = active.reduce((sum, e) => sum + ((e & 1023n) - lInf) ** 2n, 0n);
      const next = count === 0 ? 0n : (active[count - 1]! >> 10n) + 1n;
      return poseidon3([5n, chain, sumSquares + (next << 96n) + (BigInt(count) << 129n)]);
    };
    const start = 7n;
    const chain16 = poseidon3([poseidon16([start, 224n, ...lanes.slice(0, 14)]), lanes[14]!, lanes[15]!]);
    expect(commitmentFromEntries({ context: 5n, salt: 7n, entries, count: 224, lInf, params })).to.equal(
      stateOf(224, chain16),
    );
    // Exactly 15 lanes (K = 210): one Poseidon(16), then one Poseidon(2).
    const params15: CircuitParams = { K: 210, IDX_BITS: 8, VAL_BITS: 10 };
    const chain15 = poseidon2([poseidon16([start, 3n, ...lanes.slice(0, 14)]), lanes[14]!]);
    expect(
      commitmentFromEntries({
        context: 5n,
        salt: 7n,
        entries: entries.slice(0, 210),
        count: 3,
        lInf,
        params: params15,
      }),
    ).to.equal(stateOf(3, chain15));
    // Exactly 14 lanes (K = 196): one Poseidon(16) and no second hash.
    const params14: CircuitParams = { K: 196, IDX_BITS: 8, VAL_BITS: 10 };
    const chain14 = poseidon16([start, 0n, ...lanes.slice(0, 14)]);
    expect(
      commitmentFromEntries({
        context: 5n,
        salt: 7n,
        entries: entries.slice(0, 196),
        count: 0,
        lInf,
        params: params14,
      }),
    ).to.equal(stateOf(0, chain14));
  });

  it("randomSalt draws distinct, full-size field elements", () => {
    const salts = Array.from({ length: 64 }, () => randomSalt());
    expect(new Set(salts).size).to.equal(64);
    for (const s of salts) expect(s < BN254_SCALAR_FIELD && s >= 0n).to.equal(true);
    expect(salts.some((s) => s >= 1n << 240n)).to.equal(true);
  });

  it("the witness input and the public inputs agree with the packing", () => {
    const args = {
      update: update(256, [3, 9, 40], [4, -4, 2]),
      context: { task: 1, round: 2, member: MEMBER },
      salt: 11n,
      policyBounds: { d: 256, k: 4, lInf: 100n, l2Sq: 100n },
      params: PARAMS,
    };
    const input = buildWitnessInput(args);
    const entries = packEntries({ update: args.update, lInf: 100n, K: 4, valBits: 10, idxBits: 8 });
    expect(input.entries).to.deep.equal(entries.map(String));
    const pub = publicInputsFor(args);
    expect(toPublicSignals(pub)).to.deep.equal([
      input.commitment,
      input.context,
      input.bounds,
      input.previous,
    ]);
    expect(input.previous).to.equal("0");
    expect(toPublicSignals({ commitment: 1n, context: 2n, bounds: 3n, previous: 4n })).to.deep.equal([
      "1",
      "2",
      "3",
      "4",
    ]);
  });

  it("an update of K entries is one chunk, K + 1 two: the one-chunk builders refuse it, the chunk builders chain", () => {
    const args = {
      context: { task: 1, round: 2, member: MEMBER },
      salt: 11n,
      policyBounds: { d: 256, k: 5, lInf: 100n, l2Sq: 1000n },
      params: PARAMS,
    };
    const four = { ...args, update: update(256, [1, 2, 3, 4], [1, 2, 3, 4]) };
    expect(buildChunkWitnessInputs(four)).to.deep.equal([buildWitnessInput(four)]);
    const five = { ...args, update: update(256, [1, 2, 3, 4, 200], [1, 2, 3, 4, -5]) };
    expect(() => buildWitnessInput(five))
      .to.throw(ZkInputError)
      .with.property("message")
      .that.matches(/2 chunk proofs/);
    refused(() => publicInputsFor(five));
    const inputs = buildChunkWitnessInputs(five);
    const pub = chunkPublicInputs(five);
    expect(inputs.map((i) => i.active)).to.deep.equal([
      ["1", "1", "1", "1"],
      ["1", "0", "0", "0"],
    ]);
    expect(inputs.map((i) => [i.commitment, i.context, i.bounds, i.previous])).to.deep.equal(
      pub.map(toPublicSignals),
    );
    expect(pub[0]!.previous).to.equal(0n);
    expect(pub[1]!.previous).to.equal(pub[0]!.commitment);
    // Chunk 2 opens chunk 1's state: the chain, 1 + 4 + 9 + 16, one past index 4, four entries.
    const [first] = updateChunks({
      context: BigInt(inputs[0]!.context),
      salt: 11n,
      update: five.update,
      lInf: 100n,
      params: PARAMS,
    });
    expect([
      inputs[1]!.chainIn,
      inputs[1]!.sumSquaresIn,
      inputs[1]!.nextIn,
      inputs[1]!.countIn,
    ]).to.deep.equal([first!.after.chain.toString(), "30", "5", "4"]);
    expect(
      stateCommitment({
        context: BigInt(inputs[0]!.context),
        state: { chain: first!.after.chain, sumSquares: 30n, next: 5n, count: 4n },
      }),
    ).to.equal(pub[1]!.previous);
    // The update's commitment is the last chunk's.
    expect(computeCommitment({ ...five, context: BigInt(inputs[0]!.context), lInf: 100n })).to.equal(
      pub[1]!.commitment,
    );
    // k bounds the whole update: 5 entries need k >= 5.
    refused(() => buildChunkWitnessInputs({ ...five, policyBounds: { ...five.policyBounds, k: 4 } }));
  });

  it("verifyingKeyWords refuses a key that is not an object, and only the G2 point at infinity", async () => {
    const { vkey } = await loadCircuitArtifacts({ instance: "test" });
    for (const bad of [null, 5, [vkey]]) {
      expect(() => verifyingKeyWords(bad as never)).to.throw(ZkInputError, /snarkjs vkey JSON object/);
    }
    // A point of the twist with x in F_q (x_im = 0): one zero coordinate is not infinity. (Its subgroup
    // check is the registry's.)
    const { Fp2 } = bn254.fields;
    const x = Fp2.fromBigTuple([1n, 0n]);
    const y = Fp2.sqrt(Fp2.add(Fp2.mul(Fp2.sqr(x), x), bn254.G2.Point.CURVE().b));
    const delta = [
      [x.c0.toString(), x.c1.toString()],
      [y.c0.toString(), y.c1.toString()],
      ["1", "0"],
    ];
    expect(verifyingKeyWords({ ...vkey, vk_delta_2: delta }).slice(10, 14)).to.deep.equal([
      0n,
      1n,
      y.c1,
      y.c0,
    ]);
  });

  it("checkUpdateAgainstBounds takes lInf = 0 (an update with no entries)", () => {
    checkUpdateAgainstBounds({
      update: update(8, [], []),
      bounds: { d: 8, k: 4, lInf: 0n, l2Sq: 0n },
      params: PARAMS,
    });
  });

  it("vkeyHash is keccak256 of the canonical JSON, as the build records it", async () => {
    const artifacts = await loadCircuitArtifacts({ instance: "test" });
    expect(vkeyHash(artifacts.vkey)).to.equal(artifacts.vkeyHash);
    expect(vkeyHash({ b: 1, a: 2 })).to.equal(vkeyHash({ a: 2, b: 1 }));
  });

  it("canonicalJson sorts keys at every level and keeps arrays in order", () => {
    expect(canonicalJson({ b: 1, a: [{ d: null, c: "x" }, 2], c: { z: true, y: [3, 1] } })).to.equal(
      '{"a":[{"c":"x","d":null},2],"b":1,"c":{"y":[3,1],"z":true}}',
    );
  });

  it("the committed development key is the one its words hash to, also through registrableKey", async () => {
    const { vkey } = await loadCircuitArtifacts({ instance: "test" });
    const committed = await committedDevelopmentKey({ instance: "test" });
    const words = verifyingKeyWords(vkey);
    expect(committed.words).to.deep.equal(words);
    expect(committed.keyHash).to.equal(verifyingKeyHash(words));
    expect(committed.developmentOnly).to.equal(true);
    expect(committed.shape).to.deep.equal({ maxEntries: 16, indexBits: 12, valueBits: 16 });
    const again = registrableKey({ vkey, shape: committed.shape, developmentOnly: false });
    expect(again).to.deep.equal({
      words,
      shape: committed.shape,
      developmentOnly: false,
      keyHash: committed.keyHash,
    });
  });

  it("readKeyFile refuses a malformed file, another instance's file and a keyHash that is not its words'", async () => {
    const original = JSON.parse(await readFile(join(KEYS_DIR, "test.vk.json"), "utf8")) as Record<
      string,
      unknown
    >;
    const dir = await mkdtemp(join(tmpdir(), "cfl-keyfile-"));
    try {
      const write = (file: unknown) => writeFile(join(dir, "test.vk.json"), JSON.stringify(file));
      await write(original);
      expect((await readKeyFile({ instance: "test", keysDir: dir })).keyHash).to.equal(original.keyHash);
      const cases: [unknown, RegExp][] = [
        [{ ...original, words: (original.words as string[]).slice(1) }, /malformed/],
        [{ ...original, instance: "demo" }, /for instance "demo"/],
        [{ ...original, keyHash: "0x" + "00".repeat(32) }, /not the hash of its words/],
      ];
      for (const [file, message] of cases) {
        await write(file);
        try {
          await readKeyFile({ instance: "test", keysDir: dir });
          expect.fail(`accepted ${String(message)}`);
        } catch (error) {
          expect(error).to.be.instanceOf(ZkSetupError);
          expect((error as Error).message).to.match(message);
        }
      }
      await writeFile(join(dir, "test.vk.json"), "{");
      await readKeyFile({ instance: "test", keysDir: dir }).then(
        () => expect.fail("accepted a file that is not JSON"),
        (error: unknown) =>
          expect(error)
            .to.be.instanceOf(ZkSetupError)
            .and.match(/cannot read/),
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("every zk error names its class and carries its code", () => {
    const cases: [Error & { code: string }, string, string][] = [
      [new ZkInputError("m"), "ZkInputError", "zk-input"],
      [new ZkSetupError("m"), "ZkSetupError", "zk-setup"],
      [new ZkDriftError("m"), "ZkDriftError", "zk-drift"],
      [new ZkWitnessError("m"), "ZkWitnessError", "zk-witness"],
      [new ZkCeremonyError("m"), "ZkCeremonyError", "zk-ceremony"],
    ];
    for (const [error, name, code] of cases) {
      expect(error.name).to.equal(name);
      expect(error.code).to.equal(code);
      expect(error.message).to.equal("m");
    }
  });

  it("toSolidityProof refuses a proof with a missing coordinate", () => {
    const proof = {
      pi_a: ["1", "2", "1"],
      pi_b: [
        ["3", "4"],
        ["5", "6"],
        ["1", "0"],
      ],
      pi_c: ["7", "8", "1"],
      protocol: "groth16",
      curve: "bn128",
    };
    expect(toSolidityProof(proof)).to.deep.equal([1n, 2n, 4n, 3n, 6n, 5n, 7n, 8n]);
    refused(() => toSolidityProof({ ...proof, pi_c: ["7"] }), "C without y");
    refused(() => toSolidityProof({ ...proof, pi_a: undefined as unknown as string[] }), "no A");
  });

  it("proving refuses a witness that breaks a constraint with ZkWitnessError; verifying wants four signals", async function () {
    this.timeout(120_000);
    const artifacts = await loadCircuitArtifacts({ instance: "test" });
    const input = buildWitnessInput({
      update: update(1000, [3, 40], [100, -100]),
      context: { task: 1, round: 2, member: MEMBER },
      salt: 11n,
      policyBounds: { d: 1000, k: 16, lInf: 4096n, l2Sq: 10n ** 8n },
      params: artifacts.params,
    });
    try {
      await proveWitnessInput({ input: { ...input, commitment: "12345" }, artifacts });
      expect.fail("proved a witness whose commitment is not its entries'");
    } catch (error) {
      expect(error).to.be.instanceOf(ZkWitnessError);
    }
    const proved = await proveWitnessInput({ input, artifacts });
    expect(
      await verifyUpdateProof({
        vkey: artifacts.vkey,
        proof: proved.proof,
        publicInputs: proved.publicSignals,
      }),
    ).to.equal(true);
    try {
      await verifyUpdateProof({
        vkey: artifacts.vkey,
        proof: proved.proof,
        publicInputs: proved.publicSignals.slice(0, 3),
      });
      expect.fail("verified against three signals");
    } catch (error) {
      expect(error).to.be.instanceOf(ZkInputError);
    }
    try {
      await verifyUpdateProof({
        vkey: artifacts.vkey,
        proof: proved.proof,
        publicInputs: [...proved.publicSignals, "0"],
      });
      expect.fail("verified against five signals");
    } catch (error) {
      expect(error).to.be.instanceOf(ZkInputError);
    }
  });

  it("releaseZkWorkers does nothing when no prover pool is running", async () => {
    const holder = globalThis as { curve_bn128?: unknown };
    const saved = holder.curve_bn128;
    try {
      holder.curve_bn128 = undefined;
      await releaseZkWorkers();
      holder.curve_bn128 = null;
      await releaseZkWorkers();
      let terminated = 0;
      holder.curve_bn128 = { terminate: () => Promise.resolve(void terminated++) };
      await releaseZkWorkers();
      expect(terminated).to.equal(1);
    } finally {
      holder.curve_bn128 = saved;
    }
  });
});
