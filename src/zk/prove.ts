import * as snarkjs from "snarkjs";
import type { SparseUpdate, UpdateContext } from "../sparse/types.js";
import { ZkInputError, ZkWitnessError } from "./errors.js";
import type {
  CircuitArtifacts,
  Groth16Proof,
  PolicyBounds,
  PublicSignals,
  SolidityProof,
  UpdateProof,
  UpdatePublicInputs,
  UpdateWitnessInput,
  VerifierArguments,
  ChunkedUpdateProof,
} from "./types.js";
import { proveInWorkers } from "./prove-pool.js";
import { VERIFYING_KEY_PUBLIC_SIGNALS } from "./verifying-key.js";
import { buildChunkWitnessInputs, buildWitnessInput, toPublicSignals } from "./witness.js";

/**
 * Splits the contract's uint256[8] proof into the generated verifier's (pA, pB, pC) and appends the public
 * signals, in the same order FederatedRounds.commitUpdate uses when it calls the verifier.
 */
export function verifierArguments({
  proof,
  publicSignals,
}: {
  proof: SolidityProof;
  publicSignals: readonly [bigint, bigint, bigint, bigint];
}): VerifierArguments {
  const [a0, a1, b00, b01, b10, b11, c0, c1] = proof;
  return [
    [a0, a1],
    [
      [b00, b01],
      [b10, b11],
    ],
    [c0, c1],
    [...publicSignals],
  ];
}

/**
 * The proof as the verifier contract takes it, in exportSolidityCallData's order: A, then B with each
 * coordinate pair swapped (the EVM pairing precompile wants Fq2 elements as (imaginary, real)), then C.
 */
export function toSolidityProof(proof: Groth16Proof): SolidityProof {
  const { pi_a: a, pi_b: b, pi_c: c } = proof;
  const at = (xs: readonly string[] | undefined, i: number): bigint => {
    const v = xs?.[i];
    if (v === undefined) throw new ZkInputError(`malformed Groth16 proof: missing coordinate ${i}`);
    return BigInt(v);
  };
  return [at(a, 0), at(a, 1), at(b[0], 1), at(b[0], 0), at(b[1], 1), at(b[1], 0), at(c, 0), at(c, 1)];
}

/** Groth16 proof for a prepared circuit input (honest or, in tests, hand-crafted). */
export async function proveWitnessInput({
  input,
  artifacts,
}: {
  input: UpdateWitnessInput;
  artifacts: Pick<CircuitArtifacts, "wasmPath" | "zkeyPath">;
}): Promise<UpdateProof> {
  let result: { proof: Groth16Proof; publicSignals: PublicSignals };
  try {
    result = await snarkjs.groth16.fullProve(input, artifacts.wasmPath, artifacts.zkeyPath);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new ZkWitnessError(`witness generation failed (the input breaks a circuit constraint): ${message}`);
  }
  return {
    proof: result.proof,
    publicSignals: result.publicSignals,
    calldata: toSolidityProof(result.proof),
  };
}

/**
 * Proves that `update` (at most K entries: one chunk), committed with `salt` for `context`, obeys
 * `policyBounds`. The returned public signals are [commitment, context, bounds, 0]; `calldata` goes to the
 * contract's commitUpdate. Larger updates: proveUpdateChunks.
 */
export async function proveUpdate({
  update,
  context,
  salt,
  policyBounds,
  artifacts,
}: {
  update: SparseUpdate;
  context: UpdateContext;
  salt: bigint;
  policyBounds: PolicyBounds;
  artifacts: CircuitArtifacts;
}): Promise<UpdateProof> {
  const input = buildWitnessInput({ update, context, salt, policyBounds, params: artifacts.params });
  return proveWitnessInput({ input, artifacts });
}

/**
 * Proves an update of any size in chunks of K entries (circuits/update_bounds.circom): one proof per chunk,
 * each continuing the state the one before ended in. A single chunk is proven here (snarkjs uses every core
 * for it); several are proven in parallel on worker threads, one per core, so the caller's event loop stays
 * free. The result is what the contract's commitChunkedUpdate takes (or commitUpdate, for one chunk).
 */
export async function proveUpdateChunks({
  update,
  context,
  salt,
  policyBounds,
  artifacts,
  threads,
}: {
  update: SparseUpdate;
  context: UpdateContext;
  salt: bigint;
  policyBounds: PolicyBounds;
  artifacts: CircuitArtifacts;
  /** Worker threads for several chunks (default: one per core, at most one per chunk). */
  threads?: number;
}): Promise<ChunkedUpdateProof> {
  const inputs = buildChunkWitnessInputs({ update, context, salt, policyBounds, params: artifacts.params });
  const proved =
    inputs.length === 1
      ? [await proveWitnessInput({ input: inputs[0]!, artifacts })]
      : (await proveInWorkers({ inputs, artifacts, threads })).map((r) => ({
          ...r,
          calldata: toSolidityProof(r.proof),
        }));
  const commitments = inputs.map((input) => BigInt(input.commitment));
  return {
    commitment: commitments[commitments.length - 1]!,
    links: commitments.slice(0, -1),
    chunks: proved,
  };
}

/**
 * Off-chain check of a proof against the verifying key and the public inputs the verifier itself expects
 * (never the prover's own list unless the caller has checked it).
 */
export async function verifyUpdateProof({
  vkey,
  proof,
  publicInputs,
}: {
  vkey: Record<string, unknown>;
  proof: Groth16Proof;
  publicInputs: UpdatePublicInputs | PublicSignals;
}): Promise<boolean> {
  const signals = Array.isArray(publicInputs) ? publicInputs : toPublicSignals(publicInputs);
  if (signals.length !== VERIFYING_KEY_PUBLIC_SIGNALS) {
    throw new ZkInputError(`expected ${VERIFYING_KEY_PUBLIC_SIGNALS} public signals, got ${signals.length}`);
  }
  return snarkjs.groth16.verify(vkey, signals, proof);
}

/**
 * snarkjs keeps a pool of worker threads for BN254 alive after proving; stop it so a CLI or test process
 * can exit. The next proof starts a fresh pool.
 */
export async function releaseZkWorkers(): Promise<void> {
  const holder = globalThis as { curve_bn128?: { terminate(): Promise<void> } | null };
  const curve = holder.curve_bn128;
  if (curve !== undefined && curve !== null) await curve.terminate();
}
