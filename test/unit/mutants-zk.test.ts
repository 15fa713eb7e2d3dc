/**
 * Tests written for mutants of src/zk that survived the other zk tests (`npm run mutation -- --area zk`):
 * each input check of the public-input packing, the commitment and the verifying-key conversion at its
 * boundary — the last value accepted and the first refused — since a check that is off by one lets the
 * TypeScript side accept what the circuit or the contract refuses (or the reverse).
 */
import { expect } from "chai";
import {
  BN254_BASE_FIELD,
  BN254_SCALAR_FIELD,
  buildWitnessInput,
  checkUpdateAgainstBounds,
  commitmentFromEntries,
  computeCommitment,
  loadCircuitArtifacts,
  packBounds,
  packContext,
  packEntries,
  packLanes,
  unpackBounds,
  unpackContext,
  verifyingKeyHash,
  verifyingKeyWords,
  VERIFYING_KEY_WORDS,
  ZkInputError,
  type CircuitParams,
} from "../../src/zk/index.js";
import type { SparseUpdate } from "../../src/sparse/types.js";

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
    refused(
      () => checkUpdateAgainstBounds({ update: ok, bounds: { ...bounds, k: 5 }, params: PARAMS }),
      "k > K",
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
    const base = { context: 5n, salt: 7n, entries, count: 2, params: PARAMS };
    const reference = commitmentFromEntries(base);
    expect(commitmentFromEntries({ ...base, salt: BN254_SCALAR_FIELD - 1n })).to.not.equal(reference);
    expect(commitmentFromEntries({ ...base, context: (1n << 224n) - 1n })).to.not.equal(reference);
    expect(commitmentFromEntries({ ...base, count: 4 })).to.not.equal(reference);
    expect(commitmentFromEntries({ ...base, count: 0 })).to.not.equal(reference);
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
      commitmentFromEntries({ context: 5n, salt: 7n, entries: packed, count: 2, params: PARAMS }),
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
    refused(() => verifyingKeyWords({ ...vkey, nPublic: 4 }));
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
});
