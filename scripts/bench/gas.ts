/**
 * Benchmark: gas of every state-changing contract function on the in-process chain (Hardhat's EDR
 * simulator, default hardfork), as receipts' gasUsed (21,000 intrinsic gas and calldata included).
 * - governance: propose / approve (first and second) / execute, per proposal kind (RegisterVerifyingKey
 *   and ResolveDispute included), and markExpired;
 * - rounds: openRound (first and later round), commitUpdate with a real Groth16 proof from the `test`
 *   instance (K = 16) and the sealed envelope in calldata, next to the registry's own
 *   verifyUpdateProof for the same proof (estimateGas of the call made directly: there is no verifier
 *   contract to send it to, and a view call has no receipt), the envelope's share of the commit (the same
 *   commit with a 1-byte envelope), closeRound, publishAggregate, attest (match and mismatch),
 *   finalizeRound, abandonRound (publish window and attestation window passed), resolveDispute;
 * - zero trust (issue 11, point 8): publishAggregate at 1, 16, 256 and 1,000 committers, every commit
 *   with a real proof, against the 2^24 per-transaction gas cap.
 * Proofs are proved concurrently (snarkjs's BN254 worker threads) before each round opens, and kept in
 * bench/out/gas-proofs.json, keyed by everything they depend on, so a rerun proves only what changed.
 * Run alone: `npx tsx scripts/bench/gas.ts` prints the JSON (CFL_BENCH_COMMITTERS=1,16 for a quick run).
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { getBytes, keccak256, toBeHex, toUtf8Bytes, type ContractTransactionResponse } from "ethers";
import { startInProcessChain } from "../../src/harness/index.js";
import {
  localTaskPolicy,
  createLocalTask,
  deployLocalConsortium,
  type ConsortiumAccount,
  type LocalConsortium,
  type GovernanceGas,
} from "../../src/harness/index.js";
import { encodeProposal, EntityKind, Role, type TaskPolicy } from "../../src/governance/index.js";
import { mapBounded } from "../../src/roles/index.js";
import { sealToGroup } from "../../src/seal/index.js";
import { encodeUpdate } from "../../src/sparse/index.js";
import type { SparseUpdate } from "../../src/sparse/types.js";
import {
  committedDevelopmentKey,
  computeCommitment,
  loadCircuitArtifacts,
  packContext,
  proveUpdate,
  randomSalt,
  releaseZkWorkers,
  type CircuitArtifacts,
} from "../../src/zk/index.js";
import { VerifyingKeyRegistry__factory } from "../../types/ethers-contracts/index.js";

const HOUR = 3600n;
const SMALL_ROUND = 3;
const LARGE_ROUND = 16;
/** Committers per round of the zero-trust scaling rounds (issue 11, point 8). */
const COMMITTERS = (process.env.CFL_BENCH_COMMITTERS ?? "1,16,256,1000").split(",").map(Number);
/** EIP-7825's per-transaction gas cap. */
const TX_GAS_CAP = 2 ** 24;
/** Proofs in flight at once: witness generation of one overlaps the multi-exponentiations of another. */
const PROVING_CONCURRENCY = 2;
/**
 * commitUpdate's median gas before issue 11, when the envelope went to IPFS and the commit carried its CID
 * (a 59-character string) and a generated verifier checked the proof: bench/results.json of 2026-11-27,
 * commit b4488fd770, 22 commits with real `test` proofs. That code path no longer exists to measure.
 */
const CID_COMMIT_BASELINE = { gas: 286_182, verifyProofTx: 232_025, commit: "b4488fd770", measuredAt: "2026-11-27" };
const PROOF_CACHE = fileURLToPath(new URL("../../bench/out/gas-proofs.json", import.meta.url));

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

function calldataGas(data: string | Uint8Array): number {
  return getBytes(data).reduce((g, b) => g + (b === 0 ? 4 : 16), 0);
}

const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
const byAddress = (a: string, b: string): number => (BigInt(a) < BigInt(b) ? -1 : 1);

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

/**
 * Proofs of earlier runs (a proof depends only on the key, the bounds, the context, the update and the salt),
 * and the wall time each round's proving took in the run that proved all of it.
 */
