/**
 * A member trying to commit an update outside the policy's bounds, by every route a modified client has:
 * 1. the product's own prover refuses before proving (it checks what the circuit will check);
 * 2. a client that skips those checks and hands the circuit the policy's bounds gets no witness: the
 *    circuit's constraints fail (so there is nothing to prove);
 * 3. a client that proves under looser bounds of its own choosing gets a valid proof, but of a different
 *    statement: against the public inputs a verifier takes from the policy (as the contract does) it fails.
 * The returned proof of route 3 lets a caller also try it on chain.
 */
import * as snarkjs from "snarkjs";
import type { SparseUpdate, UpdateContext } from "../sparse/types.js";
import {
  buildWitnessInput,
  commitmentFromEntries,
  packBounds,
  packContext,
  proveUpdate,
  publicInputsFor,
  verifyUpdateProof,
  type CircuitArtifacts,
  type PolicyBounds,
  type UpdateWitnessInput,
} from "../zk/index.js";
import { EvaluationError } from "./errors.js";

export type BoundViolation = "l2" | "linf";

export interface OutOfBoundsOutcome {
  violation: BoundViolation;
  /** Route 1: proveUpdate under the policy's bounds. */
  honestProver: { refused: boolean; error: string };
  /**
   * Route 2: a hand-built witness input carrying the policy's bounds. `error` is the witness calculator's
   * whole message, whose trace names the failing template and line of every frame, down to the line of
   * update_bounds.circom whose constraint failed.
   */
  forgedWitness: { refused: boolean; error: string };
  /** Route 3: a proof under looser bounds, checked against the policy's public inputs. */
  looserBounds: {
    bounds: PolicyBounds;
    proved: boolean;
    verifiesUnderOwnBounds: boolean;
    verifiesUnderPolicyBounds: boolean;
    commitment: bigint;
    calldata: bigint[];
  };
}

const fullMessage = (err: unknown): string => (err instanceof Error ? err.message : String(err)).trim();
const message = (err: unknown): string => fullMessage(err).split("\n")[0]!;

async function witnessFails(
  input: UpdateWitnessInput,
  wasmPath: string,
): Promise<{ refused: boolean; error: string }> {
  try {
    await snarkjs.wtns.calculate(input, wasmPath, {
      type: "mem",
    });
    return { refused: false, error: "" };
  } catch (err) {
    return { refused: true, error: fullMessage(err) };
  }
}

/**
 * The circuit input for `update` exactly as the circuit packs it, without the product's checks: entry =
 * index · 2^VAL_BITS + (value + lInf), the commitment over those entries, and `bounds` as given.
 */
export function rawWitnessInput({
  update,
  context,
  salt,
  bounds,
  artifacts,
}: {
  update: SparseUpdate;
  context: UpdateContext;
  salt: bigint;
  bounds: PolicyBounds;
  artifacts: CircuitArtifacts;
}): UpdateWitnessInput {
  const { K, VAL_BITS } = artifacts.params;
  if (update.indices.length > K) {
    throw new EvaluationError(
      "bad-settings",
      `${update.indices.length} entries do not fit the circuit's ${K} slots`,
    );
  }
  const lInf = BigInt(bounds.lInf);
  const entries = Array.from({ length: K }, (_, i) =>
    i < update.indices.length
      ? (BigInt(update.indices[i]!) << BigInt(VAL_BITS)) + BigInt(update.values[i]!) + lInf
      : 0n,
  );
  const packedContext = packContext(context);
  const commitment = commitmentFromEntries({
    context: packedContext,
    salt,
    entries,
    count: update.indices.length,
    lInf,
    params: artifacts.params,
  });
  // One chunk from the start state (previous = 0, so the carried-over inputs are ignored).
  return {
    commitment: commitment.toString(),
    context: packedContext.toString(),
    bounds: packBounds(bounds).toString(),
    previous: "0",
    salt: salt.toString(),
    chainIn: "0",
    sumSquaresIn: "0",
    nextIn: "0",
    countIn: "0",
    entries: entries.map(String),
    active: entries.map((_, i) => (i < update.indices.length ? "1" : "0")),
  };
}

/** Tries the three routes for `update`, which breaks `policyBounds` (L2 or L∞, as `violation` says). */
export async function attemptOutOfBoundsUpdate({
  update,
  context,
  salt,
  policyBounds,
  looserBounds,
  violation,
  artifacts,
}: {
  update: SparseUpdate;
  context: UpdateContext;
  salt: bigint;
  policyBounds: PolicyBounds;
  /** Bounds the update does obey (what a cheating client would prove under instead). */
  looserBounds: PolicyBounds;
  violation: BoundViolation;
  artifacts: CircuitArtifacts;
}): Promise<OutOfBoundsOutcome> {
  let honestProver = { refused: false, error: "" };
  try {
    await proveUpdate({ update, context, salt, policyBounds, artifacts });
  } catch (err) {
    honestProver = { refused: true, error: message(err) };
  }
  const forgedWitness = await witnessFails(
    rawWitnessInput({ update, context, salt, bounds: policyBounds, artifacts }),
    artifacts.wasmPath,
  );

  // Route 3: the looser bounds' own witness input is honest for those bounds.
  buildWitnessInput({ update, context, salt, policyBounds: looserBounds, params: artifacts.params });
  const proved = await proveUpdate({ update, context, salt, policyBounds: looserBounds, artifacts });
  const own = publicInputsFor({
    update,
    context,
    salt,
    policyBounds: looserBounds,
    params: artifacts.params,
  });
  const verifiesUnderOwnBounds = await verifyUpdateProof({
    vkey: artifacts.vkey,
    proof: proved.proof,
    publicInputs: own,
  });
  const verifiesUnderPolicyBounds = await verifyUpdateProof({
    vkey: artifacts.vkey,
    proof: proved.proof,
    publicInputs: { ...own, bounds: packBounds(policyBounds) },
  });
  return {
    violation,
    honestProver,
    forgedWitness,
    looserBounds: {
      bounds: looserBounds,
      proved: true,
      verifiesUnderOwnBounds,
      verifiesUnderPolicyBounds,
      commitment: own.commitment,
      calldata: [...proved.calldata],
    },
  };
}

/** An update that breaks `bounds` in the named way, with at most `k` entries of dimension `d`. */
export function outOfBoundsUpdate({
  bounds,
  violation,
}: {
  bounds: PolicyBounds;
  violation: BoundViolation;
}): SparseUpdate {
  const lInf = Number(bounds.lInf);
  const count = Math.min(bounds.k, 16);
  const indices = Uint32Array.from({ length: count }, (_, i) => Math.floor((i * bounds.d) / count));
  if (violation === "linf") {
    // Small values except one just above the L∞ bound: the L2 bound still holds.
    const values = Int32Array.from({ length: count }, (_, i) => (i === 0 ? lInf + 1 : 1));
    return { dimension: bounds.d, indices, values };
  }
  // Every value at the L∞ bound: sum of squares count · lInf², above l2Sq when the caller chose it so.
  const values = Int32Array.from({ length: count }, (_, i) => (i % 2 === 0 ? lInf : -lInf));
  let sum = 0n;
  for (const v of values) sum += BigInt(v) * BigInt(v);
  if (sum <= BigInt(bounds.l2Sq)) {
    throw new EvaluationError(
      "bad-settings",
      `${count} entries at ±lInf stay within l2Sq; tighten the L2 bound`,
    );
  }
  return { dimension: bounds.d, indices, values };
}
