import { keccak256, solidityPacked } from "ethers";
import { ZkInputError } from "./errors.js";

/** Order of the BN254 base field: every curve coordinate is below it. */
export const BN254_BASE_FIELD =
  21888242871839275222246405745257275088696311157297823662689037894645226208583n;

/** Public signals of the update (chunk) circuit: [commitment, context, bounds, previous]. */
export const VERIFYING_KEY_PUBLIC_SIGNALS = 4;

/**
 * Words of an update-circuit key in the registry's layout (contracts/interfaces/IVerifyingKeyRegistry.sol):
 * alpha1 (2), beta2, gamma2, delta2 (4 each), IC[0..3] (2 each).
 */
export const VERIFYING_KEY_WORDS = 14 + 2 * (VERIFYING_KEY_PUBLIC_SIGNALS + 1);

const MAX_UINT256 = (1n << 256n) - 1n;

/**
 * The key words the VerifyingKeyRegistry stores and its Groth16 library reads, from a snarkjs verifying key
 * (`zKey.exportVerificationKey` output):
 *
 *   [0..1]   alpha1 (x, y)
 *   [2..5]   beta2  (x_im, x_re, y_im, y_re)
 *   [6..9]   gamma2 (same order)
 *   [10..13] delta2 (same order)
 *   [14..21] IC[0..3] as (x, y) pairs
 *
 * snarkjs writes an F_q2 element as [real, imaginary]; the EIP-197 pairing precompile takes
 * (imaginary, real), so each pair is swapped, exactly as snarkjs's Solidity template does
 * (`betax1 = vk_beta_2[0][1]`) and as `toSolidityProof` does for the proof's B.
 * Throws ZkInputError for anything else: other protocol, curve or signal count, projective coordinates,
 * coordinates that are not base-field elements, G1 points off the curve, G2 points at infinity.
 */
export function verifyingKeyWords(vkey: Record<string, unknown>): bigint[] {
  if (vkey === null || typeof vkey !== "object" || Array.isArray(vkey)) {
    throw new ZkInputError("verifying key must be a snarkjs vkey JSON object");
  }
  expectField(vkey, "protocol", "groth16");
  expectField(vkey, "curve", "bn128");
  expectField(vkey, "nPublic", VERIFYING_KEY_PUBLIC_SIGNALS);
  const ic = vkey.IC;
  if (!Array.isArray(ic) || ic.length !== VERIFYING_KEY_PUBLIC_SIGNALS + 1) {
    throw new ZkInputError(
      `verifying key IC must list ${VERIFYING_KEY_PUBLIC_SIGNALS + 1} points (one per public signal plus one), got ${
        Array.isArray(ic) ? ic.length : typeof ic
      }`,
    );
  }
  return [
    ...g1(vkey.vk_alpha_1, "vk_alpha_1"),
    ...g2(vkey.vk_beta_2, "vk_beta_2"),
    ...g2(vkey.vk_gamma_2, "vk_gamma_2"),
    ...g2(vkey.vk_delta_2, "vk_delta_2"),
    ...ic.flatMap((p: unknown, i) => g1(p, `IC[${i}]`)),
  ];
}

/**
 * The registry's key hash: keccak256 of the words packed as uint256 (abi.encodePacked(uint256[]) in
 * Solidity: 32 bytes each, no length prefix), 0x-prefixed. This is what a task policy pins.
 */
export function verifyingKeyHash(words: readonly bigint[]): string {
  if (words.length !== VERIFYING_KEY_WORDS) {
    throw new ZkInputError(`a verifying key has ${VERIFYING_KEY_WORDS} words, got ${words.length}`);
  }
  words.forEach((w, i) => {
    if (typeof w !== "bigint" || w < 0n || w > MAX_UINT256) {
      throw new ZkInputError(`verifying key word ${i} is not a uint256: ${String(w)}`);
    }
  });
  return keccak256(solidityPacked(["uint256[]"], [words]));
}

function expectField(vkey: Record<string, unknown>, name: string, expected: string | number): void {
  const value = vkey[name];
  if (value !== undefined && value !== expected) {
    throw new ZkInputError(
      `verifying key ${name} must be ${JSON.stringify(expected)}, got ${JSON.stringify(value)}`,
    );
  }
}

/** A base-field element from snarkjs's decimal string. */
function coordinate(value: unknown, what: string): bigint {
  if (typeof value !== "string" || !/^[0-9]{1,80}$/.test(value)) {
    throw new ZkInputError(`verifying key ${what} must be a decimal string, got ${JSON.stringify(value)}`);
  }
  const v = BigInt(value);
  if (v >= BN254_BASE_FIELD) throw new ZkInputError(`verifying key ${what} is not below the base field`);
  return v;
}

/** [x, y] or [x, y, "1"] (snarkjs's affine form) -> [x, y], on y^2 = x^3 + 3. */
function g1(point: unknown, what: string): [bigint, bigint] {
  if (!Array.isArray(point) || (point.length !== 2 && point.length !== 3)) {
    throw new ZkInputError(`verifying key ${what} must be a G1 point [x, y, "1"]`);
  }
  if (point.length === 3 && point[2] !== "1") {
    throw new ZkInputError(`verifying key ${what} is not in affine form (z = ${JSON.stringify(point[2])})`);
  }
  const x = coordinate(point[0], `${what}.x`);
  const y = coordinate(point[1], `${what}.y`);
  const q = BN254_BASE_FIELD;
  if ((y * y) % q !== (((x * x) % q) * x + 3n) % q) {
    throw new ZkInputError(`verifying key ${what} is not on the BN254 curve`);
  }
  return [x, y];
}

/** [[x_re, x_im], [y_re, y_im]] or with ["1", "0"] appended -> [x_im, x_re, y_im, y_re]. */
function g2(point: unknown, what: string): [bigint, bigint, bigint, bigint] {
  if (!Array.isArray(point) || (point.length !== 2 && point.length !== 3)) {
    throw new ZkInputError(
      `verifying key ${what} must be a G2 point [[x_re, x_im], [y_re, y_im], ["1", "0"]]`,
    );
  }
  const pair = (p: unknown, label: string): [unknown, unknown] => {
    if (!Array.isArray(p) || p.length !== 2) {
      throw new ZkInputError(`verifying key ${what}.${label} must be an F_q2 element [real, imaginary]`);
    }
    return [p[0], p[1]];
  };
  if (point.length === 3) {
    const [zRe, zIm] = pair(point[2], "z");
    if (zRe !== "1" || zIm !== "0") {
      throw new ZkInputError(`verifying key ${what} is not in affine form (z = ${JSON.stringify(point[2])})`);
    }
  }
  const [xRe, xIm] = pair(point[0], "x");
  const [yRe, yIm] = pair(point[1], "y");
  const words: [bigint, bigint, bigint, bigint] = [
    coordinate(xIm, `${what}.x.imaginary`),
    coordinate(xRe, `${what}.x.real`),
    coordinate(yIm, `${what}.y.imaginary`),
    coordinate(yRe, `${what}.y.real`),
  ];
  if (words.every((w) => w === 0n)) throw new ZkInputError(`verifying key ${what} is the point at infinity`);
  return words;
}
