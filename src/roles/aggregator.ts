import { computeRoundModel, ruleFromPolicy, type AggregationRule } from "../aggregation/index.js";
import { concat, keccak256, toUtf8Bytes } from "ethers";
import type { GlobalModel } from "../model/index.js";
import {
  readRound,
  ExclusionReason,
  RoundStatus,
  type CommittedUpdate,
  type RoundRecord,
} from "../chain/index.js";
import { decodeUpdate, type SparseUpdate } from "../sparse/index.js";
import { inspectEnvelope, openPayload } from "../seal/index.js";
import type { CircuitParams } from "../zk/index.js";
import { byAddress, checkCommittedUpdate, fetchVerifiedModel, loadRoundPolicy, RoleError } from "./common.js";
import type { AggregationResult, ReaderKey, RoleEnvironment, RoundPolicy, UpdateCheck } from "./types.js";

/** Ways a dishonest aggregator lies, for demonstrating (and testing) that auditors catch it. */
export type AggregatorTampering =
  "none" | "wrong-hash" | "drop-honest-update" | "include-mismatched" | "wrong-rule";

/** The model CID and hash a new round must build on: the last finalized model, or the task's initial one. */
export async function lastFinalizedModel({
  env,
}: {
  env: RoleEnvironment;
}): Promise<{ cid: string; hash: string }> {
  const { rounds, consortium } = env.contracts;
  const [round, hash] = await rounds.lastFinalized(env.taskId);
  if (round === 0n) {
    const version = await consortium.currentPolicyVersion(env.taskId);
    const policy = await consortium.taskPolicy(env.taskId, version);
    return { cid: policy.initialModelCid, hash };
  }
  const published = await rounds.queryFilter(rounds.filters.AggregatePublished(env.taskId, round));
  const event = published[0];
  if (!event)
    throw new RoleError("missing-event", `finalized round ${round} has no AggregatePublished event`);
  return { cid: event.args.modelCid, hash };
}

/** Opens the task's next round on its last finalized model. */
export async function openNextRound({
  env,
  durationSeconds,
}: {
  env: RoleEnvironment;
  durationSeconds: number;
}): Promise<bigint> {
  const base = await lastFinalizedModel({ env });
  const block = await env.contracts.rounds.runner?.provider?.getBlock("latest");
  if (!block) throw new RoleError("no-provider", "cannot read the chain's time");
  const deadline = BigInt(block.timestamp + durationSeconds);
  const rounds = env.contracts.rounds.connect(env.signer);
  const tx = await rounds.openRound(env.taskId, base.cid, base.hash, deadline);
  await tx.wait();
  return env.contracts.rounds.roundCount(env.taskId);
}

async function withRetries<T>(
  attempts: number,
  run: () => Promise<T>,
  retry: (value: T) => boolean,
): Promise<T> {
  let value = await run();
  for (let i = 1; i < attempts && retry(value); i++) value = await run();
  return value;
}

/** Runs `work` over `items` with at most `limit` in flight, keeping the input order in the result. */
export async function mapBounded<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i] as T);
    }
  });
  await Promise.all(lanes);
  return results;
}

/** Checks every committed update of a round, concurrently and with retries for unavailable payloads. */
export async function checkRoundUpdates({
  env,
  round,
  commits,
  roundPolicy,
  reader,
  circuit,
  concurrency = 4,
  attempts = 3,
}: {
  env: RoleEnvironment;
  round: bigint;
  commits: readonly CommittedUpdate[];
  roundPolicy: RoundPolicy;
  reader: ReaderKey;
  circuit: CircuitParams;
  concurrency?: number;
  attempts?: number;
}): Promise<UpdateCheck[]> {
  return mapBounded(commits, concurrency, (commit) =>
    withRetries(
      attempts,
      () => checkCommittedUpdate({ env, commit, round, roundPolicy, reader, circuit }),
      (check) => check.status === "excluded" && check.reason === "Unavailable",
    ),
  );
}

/**
 * The deterministic part of a round's aggregation, shared by the aggregator and the auditors' replay:
 * the rule comes from the round's policy (never from the aggregator's configuration), the inputs are
 * exactly the valid updates, and the output bytes (hence the hash) are the same on every machine.
 */
export function buildRoundModel({
  base,
  valid,
  roundPolicy,
  round,
  ruleOverride,
}: {
  base: GlobalModel;
  valid: readonly { member: string; update: SparseUpdate }[];
  roundPolicy: RoundPolicy;
  round: bigint;
  /** Only a tampering aggregator passes this: the policy's rule is the only honest one. */
  ruleOverride?: AggregationRule;
}): { model: GlobalModel; bytes: Uint8Array; hash: string } {
  const { policy } = roundPolicy;
  // Weighted means need governance-set weights, which policies do not carry yet: ruleFromPolicy refuses
  // that rule with a clear error rather than guessing weights.
  const rule =
    ruleOverride ?? ruleFromPolicy({ ruleId: policy.aggregationRule, param: policy.ruleParameter });
  return computeRoundModel({ previous: base, updates: valid, rule, round: Number(round) });
}

/**
 * Everything a round's aggregate is computed from, read independently by whoever calls it: the round's
 * policy version, the base model (checked against its hash on chain) and the check of every commit.
 */
