/**
 * Benchmark: gas of every state-changing contract function on the in-process chain (Hardhat's EDR
 * simulator, default hardfork), as receipts' gasUsed (21,000 intrinsic gas and calldata included).
 * - governance: propose / approve (first and second) / execute, per proposal kind, and markExpired;
 * - rounds: openRound (first and later round), commitUpdate with a real Groth16 proof from the `test`
 *   instance (K = 16) next to the verifier's own verifyProof cost (estimateGas of the same call made
 *   directly, and its execution-only part), closeRound, publishAggregate for 3 and 16 members, attest
 *   (first and second auditor), finalizeRound.
 * Run alone: `npx tsx scripts/bench/gas.ts` prints the JSON.
 */
import { pathToFileURL } from "node:url";
import { getBytes, keccak256, toBeHex, toUtf8Bytes, type ContractTransactionResponse } from "ethers";
import { startInProcessChain } from "../../src/chain/local.js";
import {
  localTaskPolicy,
  createLocalTask,
  deployLocalConsortium,
  type ConsortiumAccount,
  type LocalConsortium,
  type GovernanceGas,
} from "../../src/consortium/index.js";
import { encodeProposal, EntityKind, Role, type TaskPolicy } from "../../src/governance/index.js";
import type { SparseUpdate } from "../../src/sparse/types.js";
import {
  computeCommitment,
  loadCircuitArtifacts,
  packContext,
  proveUpdate,
  randomSalt,
  releaseZkWorkers,
  type CircuitArtifacts,
  verifierArguments,
  type SolidityProof,
} from "../../src/zk/index.js";

const HOUR = 3600n;
const SMALL_ROUND = 3;
const LARGE_ROUND = 16;

async function gasOf(tx: Promise<ContractTransactionResponse>): Promise<number> {
  const receipt = await (await tx).wait();
  if (!receipt) throw new Error("a benchmark transaction was not mined");
  return Number(receipt.gasUsed);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : Math.round((s[m - 1]! + s[m]!) / 2);
}

function calldataGas(data: string): number {
  return getBytes(data).reduce((g, b) => g + (b === 0 ? 4 : 16), 0);
}

/** A full update (k entries) within the bench policy's bounds, deterministic in `seed`. */
function boundedUpdate(policy: TaskPolicy, seed: number): SparseUpdate {
  const indices = new Set<number>();
  let x = (seed * 2654435761) >>> 0 || 1;
  const next = (): number => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
  while (indices.size < policy.maxNonZeros) indices.add(next() % policy.dimension);
  const sorted = Uint32Array.from([...indices].sort((a, b) => a - b));
  // |v| ≤ 2000 over 16 entries keeps the L2 norm ≤ 8000, within the 16,384 bound.
  return { dimension: policy.dimension, indices: sorted, values: Int32Array.from(sorted, () => (next() % 4001) - 2000) };
}

interface ProvedCommit {
  cid: string;
  commitment: string;
  proof: bigint[];
  publicSignals: bigint[];
}

async function proveCommit({
  artifacts,
  policy,
  task,
  round,
  member,
  seed,
}: {
  artifacts: CircuitArtifacts;
  policy: TaskPolicy;
  task: bigint;
  round: bigint;
  member: string;
  seed: number;
}): Promise<ProvedCommit> {
  const update = boundedUpdate(policy, seed);
  const context = { task: Number(task), round: Number(round), member };
  const salt = randomSalt();
  const proved = await proveUpdate({
    update,
    context,
    salt,
    policyBounds: { d: policy.dimension, k: policy.maxNonZeros, lInf: policy.lInfBound, l2Sq: policy.l2Bound ** 2n },
    artifacts,
  });
  const commitment = computeCommitment({
    context: packContext(context),
    salt,
    update,
    lInf: policy.lInfBound,
    params: artifacts.params,
  });
  return {
    // A raw-block CID's length: the calldata cost of the string matches what members really send.
    cid: `bafkrei${keccak256(toUtf8Bytes(`${member}:${round}`)).slice(2, 54)}`,
    commitment: toBeHex(commitment, 32),
    proof: [...proved.calldata],
    publicSignals: proved.publicSignals.map(BigInt),
  };
}

const flatten = (g: GovernanceGas) => ({
  propose: Number(g.propose),
  approveFirst: Number(g.approvals[0]),
  approveSecond: Number(g.approvals[1]),
  execute: Number(g.execute),
});

