/** Real Groth16 proofs from the `test` circuit instance for contract tests. */
import { toBeHex } from "ethers";
import type { SparseUpdate } from "../../src/sparse/types.js";
import type { TaskPolicy } from "../../src/governance/index.js";
import {
  computeCommitment,
  loadCircuitArtifacts,
  packContext,
  proveUpdate,
  randomSalt,
  releaseZkWorkers,
  type CircuitArtifacts,
} from "../../src/zk/index.js";

// snarkjs keeps curve worker threads alive; release them once every test has run so mocha can exit.
after(releaseZkWorkers);

let cached: Promise<CircuitArtifacts> | undefined;
export function testArtifacts(): Promise<CircuitArtifacts> {
  cached ??= loadCircuitArtifacts({ instance: "test" });
  return cached;
}

/** A small honest update within the default test policy's bounds. */
export function honestUpdate(policy: Pick<TaskPolicy, "dimension">, seed = 1): SparseUpdate {
  const indices = Uint32Array.from([3 + seed, 40 + seed, 512 + seed, 900 + (seed % 50)]);
  const values = Int32Array.from([1200, -800, 300 * ((seed % 3) + 1), -2000]);
  return { dimension: policy.dimension, indices, values };
}

export interface CommitArgs {
  cid: string;
  commitment: string;
  proof: bigint[];
  update: SparseUpdate;
  salt: bigint;
}

/** Proves `update` for (task, round, member) under the policy's bounds and returns commitUpdate's arguments. */
export async function proveFor({
  task,
  round,
  member,
  policy,
  update,
}: {
  task: bigint;
  round: bigint;
  member: string;
  policy: TaskPolicy;
  update?: SparseUpdate;
}): Promise<CommitArgs> {
  const artifacts = await testArtifacts();
  const u = update ?? honestUpdate(policy);
  const salt = randomSalt();
  const context = { task: Number(task), round: Number(round), member };
  const proved = await proveUpdate({
    update: u,
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
  const commitment = computeCommitment({
    context: packContext(context),
    salt,
    update: u,
    lInf: policy.lInfBound,
    params: artifacts.params,
  });
  return {
    cid: `bafkrei-test-${member.slice(2, 10)}-${round}`,
    commitment: toBeHex(commitment, 32),
    proof: [...proved.calldata],
    update: u,
    salt,
  };
}
