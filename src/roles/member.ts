import { getAddress, getBytes, toBeHex } from "ethers";
import { sealToGroup } from "../seal/index.js";
import { encodeUpdate, sparsifyUpdate, type SparseUpdate, type UpdateContext } from "../sparse/index.js";
import {
  proveUpdateChunks,
  randomSalt,
  verifyingKeyHash,
  verifyingKeyWords,
  type CircuitArtifacts,
  type CircuitParams,
} from "../zk/index.js";
import type { TaskPolicy } from "../governance/index.js";
import { toFloatParams } from "../model/index.js";
import { fetchVerifiedModel, loadRoundPolicy, RoleError } from "./common.js";
import type { MemberRoundResult, RoleEnvironment, RoundPolicy } from "./types.js";

/**
 * The global model a member may train on in a round: the round's base model, which the contract let the
 * aggregator open only on the last finalized model. The member checks that again itself and checks the
 * fetched bytes against the hash, so a disputed or substituted model is never trained on.
 */
export async function loadTrainingBase({
  env,
  round,
}: {
  env: RoleEnvironment;
  round: bigint;
}): Promise<{ params: Float32Array; baseModelHash: string; baseModelCid: string }> {
  const { rounds } = env.contracts;
  const events = await rounds.queryFilter(rounds.filters.RoundOpened(env.taskId, round));
  const opened = events[0];
  if (!opened) throw new RoleError("unknown-round", `round ${round} of task ${env.taskId} was never opened`);
  const r = await rounds.getRound(env.taskId, round);
  const [finalizedRound, finalizedHash] = await rounds.lastFinalized(env.taskId);
  if (opened.args.baseModelHash !== finalizedHash || r.baseModelHash !== finalizedHash) {
    throw new RoleError(
      "base-not-finalized",
      `round ${round} builds on ${opened.args.baseModelHash}, but the last finalized model (round ${finalizedRound}) is ${finalizedHash}`,
    );
  }
  const { model } = await fetchVerifiedModel({
    env,
    cid: opened.args.baseModelCid,
    expectedHash: finalizedHash,
  });
  return {
    params: toFloatParams(model),
    baseModelHash: finalizedHash,
    baseModelCid: opened.args.baseModelCid,
  };
}

/**
 * Refuses a proving key whose verifying key is not the one the policy pins, or whose circuit shape is not
 * the registry's: a proof under another key would be refused on chain after the member trained and proved
 * for nothing, and another shape would make every reader compute another commitment.
 */
export function checkProvingKey({
  artifacts,
  policy,
  circuit,
}: {
  artifacts: Pick<CircuitArtifacts, "vkey" | "params">;
  policy: Pick<TaskPolicy, "verifyingKeyHash">;
  circuit: CircuitParams;
}): void {
  const keyHash = verifyingKeyHash(verifyingKeyWords(artifacts.vkey));
  if (keyHash.toLowerCase() !== policy.verifyingKeyHash.toLowerCase())
    throw new RoleError(
      "wrong-proving-key",
      `the proving key's verifying key hashes to ${keyHash}, the policy pins ${policy.verifyingKeyHash}`,
    );
  const { K, IDX_BITS, VAL_BITS } = artifacts.params;
  if (K !== circuit.K || IDX_BITS !== circuit.IDX_BITS || VAL_BITS !== circuit.VAL_BITS)
    throw new RoleError(
      "wrong-proving-key",
      `the proving key is for K=${K}, IDX_BITS=${IDX_BITS}, VAL_BITS=${VAL_BITS}; the registry records K=${circuit.K}, IDX_BITS=${circuit.IDX_BITS}, VAL_BITS=${circuit.VAL_BITS}`,
    );
}

/**
 * One member's contribution to a round: sparsify the locally trained delta (top-k with error feedback,
 * clipping, fixed point), encode it, seal it to the task's reader group, prove that the committed entries
 * obey the round's bounds, and commit on chain with the envelope in the same transaction (so availability
 * is the chain's to decide, not the member's).
 */
export async function commitMemberUpdate({
  env,
  round,
  delta,
  residual,
  artifacts,
  roundPolicy,
  transformUpdate,
  seal = sealToGroup,
}: {
  env: RoleEnvironment;
  round: bigint;
  delta: Float32Array;
  residual?: Float32Array;
  artifacts: CircuitArtifacts;
  roundPolicy?: RoundPolicy;
  /** Rewrites the fixed-point update before it is encoded (adversarial evaluation only). */
  transformUpdate?: (update: SparseUpdate) => SparseUpdate;
  /** Seals the payload; the honest default seals to the policy's reader group (src/adversary varies it). */
  seal?: (input: { payload: Uint8Array; groupPublicKey: Uint8Array; context: UpdateContext }) => Uint8Array;
}): Promise<{ result: MemberRoundResult; residual: Float32Array; update: SparseUpdate }> {
  const { policy, circuit } = roundPolicy ?? (await loadRoundPolicy({ env, round }));
  checkProvingKey({ artifacts, policy, circuit });
  if (delta.length !== policy.dimension) {
    throw new RoleError(
      "dimension",
      `the delta has ${delta.length} parameters, the policy's d is ${policy.dimension}`,
    );
  }
  const sparse = sparsifyUpdate({
    delta,
    residual,
    policy: {
      k: policy.maxNonZeros,
      scale: policy.scale,
      l2Bound: Number(policy.l2Bound),
      lInfBound: Number(policy.lInfBound),
    },
  });
  const update = transformUpdate ? transformUpdate(sparse.update) : sparse.update;
  const member = getAddress(env.address);
  const context = { task: Number(env.taskId), round: Number(round), member };
  const salt = randomSalt();
  const payload = encodeUpdate({ header: { ...context, scale: policy.scale, salt }, update });
  const envelope = seal({ payload, groupPublicKey: getBytes(policy.readerKey), context });

  const started = performance.now();
  const proved = await proveUpdateChunks({
    update,
    context,
    salt,
    policyBounds: {
      d: policy.dimension,
      k: policy.maxNonZeros,
      lInf: policy.lInfBound,
      l2Sq: policy.l2Bound * policy.l2Bound,
    },
    artifacts,
  });
  const proveMs = performance.now() - started;
  const { commitment } = proved;
  const rounds = env.contracts.rounds.connect(env.signer);
  const commitmentWord = toBeHex(commitment, 32);
  // One chunk is a plain commitUpdate (one pairing check); more go in one transaction, batched.
  const tx =
    proved.chunks.length === 1
      ? await rounds.commitUpdate(env.taskId, round, envelope, commitmentWord, proved.chunks[0]!.calldata)
      : await rounds.commitChunkedUpdate(
          env.taskId,
          round,
          envelope,
          commitmentWord,
          proved.links,
          proved.chunks.map((c) => c.calldata),
        );
  const receipt = await tx.wait();
  if (!receipt) throw new RoleError("no-receipt", "commitUpdate was not mined");
  return {
    result: {
      commitment,
      sealedBytes: envelope.length,
      payloadBytes: payload.length,
      proveMs,
      chunks: proved.chunks.length,
      gasUsed: receipt.gasUsed,
      count: update.indices.length,
    },
    residual: sparse.residual,
    update,
  };
}
