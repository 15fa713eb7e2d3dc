import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "chai";
import { concat, keccak256, toBeHex } from "ethers";
import {
  BN254_BASE_FIELD,
  verifyingKeyHash,
  verifyingKeyWords,
  VERIFYING_KEY_WORDS,
  ZkInputError,
} from "../../src/zk/index.js";
import { readKeyFile, REPO_ROOT, verifierPath } from "../../src/zk/setup/index.js";

const Q = BN254_BASE_FIELD;

/** The BN254 G2 generator as snarkjs writes F_q2 elements: [real, imaginary]. */
const G2_GEN_SNARKJS = [
  [
    "10857046999023057135944570762232829481370756359578518086990519993285655852781",
    "11559732032986387107991004021392285783925812861821192530917403151452391805634",
  ],
  [
    "8495653923123431417604973247489272438418190587263600148770280649306958101930",
    "4082367875863433681332203403145435568316851327593401208105741076214120093531",
  ],
  ["1", "0"],
];

/** A snarkjs-shaped vkey whose points are generators and small multiples (the numbers are not a real key). */
function syntheticVkey(): Record<string, unknown> {
  return {
    protocol: "groth16",
    curve: "bn128",
    nPublic: 4,
    vk_alpha_1: ["1", "2", "1"],
    vk_beta_2: G2_GEN_SNARKJS,
    vk_gamma_2: G2_GEN_SNARKJS,
    vk_delta_2: G2_GEN_SNARKJS,
    vk_alphabeta_12: [],
    IC: [
      ["1", "2", "1"],
      // 2·G1
      [
        "1368015179489954701390400359078579693043519447331113978918064868415326638035",
        "9918110051302171585080402603319702774565515993150576347155970296011118125764",
        "1",
      ],
      ["1", "2", "1"],
      ["1", "2", "1"],
      ["1", "2", "1"],
    ],
  };
}

function expectInputError(fn: () => unknown, pattern: RegExp): void {
  expect(fn).to.throw(ZkInputError, pattern);
}