interface ProofCache {
  proofs: Record<string, { salt: string; commitment: string; proof: string[] }>;
  rounds: Record<string, { proofs: number; seconds: number; provedAt: string }>;
}
let cache: ProofCache = { proofs: {}, rounds: {} };
let cacheHits = 0;
let provedNow = 0;
/** Wall time spent proving, all rounds. */
let provingMs = 0;

async function loadCache(): Promise<void> {
  try {
    const read = JSON.parse(await readFile(PROOF_CACHE, "utf8")) as Partial<ProofCache>;
    cache = { proofs: read.proofs ?? {}, rounds: read.rounds ?? {} };
  } catch {
    cache = { proofs: {}, rounds: {} };
  }
}

async function saveCache(): Promise<void> {
  await mkdir(dirname(PROOF_CACHE), { recursive: true });
  await writeFile(PROOF_CACHE, JSON.stringify(cache));
}

interface ProvedCommit {
  member: string;
  envelope: Uint8Array;
  commitment: string;
  proof: bigint[];
  publicSignals: [bigint, bigint, bigint, bigint];
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
  const policyBounds = { d: policy.dimension, k: policy.maxNonZeros, lInf: policy.lInfBound, l2Sq: policy.l2Bound ** 2n };
  const key = [policyKey(policy), task, round, member, seed].join(":");
  let hit = cache.proofs[key];
  if (hit === undefined) {
    const salt = randomSalt();
    const proved = await proveUpdate({ update, context, salt, policyBounds, artifacts });
    provedNow++;
    const commitment = computeCommitment({
      context: packContext(context),
      salt,
      update,
      lInf: policy.lInfBound,
      params: artifacts.params,
    });
    hit = { salt: salt.toString(), commitment: toBeHex(commitment, 32), proof: proved.calldata.map(String) };
    cache.proofs[key] = hit;
  } else {
    cacheHits++;
  }
  const salt = BigInt(hit.salt);
  // The envelope a member really sends: the encoded update sealed to the task's reader group.
  const payload = encodeUpdate({ header: { ...context, scale: policy.scale, salt }, update });
  const envelope = sealToGroup({ payload, groupPublicKey: getBytes(policy.readerKey), context });
  const packed = packContext(context);
  return {
    member,
    envelope,
    commitment: hit.commitment,
    proof: hit.proof.map(BigInt),
    publicSignals: [BigInt(hit.commitment), packed, boundsSignal(policy), 0n],
  };
}

/** What a proof depends on besides its context and update: the key and the policy's bounds. */
function policyKey(policy: TaskPolicy): string {
  return [policy.verifyingKeyHash, policy.dimension, policy.maxNonZeros, policy.lInfBound, policy.l2Bound].join(":");
}

/** The bounds public input as FederatedRounds packs it: d | k << 32 | lInf << 64 | l2² << 128. */
function boundsSignal(policy: TaskPolicy): bigint {
  return (
    BigInt(policy.dimension) |
    (BigInt(policy.maxNonZeros) << 32n) |
    (policy.lInfBound << 64n) |
    ((policy.l2Bound * policy.l2Bound) << 128n)
  );
}

/** How a round's proofs were obtained: proved now (wall seconds), or all from the cache. */
interface RoundProving {
  provedNow: number;
  seconds: number;
  /** When every proof came from the cache: the proving wall time of the run that proved them all. */
  earlierRun?: { proofs: number; seconds: number; provedAt: string };
}