export async function loadRoundInputs({
  env,
  record,
  reader,
  circuit,
}: {
  env: RoleEnvironment;
  record: RoundRecord;
  reader: ReaderKey;
  circuit: CircuitParams;
}): Promise<{ roundPolicy: RoundPolicy; base: GlobalModel; checks: UpdateCheck[] }> {
  const roundPolicy = await loadRoundPolicy({ env, round: record.round });
  const { model: base } = await fetchVerifiedModel({
    env,
    cid: record.baseModelCid,
    expectedHash: record.baseModelHash,
  });
  const checks = await checkRoundUpdates({
    env,
    round: record.round,
    commits: record.commits,
    roundPolicy,
    reader,
    circuit,
  });
  return { roundPolicy, base, checks };
}

/** Closes an open round when the aggregator may: after the deadline, or once minParticipants committed. */
export async function closeRoundIfReady({
  env,
  round,
}: {
  env: RoleEnvironment;
  round: bigint;
}): Promise<boolean> {
  const r = await env.contracts.rounds.getRound(env.taskId, round);
  if (Number(r.status) !== RoundStatus.Open) return Number(r.status) >= RoundStatus.Closed;
  const block = await env.contracts.rounds.runner?.provider?.getBlock("latest");
  const pastDeadline = block !== null && block !== undefined && BigInt(block.timestamp) > r.deadline;
  if (!pastDeadline && r.commitCount < r.minParticipants) return false;
  const tx = await env.contracts.rounds.connect(env.signer).closeRound(env.taskId, round);
  await tx.wait();
  return true;
}

/**
 * The aggregator's step for a closed round: check every committed update, aggregate the valid ones by the
 * policy's rule, store the new global model and publish it. Idempotent: a round already published is
 * left alone, so a restarted worker never publishes twice.
 */
export async function aggregateRound({
  env,
  round,
  reader,
  circuit,
  tamper = "none",
}: {
  env: RoleEnvironment;
  round: bigint;
  reader: ReaderKey;
  circuit: CircuitParams;
  tamper?: AggregatorTampering;
}): Promise<AggregationResult | undefined> {
  const record = await readRound({ rounds: env.contracts.rounds, taskId: env.taskId, round });
  if (record.published) return undefined;
  if (!record.closed) throw new RoleError("round-open", `round ${round} is still open`);
  const started = performance.now();
  const { roundPolicy, base, checks } = await loadRoundInputs({ env, record, reader, circuit });
  if (tamper === "include-mismatched") {
    // Re-read the payloads whose commitment failed and use them anyway.
    for (const [i, check] of checks.entries()) {
      if (check.status !== "excluded" || check.reason !== "CommitmentMismatch") continue;
      const decoded = await decodeWithoutCommitment({
        env,
        cid: record.commits[i]!.cid,
        reader,
        roundPolicy,
      });
      if (decoded) {
        checks[i] = { member: check.member, status: "valid", update: decoded };
      }
    }
  }
  if (tamper === "drop-honest-update") {
    const victim = checks.findIndex((c) => c.status === "valid");
    if (victim >= 0) {
      const member = checks[victim]!.member;
      checks[victim] = { member, status: "excluded", reason: "Unavailable", detail: "tampering: dropped" };
    }
  }
  const valid = checks.flatMap((c) => (c.status === "valid" ? [{ member: c.member, update: c.update }] : []));
  const built = buildRoundModel({
    base,
    valid,
    roundPolicy,
    round,
    ruleOverride: tamper === "wrong-rule" ? pickOtherRule(roundPolicy.policy.aggregationRule) : undefined,
  });
  const aggregateMs = performance.now() - started;
  const modelCid = await env.store.put(built.bytes);
  await env.store.pin(modelCid);
  // A lying aggregator publishes a hash that no honest replay of this round can produce.
  const modelHash =
    tamper === "wrong-hash" ? keccak256(concat([built.bytes, toUtf8Bytes("tampered")])) : built.hash;

  const included = valid.map((v) => v.member).sort(byAddress);
  const excluded = checks
    .flatMap((c) =>
      c.status === "excluded" ? [{ member: c.member, reason: c.reason, detail: c.detail }] : [],
    )
    .sort((a, b) => byAddress(a.member, b.member));
  const tx = await env.contracts.rounds.connect(env.signer).publishAggregate(
    env.taskId,
    round,
    modelCid,
    modelHash,
    included,
    excluded.map((e) => ({ member: e.member, reason: ExclusionReason[e.reason] })),
  );
  const receipt = await tx.wait();
  return { modelCid, modelHash, included, excluded, gasUsed: receipt?.gasUsed ?? 0n, aggregateMs };
}

function pickOtherRule(ruleId: number): AggregationRule {
  return ruleId === 3 ? { kind: "mean" } : { kind: "median" };
}

/** What a tampering aggregator reads from a payload whose commitment does not match (no check at all). */
async function decodeWithoutCommitment({
  env,
  cid,
  reader,
  roundPolicy,
}: {
  env: RoleEnvironment;
  cid: string;
  reader: ReaderKey;
  roundPolicy: RoundPolicy;
}): Promise<SparseUpdate | undefined> {
  try {
    const envelope = await env.store.get(cid, { timeoutMs: env.fetchTimeoutMs ?? 15_000 });
    const { context } = inspectEnvelope(envelope);
    const payload = openPayload({
      envelope,
      reader: { id: reader.id, secretKey: reader.secretKey },
      context,
    });
    const { policy } = roundPolicy;
    return decodeUpdate({
      bytes: payload,
      limits: { maxCount: policy.maxNonZeros, maxDimension: policy.dimension },
    }).update;
  } catch {
    return undefined;
  }
}
