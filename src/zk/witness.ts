import type { SparseUpdate, UpdateContext } from "../sparse/types.js";
import { commitmentFromEntries } from "./commitment.js";
import { ZkInputError } from "./errors.js";
import { BN254_SCALAR_FIELD } from "./field.js";
import { checkUpdateAgainstBounds, packBounds, packContext, packEntries } from "./pack.js";
import type { CircuitParams, PolicyBounds, UpdatePublicInputs, UpdateWitnessInput } from "./types.js";

/** The packed entries and the public inputs of one update, computed once for both uses. */
function packedInputs({
  update,
  context,
  salt,
  policyBounds,
  params,
}: {
  update: SparseUpdate;
  context: UpdateContext;
  salt: bigint;
  policyBounds: PolicyBounds;
  params: CircuitParams;
}): { entries: bigint[]; pub: UpdatePublicInputs } {
  const packedContext = packContext(context);
  const entries = packEntries({
    update,
    lInf: policyBounds.lInf,
    K: params.K,
    valBits: params.VAL_BITS,
    idxBits: params.IDX_BITS,
  });
  const commitment = commitmentFromEntries({
    context: packedContext,
    salt,
    entries,
    count: update.indices.length,
    params,
  });
  return { entries, pub: { commitment, context: packedContext, bounds: packBounds(policyBounds) } };
}

/** The public inputs a verifier (off-chain or the contract) must supply for this update. */
export function publicInputsFor(args: {
  update: SparseUpdate;
  context: UpdateContext;
  salt: bigint;
  policyBounds: PolicyBounds;
  params: CircuitParams;
}): UpdatePublicInputs {
  return packedInputs(args).pub;
}

/** [commitment, context, bounds] in snarkjs's decimal-string form (the circuit's public-signal order). */
export function toPublicSignals({ commitment, context, bounds }: UpdatePublicInputs): string[] {
  return [commitment.toString(), context.toString(), bounds.toString()];
}

/**
 * Circuit input for an honest update: validates the update against the policy and the circuit shape first,
 * so a bad update fails with a ZkInputError that names the broken rule rather than a witness-generation assert.
 */
export function buildWitnessInput({
  update,
  context,
  salt,
  policyBounds,
  params,
}: {
  update: SparseUpdate;
  context: UpdateContext;
  salt: bigint;
  policyBounds: PolicyBounds;
  params: CircuitParams;
}): UpdateWitnessInput {
  if (salt < 0n || salt >= BN254_SCALAR_FIELD)
    throw new ZkInputError("salt must be below the BN254 scalar field");
  checkUpdateAgainstBounds({ update, bounds: policyBounds, params });
  const { entries, pub } = packedInputs({ update, context, salt, policyBounds, params });
  return {
    commitment: pub.commitment.toString(),
    context: pub.context.toString(),
    bounds: pub.bounds.toString(),
    salt: salt.toString(),
    entries: entries.map((e) => e.toString()),
    active: entries.map((_, i) => (i < update.indices.length ? "1" : "0")),
  };
}