/** Proves one commit per member for (task, round), concurrently, before the round opens. */
async function proveRound(args: {
  artifacts: CircuitArtifacts;
  policy: TaskPolicy;
  task: bigint;
  round: bigint;
  members: readonly ConsortiumAccount[];
  seed: number;
}): Promise<{ commits: ProvedCommit[]; proving: RoundProving }> {
  const roundKey = [policyKey(args.policy), args.task, args.round, args.members.length, args.seed].join(":");
  const before = provedNow;
  const started = performance.now();
  const commits = await mapBounded([...args.members.entries()], PROVING_CONCURRENCY, ([i, m]) =>
    proveCommit({ ...args, member: m.address, seed: args.seed + i }),
  );
  // Wall time of the concurrent proving (cache hits take no time to speak of).
  const ms = performance.now() - started;
  provingMs += ms;
  const proved = provedNow - before;
  const seconds = Math.round(ms / 100) / 10;
  if (proved === commits.length && proved > 0) {
    cache.rounds[roundKey] = { proofs: proved, seconds, provedAt: new Date().toISOString() };
  }
  await saveCache();
  const earlierRun = proved === 0 ? cache.rounds[roundKey] : undefined;
  return { commits, proving: { provedNow: proved, seconds, ...(earlierRun ? { earlierRun } : {}) } };
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
  // A second key (the demo instance's development key; the test key is registered at deployment).
  const demoKey = await committedDevelopmentKey({ instance: "demo" });
  perKind.RegisterVerifyingKey = flatten(
    await bench.govern({
      kind: "RegisterVerifyingKey",
      words: demoKey.words,
      shape: demoKey.shape,
      developmentOnly: demoKey.developmentOnly,
    }),
  );
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
  envelopeBytes: number[];
  modelHash: string;
  modelCid: string;
  /** The first commit, for the verifier baseline. */
  first: ProvedCommit;
  proving: RoundProving;
}

/** One whole honest round: open, commit (proved beforehand), close, publish (everyone included), attest, finalize. */
async function roundGas({
  bench,
  artifacts,
  policy,
  taskId,
  round,
  members,
  seed,
}: {
  bench: LocalConsortium;
  artifacts: CircuitArtifacts;
  policy: TaskPolicy;
  taskId: bigint;
  round: bigint;
  members: readonly ConsortiumAccount[];
  seed: number;
}): Promise<RoundGas> {
  const { commits, proving } = await proveRound({ artifacts, policy, task: taskId, round, members, seed });
  const { rounds } = bench.contracts;
  const { networkHelpers } = bench.connection;
  const [, baseHash] = await rounds.lastFinalized(taskId);
  const baseCid = round === 1n ? policy.initialModelCid : `bafkrei${baseHash.slice(2, 54)}`;
  const deadline = BigInt(await networkHelpers.time.latest()) + HOUR;
  const openRound = await gasOf(rounds.connect(bench.aggregator.signer).openRound(taskId, baseCid, baseHash, deadline));
  const commitUpdate: number[] = [];
  for (const [i, c] of commits.entries()) {
    commitUpdate.push(
      await gasOf(rounds.connect(members[i]!.signer).commitUpdate(taskId, round, c.envelope, c.commitment, c.proof)),
    );
  }
  const closeRound = await gasOf(rounds.connect(bench.aggregator.signer).closeRound(taskId, round));
  const included = members.map((m) => m.address).sort(byAddress);
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
    envelopeBytes: commits.map((c) => c.envelope.length),
    modelHash,
    modelCid,
    first: commits[0]!,
    proving,
  };
}

/** verifyUpdateProof of the registry for one commit's proof, as estimateGas of a direct call. */
async function registryBaseline(bench: LocalConsortium, c: ProvedCommit, taskId: bigint, round: bigint) {
  const registry = VerifyingKeyRegistry__factory.connect(
    await bench.contracts.consortium.verifyingKeys(),
    bench.connection.ethers.provider,
  );
  const keyHash = bench.verifyingKey.keyHash;
  const proof = c.proof;
  if (!(await registry.verifyUpdateProof(keyHash, proof, c.publicSignals)))
    throw new Error("the registry rejected the benchmark proof");
  const tx = Number(await registry.verifyUpdateProof.estimateGas(keyHash, proof, c.publicSignals));
  const calldata = calldataGas(registry.interface.encodeFunctionData("verifyUpdateProof", [keyHash, proof, c.publicSignals]));
  const commitData = bench.contracts.rounds.interface.encodeFunctionData("commitUpdate", [
    taskId,
    round,
    c.envelope,
    c.commitment,
    c.proof,
  ]);
  return { tx, calldata, commitCalldataGas: calldataGas(commitData), commitCalldataBytes: getBytes(commitData).length };
}

