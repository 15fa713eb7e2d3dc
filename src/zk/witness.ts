import type { SparseUpdate, UpdateContext } from "../sparse/types.js";
import { updateChunks, type UpdateChunk } from "./commitment.js";
import { ZkInputError } from "./errors.js";
import { BN254_SCALAR_FIELD } from "./field.js";
import { checkUpdateAgainstBounds, packBounds, packContext } from "./pack.js";
import type { CircuitParams, PolicyBounds, UpdatePublicInputs, UpdateWitnessInput } from "./types.js";

interface UpdateArgs {
  update: SparseUpdate;
  context: UpdateContext;
  salt: bigint;
  policyBounds: PolicyBounds;
  params: CircuitParams;
}

/** The chunks of an update and the public inputs every chunk proof shares. */
function chunksOf({ update, context, salt, policyBounds, params }: UpdateArgs): {
  chunks: UpdateChunk[];
  context: bigint;
  bounds: bigint;
} {
  const packedContext = packContext(context);
  return {
    chunks: updateChunks({ context: packedContext, salt, update, lInf: policyBounds.lInf, params }),
    context: packedContext,
    bounds: packBounds(policyBounds),
  };
}

/** The only element of a one-chunk update's list; an update of more than K entries needs chunk proofs. */
function onlyChunk<T>(items: readonly T[], params: CircuitParams): T {
  if (items.length !== 1) {
    throw new ZkInputError(
      `the update needs ${items.length} chunk proofs of ${params.K} entries; prove it with proveUpdateChunks`,
    );
  }
  return items[0]!;
}

/** The public inputs of each chunk proof, in order; the last one's commitment is the update's. */
export function chunkPublicInputs(args: UpdateArgs): UpdatePublicInputs[] {
  const { chunks, context, bounds } = chunksOf(args);
  return chunks.map((c) => ({ commitment: c.commitment, context, bounds, previous: c.previous }));
}

/** The public inputs a verifier (off-chain or the contract) must supply for a one-chunk update. */
export function publicInputsFor(args: UpdateArgs): UpdatePublicInputs {
  return onlyChunk(chunkPublicInputs(args), args.params);
}

/** [commitment, context, bounds, previous] in snarkjs's decimal-string form (the circuit's order). */
export function toPublicSignals({ commitment, context, bounds, previous }: UpdatePublicInputs): string[] {
  return [commitment.toString(), context.toString(), bounds.toString(), previous.toString()];
}

function witnessOf({
  chunk,
  context,
  bounds,
  salt,
}: {
  chunk: UpdateChunk;
  context: bigint;
  bounds: bigint;
  salt: bigint;
}): UpdateWitnessInput {
  return {
    commitment: chunk.commitment.toString(),
    context: context.toString(),
    bounds: bounds.toString(),
    previous: chunk.previous.toString(),
    salt: salt.toString(),
    chainIn: chunk.before.chain.toString(),
    sumSquaresIn: chunk.before.sumSquares.toString(),
    nextIn: chunk.before.next.toString(),
    countIn: chunk.before.count.toString(),
    entries: chunk.entries.map((e) => e.toString()),
    active: chunk.entries.map((_, i) => (i < chunk.count ? "1" : "0")),
  };
}

/**
 * Circuit inputs for an honest update, one per chunk of K entries: validates the update against the policy
 * and the circuit shape first, so a bad update fails with a ZkInputError that names the broken rule rather
 * than a witness-generation assert.
 */
export function buildChunkWitnessInputs(args: UpdateArgs): UpdateWitnessInput[] {
  const { update, salt, policyBounds, params } = args;
  if (salt < 0n || salt >= BN254_SCALAR_FIELD)
    throw new ZkInputError("salt must be below the BN254 scalar field");
  checkUpdateAgainstBounds({ update, bounds: policyBounds, params });
  const { chunks, context, bounds } = chunksOf(args);
  return chunks.map((chunk) => witnessOf({ chunk, context, bounds, salt }));
}

/** Circuit input for an honest update of at most K entries (one chunk); see buildChunkWitnessInputs. */
export function buildWitnessInput(args: UpdateArgs): UpdateWitnessInput {
  return onlyChunk(buildChunkWitnessInputs(args), args.params);
}
