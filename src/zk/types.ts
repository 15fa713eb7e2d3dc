import type { Groth16Proof, PublicSignals } from "snarkjs";

export type { Groth16Proof, PublicSignals };

/** Shape parameters of one compiled UpdateBounds circuit. */
export interface CircuitParams {
  /** Number of entry slots (maximum non-zeros one proof can carry). */
  readonly K: number;
  /** Bits of an index: the policy's d may be at most 2^IDX_BITS. */
  readonly IDX_BITS: number;
  /** Bits of an offset value (value + lInf): the policy's lInf must satisfy 2 * lInf < 2^VAL_BITS. */
  readonly VAL_BITS: number;
}

/** One entry of circuits/instances.json. */
export interface CircuitInstance {
  readonly name: string;
  readonly template: "UpdateBounds";
  readonly source: string;
  readonly parameters: CircuitParams;
  readonly publicSignals: readonly ["commitment", "context", "bounds", "previous"];
  readonly ptauPower: number;
  readonly description?: string | undefined;
}

/** The policy bounds a proof is checked against, all in fixed-point integer units. */
export interface PolicyBounds {
  /** Model dimension: every index is below d. */
  readonly d: number;
  /** Maximum number of non-zeros. */
  readonly k: number;
  /** L-infinity bound: |value| <= lInf. */
  readonly lInf: bigint | number;
  /** Square of the L2 bound: sum of value^2 <= l2Sq. */
  readonly l2Sq: bigint | number;
}

/** Everything needed to prove and verify with one instance. */
export interface CircuitArtifacts {
  readonly instance: string;
  readonly wasmPath: string;
  readonly zkeyPath: string;
  readonly r1csPath: string;
  readonly vkey: Record<string, unknown>;
  /** keccak256 of the canonical verifying-key JSON, 0x-prefixed: what a task policy records. */
  readonly vkeyHash: string;
  readonly params: CircuitParams;
  readonly ptauPath: string;
  readonly constraints: number;
}

/** A Groth16 proof as the verifier contract takes it: uint256[8] = [a0, a1, b00, b01, b10, b11, c0, c1]. */
export type SolidityProof = [bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint];

/** The four public inputs of one chunk proof, in the circuit's (and the contract's) order. */
export interface UpdatePublicInputs {
  /** The state the chunk ends in; the last chunk's is the update's commitment. */
  readonly commitment: bigint;
  readonly context: bigint;
  readonly bounds: bigint;
  /** The state the chunk continues: 0 for the first chunk. */
  readonly previous: bigint;
}

/** Groth16 proof of one update plus the contract's calldata view of it. */
export interface UpdateProof {
  readonly proof: Groth16Proof;
  /** [commitment, context, bounds, previous] as decimal strings (snarkjs format). */
  readonly publicSignals: PublicSignals;
  /** [a0, a1, b00, b01, b10, b11, c0, c1] with B's coordinates already swapped for the EVM pairing. */
  readonly calldata: SolidityProof;
}

/** Private and public circuit inputs, as decimal strings (what the witness generator reads). */
export interface UpdateWitnessInput {
  readonly commitment: string;
  readonly context: string;
  readonly bounds: string;
  readonly previous: string;
  readonly salt: string;
  readonly chainIn: string;
  readonly sumSquaresIn: string;
  readonly nextIn: string;
  readonly countIn: string;
  readonly entries: string[];
  readonly active: string[];
  readonly [signal: string]: string | string[];
}

/** The arguments of the generated verifier's `verifyProof(pA, pB, pC, pubSignals)`. */
export type VerifierArguments = [
  [bigint, bigint],
  [[bigint, bigint], [bigint, bigint]],
  [bigint, bigint],
  [bigint, bigint, bigint, bigint],
];

/** All chunk proofs of one update and what the contract's commitChunkedUpdate takes besides them. */
export interface ChunkedUpdateProof {
  /** The update's commitment: the state after the last chunk. */
  readonly commitment: bigint;
  /** The states between chunks (one fewer than chunks): each chunk's commitment and the next one's previous. */
  readonly links: bigint[];
  /** One proof per chunk, in order. */
  readonly chunks: UpdateProof[];
}