/**
 * publishAggregate at each committer count of COMMITTERS, as consecutive finalized rounds of one task that
 * every member is granted to; every commit carries a real proof and a real envelope.
 */
async function scalingGas(bench: LocalConsortium, artifacts: CircuitArtifacts, policy: TaskPolicy) {
  const { taskId } = await createLocalTask({ consortium: bench, policy });
  const rows: Record<string, unknown>[] = [];
  const commits: number[] = [];
  for (const [i, n] of COMMITTERS.entries()) {
    const members = bench.members.slice(0, n);
    if (members.length !== n) throw new Error(`${n} committers asked, the consortium has ${bench.members.length}`);
    const t = performance.now();
    process.stderr.write(`  gas: round with ${n} committers (proving ${n} updates) ...\n`);
    const r = await roundGas({ bench, artifacts, policy, taskId, round: BigInt(i + 1), members, seed: 10_000 * (i + 1) });
    commits.push(...r.commitUpdate);
    rows.push({
      committers: n,
      publishAggregate: r.publishAggregate,
      shareOfTxGasCap: Math.round((r.publishAggregate / TX_GAS_CAP) * 10_000) / 10_000,
      commitUpdateMedian: median(r.commitUpdate),
      commitUpdateTotal: sum(r.commitUpdate),
      roundTotal: r.openRound + sum(r.commitUpdate) + r.closeRound + r.publishAggregate + sum(r.attest) + r.finalizeRound,
      proofsProvedNow: r.proving.provedNow,
      provingSeconds: r.proving.seconds,
      ...(r.proving.earlierRun ? { provingEarlierRun: r.proving.earlierRun } : {}),
      wallSeconds: Math.round((performance.now() - t) / 100) / 10,
    });
  }
  const first = rows[0]!;
  const last = rows[rows.length - 1]!;
  const slope =
    ((last.publishAggregate as number) - (first.publishAggregate as number)) /
    Math.max(1, (last.committers as number) - (first.committers as number));
  const fixed = (first.publishAggregate as number) - slope * (first.committers as number);
  return {
    txGasCap: TX_GAS_CAP,
    maxCommitsPerRound: Number(await bench.contracts.consortium.MAX_COMMITS_PER_ROUND()),
    policyMaxCommits: policy.maxCommits,
    rows,
    perCommitter: Math.round(slope),
    fixed: Math.round(fixed),
    committersAtCap: Math.floor((TX_GAS_CAP - fixed) / slope),
    commitUpdate: { median: median(commits), min: Math.min(...commits), max: Math.max(...commits), samples: commits.length },
  };
}

/**
 * Rounds that do not finalize, on a second consortium with three auditors (so one can be suspended while
 * the quorum of two stays reachable): abandonRound after the publish window and after the attestation
 * window, an auditor's mismatch that disputes a round, governance's ResolveDispute (upholding the model and
 * suspending the auditor) and resolveDispute. The first of these rounds takes a commit with a 1-byte
 * envelope, the second the real one: the difference is what carrying the envelope costs.
 */