async function governanceGas(bench: LocalConsortium, policy: TaskPolicy): Promise<Record<string, unknown>> {
  const { ethers, networkHelpers } = bench.connection;
  const signers = await ethers.getSigners();
  const newcomer = signers[10]!.address;
  const newGovernor = signers[11]!.address;
  const perKind: Record<string, ReturnType<typeof flatten>> = {};
  perKind.AdmitMember = flatten(
    await bench.govern({
      kind: "AdmitMember",
      account: newcomer,
      profile: {
        roles: Role.Member,
        kind: EntityKind.Recycler,
        encryptionKey: keccak256(toUtf8Bytes("newcomer key")),
        metadataHash: keccak256(toUtf8Bytes("newcomer")),
      },
    }),
  );
  perKind.SuspendMember = flatten(await bench.govern({ kind: "SuspendMember", account: newcomer }));
  perKind.ReinstateMember = flatten(await bench.govern({ kind: "ReinstateMember", account: newcomer }));
  const created = await createLocalTask({ consortium: bench, policy, members: [] });
  perKind.CreateTask = flatten(created.createGas);
  perKind.UpdateTask = flatten(
    await bench.govern({ kind: "UpdateTask", taskId: created.taskId, policy: { ...policy, l2Bound: 12000n } }),
  );
  perKind.GrantTaskAccess = flatten(await bench.govern({ kind: "GrantTaskAccess", taskId: created.taskId, account: newcomer }));
  perKind.RevokeTaskAccess = flatten(
    await bench.govern({ kind: "RevokeTaskAccess", taskId: created.taskId, account: newcomer }),
  );
  perKind.RemoveMember = flatten(await bench.govern({ kind: "RemoveMember", account: newcomer }));
  perKind.AddGovernor = flatten(await bench.govern({ kind: "AddGovernor", governor: newGovernor }));
  perKind.SetQuorum = flatten(await bench.govern({ kind: "SetQuorum", quorum: 3 }));
  // Back to 2 of 3 (govern asks two approvals, so the quorum of 3 must be met by hand once).
  {
    const c = bench.contracts.consortium;
    const { kind, payload } = encodeProposal({
      kind: "SetQuorum",
      quorum: 2,
    });
    await gasOf(c.connect(bench.governors[0]).propose(kind, payload, HOUR));
    const id = await c.proposalCount();
    for (const g of bench.governors) await gasOf(c.connect(g).approve(id));
    await gasOf(c.connect(bench.governors[0]).execute(id));
  }
  perKind.RemoveGovernor = flatten(await bench.govern({ kind: "RemoveGovernor", governor: newGovernor }));

  // markExpired: a proposal whose voting window ran out unexecuted.
  const c = bench.contracts.consortium;
  const { kind, payload } = encodeProposal({ kind: "SetQuorum", quorum: 1 });
  await gasOf(c.connect(bench.governors[0]).propose(kind, payload, 60n));
  const id = await c.proposalCount();
  await networkHelpers.time.increase(61);
  const markExpired = await gasOf(c.connect(bench.outsider).markExpired(id));
  return { perKind, markExpired };
}

interface RoundGas {
  openRound: number;
  commitUpdate: number[];
  closeRound: number;
  publishAggregate: number;
  attest: number[];
  finalizeRound: number;
  verifierEstimate: number;
  verifierCalldata: number;
  commitCalldata: number;
}

async function roundGas({
  bench,
  artifacts,
  policy,
  taskId,
  round,
  baseCid,
  baseHash,
  members,
  seed,
}: {
  bench: LocalConsortium;
  artifacts: CircuitArtifacts;
  policy: TaskPolicy;
  taskId: bigint;
  round: bigint;
  baseCid: string;
  baseHash: string;
  members: readonly ConsortiumAccount[];
  seed: number;
}): Promise<RoundGas & { modelHash: string; modelCid: string }> {
  const { rounds } = bench.contracts;
  const { networkHelpers, ethers } = bench.connection;
  const deadline = BigInt(await networkHelpers.time.latest()) + HOUR;
  const openRound = await gasOf(rounds.connect(bench.aggregator.signer).openRound(taskId, baseCid, baseHash, deadline));
  const commitUpdate: number[] = [];
  let verifierEstimate = 0;
  let verifierCalldata = 0;
  let commitCalldata = 0;
  const verifier = await ethers.getContractAt("TestUpdateVerifier", bench.verifierAddress);
  for (const [i, m] of members.entries()) {
    const c = await proveCommit({ artifacts, policy, task: taskId, round, member: m.address, seed: seed + i });
    if (i === 0) {
      const args = verifierArguments({
        proof: c.proof as SolidityProof,
        publicSignals: c.publicSignals as [bigint, bigint, bigint],
      });
      const fn = verifier.getFunction("verifyProof");
      if (!(await fn.staticCall(...args))) throw new Error("the verifier rejected the benchmark proof");
      verifierEstimate = Number(await fn.estimateGas(...args));
      verifierCalldata = calldataGas(verifier.interface.encodeFunctionData("verifyProof", args));
      commitCalldata = calldataGas(
        rounds.interface.encodeFunctionData("commitUpdate", [taskId, round, c.cid, c.commitment, c.proof]),
      );
    }
    commitUpdate.push(
      await gasOf(rounds.connect(m.signer).commitUpdate(taskId, round, c.cid, c.commitment, c.proof)),
    );
  }
  const closeRound = await gasOf(rounds.connect(bench.aggregator.signer).closeRound(taskId, round));
  const included = members.map((m) => m.address).sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));
  const modelHash = keccak256(toUtf8Bytes(`bench model ${taskId}/${round}`));
  const modelCid = `bafkrei${modelHash.slice(2, 54)}`;
  const publishAggregate = await gasOf(
    rounds.connect(bench.aggregator.signer).publishAggregate(taskId, round, modelCid, modelHash, included, []),
  );
  const attest: number[] = [];
  for (const a of bench.auditors) attest.push(await gasOf(rounds.connect(a.signer).attest(taskId, round, true, modelHash)));
  const finalizeRound = await gasOf(rounds.connect(bench.outsider).finalizeRound(taskId, round));
  return {
    openRound,
    commitUpdate,
    closeRound,
    publishAggregate,
    attest,
    finalizeRound,
    verifierEstimate,
    verifierCalldata,
    commitCalldata,
    modelHash,
    modelCid,
  };
}