describe("verifying key words and hash (registry layout)", function () {
  it("lays a snarkjs vkey out as alpha, beta, gamma, delta (G2 as x_im, x_re, y_im, y_re), IC", function () {
    const words = verifyingKeyWords(syntheticVkey());
    expect(words).to.have.length(VERIFYING_KEY_WORDS);
    const g2 = [
      11559732032986387107991004021392285783925812861821192530917403151452391805634n,
      10857046999023057135944570762232829481370756359578518086990519993285655852781n,
      4082367875863433681332203403145435568316851327593401208105741076214120093531n,
      8495653923123431417604973247489272438418190587263600148770280649306958101930n,
    ];
    expect(words).to.deep.equal([
      1n,
      2n,
      ...g2,
      ...g2,
      ...g2,
      1n,
      2n,
      1368015179489954701390400359078579693043519447331113978918064868415326638035n,
      9918110051302171585080402603319702774565515993150576347155970296011118125764n,
      1n,
      2n,
      1n,
      2n,
      1n,
      2n,
    ]);
  });

  it("hashes the words as abi.encodePacked(uint256[]): 32 bytes each, no length", function () {
    const words = verifyingKeyWords(syntheticVkey());
    expect(verifyingKeyHash(words)).to.equal(keccak256(concat(words.map((w) => toBeHex(w, 32)))));
    const other = [...words];
    other[14] = 2n;
    expect(verifyingKeyHash(other)).to.not.equal(verifyingKeyHash(words));
  });

  it("refuses a key of another protocol, curve or signal count", function () {
    expectInputError(() => verifyingKeyWords({ ...syntheticVkey(), protocol: "plonk" }), /protocol must be/);
    expectInputError(() => verifyingKeyWords({ ...syntheticVkey(), curve: "bls12381" }), /curve must be/);
    expectInputError(() => verifyingKeyWords({ ...syntheticVkey(), nPublic: 3 }), /nPublic must be 4/);
    const ic = syntheticVkey().IC as unknown[];
    expectInputError(() => verifyingKeyWords({ ...syntheticVkey(), IC: ic.slice(0, 4) }), /IC must list 5/);
    expectInputError(() => verifyingKeyWords({ ...syntheticVkey(), IC: undefined }), /IC must list 5/);
  });

  it("refuses coordinates that are not decimal base-field elements", function () {
    const at = (alpha: unknown) => () => verifyingKeyWords({ ...syntheticVkey(), vk_alpha_1: alpha });
    expectInputError(at([1, "2", "1"]), /vk_alpha_1\.x must be a decimal string/);
    expectInputError(at(["0x1", "2", "1"]), /decimal string/);
    expectInputError(at(["-1", "2", "1"]), /decimal string/);
    expectInputError(at([Q.toString(), "2", "1"]), /vk_alpha_1\.x is not below the base field/);
    expectInputError(at(["1", (Q + 2n).toString(), "1"]), /not below the base field/);
    expectInputError(at(["1"]), /must be a G1 point/);
    expectInputError(at(["1", "2", "0"]), /not in affine form/);
  });

  it("refuses G1 points off the curve and malformed or infinite G2 points", function () {
    const vk = syntheticVkey();
    expectInputError(() => verifyingKeyWords({ ...vk, vk_alpha_1: ["1", "3", "1"] }), /vk_alpha_1 is not on/);
    expectInputError(
      () => verifyingKeyWords({ ...vk, IC: [...(vk.IC as unknown[]).slice(0, 4), ["0", "0", "1"]] }),
      /IC\[4\] is not on/,
    );
    expectInputError(
      () =>
        verifyingKeyWords({
          ...vk,
          vk_gamma_2: [
            ["0", "0"],
            ["0", "0"],
            ["1", "0"],
          ],
        }),
      /vk_gamma_2 is the point at infinity/,
    );
    expectInputError(() => verifyingKeyWords({ ...vk, vk_delta_2: [["1", "2"]] }), /vk_delta_2 must be a G2/);
    expectInputError(
      () => verifyingKeyWords({ ...vk, vk_beta_2: [["1"], ["1", "2"], ["1", "0"]] }),
      /vk_beta_2\.x must be an F_q2 element/,
    );
    expectInputError(
      () => verifyingKeyWords({ ...vk, vk_beta_2: [...G2_GEN_SNARKJS.slice(0, 2), ["0", "1"]] }),
      /vk_beta_2 is not in affine form/,
    );
  });

  it("hashes only words in the registry's layout", function () {
    const words = verifyingKeyWords(syntheticVkey());
    expectInputError(() => verifyingKeyHash(words.slice(1)), /has 24 words, got 23/);
    expectInputError(() => verifyingKeyHash([...words.slice(1), -1n]), /word 23 is not a uint256/);
    expectInputError(() => verifyingKeyHash([...words.slice(1), 1n << 256n]), /word 23 is not a uint256/);
  });

  it("the committed test key file is the generated TestUpdateVerifier's key in snarkjs's template order", async function () {
    const sol = verifierPath("test");
    if (!existsSync(join(REPO_ROOT, "circuits", "keys", "test.vk.json")) || !existsSync(sol)) this.skip();
    const { words, keyHash } = await readKeyFile({ instance: "test" });
    expect(keyHash).to.equal(verifyingKeyHash(words));
    const source = readFileSync(sol, "utf8");
    const names = ["alphax", "alphay"];
    for (const p of ["beta", "gamma", "delta"]) names.push(`${p}x1`, `${p}x2`, `${p}y1`, `${p}y2`);
    for (let i = 0; i < 5; i++) names.push(`IC${i}x`, `IC${i}y`);
    const constants = names.map((n) => {
      const m = new RegExp(`uint256 constant ${n} *= *(\\d+);`).exec(source);
      expect(m, n).to.not.equal(null);
      return BigInt(m![1]!);
    });
    expect(words).to.deep.equal(constants);
  });
});