async function windowsGas(artifacts: CircuitArtifacts) {
  const connection = await startInProcessChain();
  try {
    const bench = await deployLocalConsortium({ connection, members: 1, circuit: "test", auditors: 3, seed: 2 });
    const { networkHelpers } = connection;
    const { rounds } = bench.contracts;
    const agg = rounds.connect(bench.aggregator.signer);
    const now = BigInt(await networkHelpers.time.latest());
    const policy = localTaskPolicy({ consortium: bench, now });
    const { taskId } = await createLocalTask({ consortium: bench, policy });
    const member = bench.members[0]!;
    const open = async (): Promise<number> =>
      gasOf(
        agg.openRound(
          taskId,
          policy.initialModelCid,
          policy.initialModelHash,
          BigInt(await networkHelpers.time.latest()) + HOUR,
        ),
      );
    const modelHash = keccak256(toUtf8Bytes("bench disputed model"));
    const modelCid = `bafkrei${modelHash.slice(2, 54)}`;

    // Round 1: committed with a 1-byte envelope, closed, never published: abandoned after the publish window.
    const { commits: [c1] } = await proveRound({ artifacts, policy, task: taskId, round: 1n, members: [member], seed: 500 });
    await open();
    const commitOneByteEnvelope = await gasOf(
      rounds.connect(member.signer).commitUpdate(taskId, 1n, Uint8Array.of(1), c1!.commitment, c1!.proof),
    );
    await gasOf(agg.closeRound(taskId, 1n));
    await networkHelpers.time.increase(policy.publishWindow + 1);
    const abandonPublishWindow = await gasOf(rounds.connect(bench.outsider).abandonRound(taskId, 1n));

    // Round 2: the real envelope; published; one auditor attests a mismatch (the round is disputed);
    // governance upholds the model and suspends that auditor; anyone applies the resolution.
    // The aggregator that let round 1 lapse waits maxRoundDuration before it may open again.
    await networkHelpers.time.increase(policy.maxRoundDuration + 1);
    const { commits: [c2] } = await proveRound({ artifacts, policy, task: taskId, round: 2n, members: [member], seed: 501 });
    await open();
    const commitRealEnvelope = await gasOf(
      rounds.connect(member.signer).commitUpdate(taskId, 2n, c2!.envelope, c2!.commitment, c2!.proof),
    );
    await gasOf(agg.closeRound(taskId, 2n));
    await gasOf(agg.publishAggregate(taskId, 2n, modelCid, modelHash, [member.address], []));
    const liar = bench.auditors[0]!;
    const attestMismatch = await gasOf(rounds.connect(liar.signer).attest(taskId, 2n, false, keccak256(toUtf8Bytes("lie"))));
    const resolveProposal = flatten(
      await bench.govern({ kind: "ResolveDispute", taskId, round: 2n, upholdModel: true, suspend: [liar.address] }),
    );
    const resolveDispute = await gasOf(rounds.connect(bench.outsider).resolveDispute(taskId, 2n));

    // Round 3, on the upheld model: published, no attestation: abandoned after the attestation window.
    const { commits: [c3] } = await proveRound({ artifacts, policy, task: taskId, round: 3n, members: [member], seed: 502 });
    await gasOf(agg.openRound(taskId, modelCid, modelHash, BigInt(await networkHelpers.time.latest()) + HOUR));
    await gasOf(rounds.connect(member.signer).commitUpdate(taskId, 3n, c3!.envelope, c3!.commitment, c3!.proof));
    await gasOf(agg.closeRound(taskId, 3n));
    await gasOf(agg.publishAggregate(taskId, 3n, `${modelCid}3`, keccak256(modelHash), [member.address], []));
    await networkHelpers.time.increase(policy.attestationWindow + 1);
    const abandonAttestationWindow = await gasOf(rounds.connect(bench.outsider).abandonRound(taskId, 3n));
    const envelopeBytes = c2!.envelope.length;
    return {
      auditors: bench.auditors.length,
      abandonPublishWindow,
      abandonAttestationWindow,
      attestMismatch,
      resolveProposal,
      resolveDispute,
      envelope: {
        bytes: envelopeBytes,
        commitRealEnvelope,
        commitOneByteEnvelope,
        gas: commitRealEnvelope - commitOneByteEnvelope,
        gasPerByte: Math.round(((commitRealEnvelope - commitOneByteEnvelope) / (envelopeBytes - 1)) * 10) / 10,
        maxBytes: Number(await rounds.ENVELOPE_OVERHEAD_BYTES()) + Number(await rounds.ENVELOPE_BYTES_PER_ENTRY()) * policy.maxNonZeros,
      },
    };
  } finally {
    await connection.close();
  }
}