export async function run(): Promise<Record<string, unknown>> {
  const artifacts = await loadCircuitArtifacts({ instance: "test" });
  const connection = await startInProcessChain();
  try {
    const bench = await deployLocalConsortium({ connection, members: LARGE_ROUND, circuit: "test" });
    const now = BigInt(await connection.networkHelpers.time.latest());
    const circuit = { maxEntries: artifacts.params.K, idxBits: artifacts.params.IDX_BITS, valBits: artifacts.params.VAL_BITS };
    const policy = localTaskPolicy({ consortium: bench, now, vkeyHash: artifacts.vkeyHash, circuit });
    const governance = await governanceGas(bench, policy);

    const small = await createLocalTask({ consortium: bench, policy, members: bench.members.slice(0, SMALL_ROUND) });
    const r1 = await roundGas({
      bench,
      artifacts,
      policy,
      taskId: small.taskId,
      round: 1n,
      baseCid: policy.initialModelCid,
      baseHash: policy.initialModelHash,
      members: bench.members.slice(0, SMALL_ROUND),
      seed: 100,
    });
    // Round 2 of the same task: opening checks the finalized base, not the policy's initial model.
    const r2 = await roundGas({
      bench,
      artifacts,
      policy,
      taskId: small.taskId,
      round: 2n,
      baseCid: r1.modelCid,
      baseHash: r1.modelHash,
      members: bench.members.slice(0, SMALL_ROUND),
      seed: 200,
    });
    const large = await createLocalTask({ consortium: bench, policy });
    const r16 = await roundGas({
      bench,
      artifacts,
      policy,
      taskId: large.taskId,
      round: 1n,
      baseCid: policy.initialModelCid,
      baseHash: policy.initialModelHash,
      members: bench.members,
      seed: 300,
    });
    const commits = [...r1.commitUpdate, ...r2.commitUpdate, ...r16.commitUpdate];
    const commitMedian = median(commits);
    return {
      network: "hardhat in-process (EDR), gasUsed from receipts, 21,000 intrinsic included",
      circuit: { instance: "test", K: artifacts.params.K },
      governance,
      rounds: {
        openRoundFirst: r1.openRound,
        openRoundAfterFinalized: r2.openRound,
        commitUpdate: {
          median: commitMedian,
          min: Math.min(...commits),
          max: Math.max(...commits),
          samples: commits.length,
          calldataGas: r1.commitCalldata,
          baselineVerifyProofTx: r1.verifierEstimate,
          baselineVerifyProofExecutionOnly: r1.verifierEstimate - 21_000 - r1.verifierCalldata,
          overVerifier: commitMedian - r1.verifierEstimate,
        },
        closeRound: median([r1.closeRound, r2.closeRound, r16.closeRound]),
        publishAggregate: {
          members3: r1.publishAggregate,
          members3SecondRound: r2.publishAggregate,
          members16: r16.publishAggregate,
          perExtraMember: Math.round((r16.publishAggregate - r1.publishAggregate) / (LARGE_ROUND - SMALL_ROUND)),
        },
        attestFirst: r1.attest[0],
        attestSecond: r1.attest[1],
        finalizeRound: r1.finalizeRound,
        roundTotal: {
          members3: r1.openRound + r1.commitUpdate.reduce((a, b) => a + b, 0) + r1.closeRound + r1.publishAggregate + r1.attest.reduce((a, b) => a + b, 0) + r1.finalizeRound,
          members16: r16.openRound + r16.commitUpdate.reduce((a, b) => a + b, 0) + r16.closeRound + r16.publishAggregate + r16.attest.reduce((a, b) => a + b, 0) + r16.finalizeRound,
        },
      },
    };
  } finally {
    await releaseZkWorkers();
    await connection.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  run().then(
    (result) => {
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      process.exit(0);
    },
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}
