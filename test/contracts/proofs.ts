/** Real Groth16 proofs from the `test` circuit instance for contract tests. */
import { hexlify, toBeHex } from "ethers";
import type { SparseUpdate } from "../../src/sparse/types.js";
import type { TaskPolicy } from "../../src/governance/index.js";
import {
  computeCommitment,
  loadCircuitArtifacts,
  packContext,
  proveUpdate,
  proveUpdateChunks,
  randomSalt,
  releaseZkWorkers,
  type CircuitArtifacts,
  type PolicyBounds,
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

/**
 * Stand-in bytes for a sealed envelope: contract tests never open it, the contract only bounds its size
 * (1..512 + 16·maxNonZeros bytes). Deterministic per (member, round) so that failures are reproducible.
 */
export function envelopeBytes(member: string, round: bigint, size = 320): string {
  const bytes = new Uint8Array(size);
  const seed = BigInt(member) ^ (round << 7n);
  for (let i = 0; i < size; i++) bytes[i] = Number((seed >> BigInt((i % 20) * 8)) & 0xffn) ^ (i & 0xff);
  return hexlify(bytes);
}

/** The bounds a proof is checked against, from the policy (l2Sq is the square of the policy's L2 bound). */
function policyBoundsOf(policy: TaskPolicy): PolicyBounds {
  return {
    d: policy.dimension,
    k: policy.maxNonZeros,
    lInf: policy.lInfBound,
    l2Sq: policy.l2Bound * policy.l2Bound,
  };
}

export interface CommitArgs {
  /** The sealed envelope commitUpdate carries (placeholder bytes of a plausible size). */
  envelope: string;
  commitment: string;
  proof: bigint[];
  update: SparseUpdate;
  salt: bigint;
}

/** Who proves what, where: (task, round, member) under `policy`. */
export interface ProofRequest {
  task: bigint;
  round: bigint;
  member: string;
  policy: TaskPolicy;
  update?: SparseUpdate;
}

/** Proves `update` for (task, round, member) under the policy's bounds and returns commitUpdate's arguments. */
export async function proveFor({ task, round, member, policy, update }: ProofRequest): Promise<CommitArgs> {
  const artifacts = await testArtifacts();
  const u = update ?? honestUpdate(policy);
  const salt = randomSalt();
  const context = { task: Number(task), round: Number(round), member };
  const proved = await proveUpdate({
    update: u,
    context,
    salt,
    policyBounds: policyBoundsOf(policy),
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
    envelope: envelopeBytes(member, round),
    commitment: toBeHex(commitment, 32),
    proof: [...proved.calldata],
    update: u,
    salt,
  };
}

const memo = new Map<string, Promise<CommitArgs>>();

/**
 * `proveFor` memoized on (task, round, member, bounds, update): a proof only depends on those, and fixtures
 * restore the chain between tests, so tests that commit the same update in the same place share one proof
 * instead of proving again (about 1.5 s each). Use `proveFor` when a test needs two distinct proofs.
 */
export function cachedProofFor(args: ProofRequest): Promise<CommitArgs> {
  const { task, round, member, policy, update } = args;
  const key = JSON.stringify([
    task.toString(),
    round.toString(),
    member.toLowerCase(),
    policy.dimension,
    policy.maxNonZeros,
    policy.lInfBound.toString(),
    policy.l2Bound.toString(),
    update ? [update.dimension, [...update.indices], [...update.values]] : null,
  ]);
  let proof = memo.get(key);
  if (!proof) {
    proof = proveFor(args);
    memo.set(key, proof);
    proof.catch(() => memo.delete(key));
  }
  return proof;
}

export interface ChunkedCommitArgs {
  envelope: string;
  commitment: string;
  links: bigint[];
  proofs: bigint[][];
  update: SparseUpdate;
}

/** An update of `entries` non-zeros spread over the policy's dimension, within its bounds (seeded). */
export function largeUpdate(policy: Pick<TaskPolicy, "dimension">, entries: number, seed = 1): SparseUpdate {
  const step = Math.floor(policy.dimension / entries);
  const indices = Uint32Array.from({ length: entries }, (_, i) => i * step + (seed % step));
  const values = Int32Array.from({ length: entries }, (_, i) => (((i + 1) * 7919 * seed) % 1600) - 800);
  return { dimension: policy.dimension, indices, values };
}

/** Proves `update` in chunks for (task, round, member) and returns commitChunkedUpdate's arguments. */
export async function proveChunksFor({
  task,
  round,
  member,
  policy,
  update,
}: ProofRequest & { update: SparseUpdate }): Promise<ChunkedCommitArgs> {
  const proved = await proveUpdateChunks({
    update,
    context: { task: Number(task), round: Number(round), member },
    salt: randomSalt(),
    policyBounds: policyBoundsOf(policy),
    artifacts: await testArtifacts(),
  });
  return {
    envelope: envelopeBytes(member, round),
    commitment: toBeHex(proved.commitment, 32),
    links: proved.links,
    proofs: proved.chunks.map((c) => [...c.calldata]),
    update,
  };
}