export async function run(): Promise<Record<string, unknown>> {
  const artifacts = await loadCircuitArtifacts({ instance: "test" });
  await loadCache();
  const connection = await startInProcessChain();
  const started = performance.now();
  try {
    const members = Math.max(LARGE_ROUND, ...COMMITTERS);
    process.stderr.write(`  gas: deploying a consortium of ${members} members ...\n`);
    const bench = await deployLocalConsortium({ connection, members, circuit: "test" });
    const setupSeconds = Math.round((performance.now() - started) / 100) / 10;
    const now = BigInt(await connection.networkHelpers.time.latest());
    const policy = localTaskPolicy({ consortium: bench, now });
    const governance = await governanceGas(bench, policy);

    const smallMembers = bench.members.slice(0, SMALL_ROUND);
    const small = await createLocalTask({ consortium: bench, policy, members: smallMembers });
    const args = { bench, artifacts, policy, taskId: small.taskId, members: smallMembers };
    const r1 = await roundGas({ ...args, round: 1n, seed: 100 });
    // Round 2 of the same task: opening checks the finalized base, not the policy's initial model.
    const r2 = await roundGas({ ...args, round: 2n, seed: 200 });
    const largeMembers = bench.members.slice(0, LARGE_ROUND);
    const large = await createLocalTask({ consortium: bench, policy, members: largeMembers });
    const r16 = await roundGas({ bench, artifacts, policy, taskId: large.taskId, round: 1n, members: largeMembers, seed: 300 });
    const baseline = await registryBaseline(bench, r1.first, small.taskId, 1n);
    const scaling = await scalingGas(bench, artifacts, policy);
    const windows = await windowsGas(artifacts);
    (governance.perKind as Record<string, unknown>).ResolveDispute = windows.resolveProposal;

    const commits = [...r1.commitUpdate, ...r2.commitUpdate, ...r16.commitUpdate];
    const commitMedian = median(commits);
    const envelopes = [...r1.envelopeBytes, ...r2.envelopeBytes, ...r16.envelopeBytes];
    const total = (r: RoundGas): number =>
      r.openRound + sum(r.commitUpdate) + r.closeRound + r.publishAggregate + sum(r.attest) + r.finalizeRound;
    return {
      network: "hardhat in-process (EDR), gasUsed from receipts, 21,000 intrinsic included",
      hardfork: connection.networkConfig.type === "edr-simulated" ? connection.networkConfig.hardfork : "unknown",
      circuit: { instance: "test", K: artifacts.params.K },
      policy: { d: policy.dimension, k: policy.maxNonZeros, maxCommits: policy.maxCommits },
      governance,
      rounds: {
        openRoundFirst: r1.openRound,
        openRoundAfterFinalized: r2.openRound,
        commitUpdate: {
          median: commitMedian,
          min: Math.min(...commits),
          max: Math.max(...commits),
          samples: commits.length,
          calldataGas: baseline.commitCalldataGas,
          calldataBytes: baseline.commitCalldataBytes,
          envelopeBytesMedian: median(envelopes),
          baselineVerifyUpdateProofTx: baseline.tx,
          baselineVerifyUpdateProofExecutionOnly: baseline.tx - 21_000 - baseline.calldata,
          overVerifier: commitMedian - baseline.tx,
          baselineCidCommit: CID_COMMIT_BASELINE,
        },
        envelope: windows.envelope,
        closeRound: median([r1.closeRound, r2.closeRound, r16.closeRound]),
        publishAggregate: {
          members3: r1.publishAggregate,
          members3SecondRound: r2.publishAggregate,
          members16: r16.publishAggregate,
          perExtraMember: Math.round((r16.publishAggregate - r1.publishAggregate) / (LARGE_ROUND - SMALL_ROUND)),
        },
        attestFirst: r1.attest[0],
        attestSecond: r1.attest[1],
        attestMismatch: windows.attestMismatch,
        finalizeRound: r1.finalizeRound,
        abandonRound: {
          publishWindowPassed: windows.abandonPublishWindow,
          attestationWindowPassed: windows.abandonAttestationWindow,
        },
        resolveDispute: windows.resolveDispute,
        roundTotal: { members3: total(r1), members16: total(r16) },
      },
      zeroTrust: scaling,
      proving: {
        concurrency: PROVING_CONCURRENCY,
        provedNow,
        fromCache: cacheHits,
        provingSeconds: Math.round(provingMs / 100) / 10,
      },
      setupSeconds,
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
