import {
  computeRoundModel,
  ruleFromPolicy,
  ruleScreens,
  screenHistoryOf,
  screenRound,
  type AggregationRule,
} from "../aggregation/index.js";
import type { GlobalModel } from "../model/index.js";
import {
  readRound,
  ExclusionReason,
  RoundStatus,
  type CommittedUpdate,
  type RoundRecord,
} from "../chain/index.js";
import type { SparseUpdate } from "../sparse/index.js";
import {
  byAddress,
  checkCommittedUpdate,
  effectiveNow,
  fetchVerifiedModel,
  holdsRoundKey,
  loadRoundPolicy,
  RoleError,
} from "./common.js";
import type {
  AggregationResult,
  ReaderGroupKey,
  RoleEnvironment,
  RoundPolicy,
  UpdateCheck,
} from "./types.js";

/**
 * Seams of the aggregator's step: how it treats its checks, which rule it applies and which hash it
 * publishes. The honest aggregator uses none of them; src/adversary builds the dishonest variants that the
 * auditors are tested against.
 */
export interface AggregatorSeams {
  /** Rewrites the update checks before aggregation. */
  transformChecks?: (input: {
    checks: UpdateCheck[];
    record: RoundRecord;
    roundPolicy: RoundPolicy;
  }) => UpdateCheck[];
  /** The rule to apply instead of the policy's. */
  ruleOverride?: (roundPolicy: RoundPolicy) => AggregationRule;
  /** The hash to publish for the model bytes instead of their own. */
  publishedHash?: (built: { bytes: Uint8Array; hash: string }) => string;
}

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

/**
 * Opens the task's next round on its last finalized model. The deadline is measured from the later of the
 * chain's latest block and the wall clock (a chain that mines on demand keeps an old timestamp while idle)
 * and never exceeds the policy's longest round.
 */
export async function openNextRound({
  env,
  durationSeconds,
}: {
  env: RoleEnvironment;
  durationSeconds: number;
}): Promise<bigint> {
  const base = await lastFinalizedModel({ env });
  const { consortium } = env.contracts;
  const policy = await consortium.taskPolicy(env.taskId, await consortium.currentPolicyVersion(env.taskId));
  const seconds = Math.min(durationSeconds, Number(policy.maxRoundDuration));
  const deadline = (await effectiveNow({ env })) + BigInt(seconds);
  const rounds = env.contracts.rounds.connect(env.signer);
  const tx = await rounds.openRound(env.taskId, base.cid, base.hash, deadline);
  await tx.wait();
  return env.contracts.rounds.roundCount(env.taskId);
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

/**
 * Checks every committed update of a round from the envelopes the commits carried, and keeps a copy of
 * each envelope in this reader's store (pinned): whoever reads an update keeps it, so the history stays
 * replayable from IPFS as well as from the chain after the members are gone.
 */
export async function checkRoundUpdates({
  env,
  round,
  commits,
  roundPolicy,
  reader,
}: {
  env: RoleEnvironment;
  round: bigint;
  commits: readonly CommittedUpdate[];
  roundPolicy: RoundPolicy;
  reader: ReaderGroupKey;
}): Promise<UpdateCheck[]> {
  await mapBounded(commits, 4, async (commit) => {
    const cid = await env.store.put(commit.envelope);
    await env.store.pin(cid);
  });
  return commits.map((commit) =>
    checkCommittedUpdate({ taskId: env.taskId, commit, round, roundPolicy, reader }),
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
  /** Only a dishonest aggregator (src/adversary) passes this: the policy's rule is the only honest one. */
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
}: {
  env: RoleEnvironment;
  record: RoundRecord;
  reader: ReaderGroupKey;
}): Promise<{
  roundPolicy: RoundPolicy;
  base: GlobalModel;
  checks: UpdateCheck[];
  /** The members the rule's screen suspects this round, left out or kept (empty for rules without one). */
  suspects: string[];
}> {
  const roundPolicy = await loadRoundPolicy({ env, round: record.round });
  if (!holdsRoundKey({ reader, roundPolicy })) {
    throw new RoleError(
      "not-a-reader",
      `${reader.reader} does not hold the reader-group key of round ${record.round} (policy v${roundPolicy.version})`,
    );
  }
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
  });
  const previousSuspects = await earlierSuspects({ env, round: record.round, roundPolicy, reader });
  const screened = screenChecks({
    checks,
    roundPolicy,
    dimension: base.params.length,
    previousSuspects,
    previous: base.params,
  });
  return { roundPolicy, base, checks: screened.checks, suspects: screened.suspects };
}

/**
 * The suspects of the rounds before `round` that its rule's screen reads (most recent first), each
 * recomputed from that round's own commits under that round's policy: nobody's word is taken for them,
 * and the suspects of a round do not depend on the rounds before it, so nothing further back is read.
 * Empty when the rule reads no history.
 */
export async function earlierSuspects({
  env,
  round,
  roundPolicy,
  reader,
}: {
  env: RoleEnvironment;
  round: bigint;
  roundPolicy: RoundPolicy;
  reader: ReaderGroupKey;
}): Promise<string[][]> {
  const { policy } = roundPolicy;
  const history = screenHistoryOf(
    ruleFromPolicy({ ruleId: policy.aggregationRule, param: policy.ruleParameter }),
  );
  const lists: string[][] = [];
  for (let earlier = round - 1n; earlier >= 1n && earlier >= round - BigInt(history); earlier--) {
    const record = await readRound({ rounds: env.contracts.rounds, taskId: env.taskId, round: earlier });
    const earlierPolicy = await loadRoundPolicy({ env, round: earlier });
    const rule = ruleFromPolicy({
      ruleId: earlierPolicy.policy.aggregationRule,
      param: earlierPolicy.policy.ruleParameter,
    });
    if (!ruleScreens(rule)) {
      lists.push([]);
      continue;
    }
    if (!holdsRoundKey({ reader, roundPolicy: earlierPolicy })) {
      throw new RoleError(
        "not-a-reader",
        `round ${round}'s screen needs the suspects of round ${earlier}, whose updates ${reader.reader} cannot open (policy v${earlierPolicy.version})`,
      );
    }
    const valid = record.commits.flatMap((commit) => {
      const check = checkCommittedUpdate({
        taskId: env.taskId,
        commit,
        round: earlier,
        roundPolicy: earlierPolicy,
        reader,
      });
      return check.status === "valid" ? [{ member: check.member, update: check.update }] : [];
    });
    lists.push(screenRound({ updates: valid, rule, dimension: earlierPolicy.policy.dimension }).suspects);
  }
  return lists;
}

/**
 * The policy rule's screen (a defense such as `screened-mean`) over the valid updates: the ones it leaves
 * out become exclusions with its reason. Part of the inputs, so the aggregator and every auditor decide
 * them the same way, from the same updates.
 */
export function screenChecks({
  checks,
  roundPolicy,
  dimension,
  previousSuspects = [],
  previous,
}: {
  checks: UpdateCheck[];
  roundPolicy: RoundPolicy;
  dimension: number;
  /** The suspects of the rounds before, most recent first (`earlierSuspects`). */
  previousSuspects?: readonly (readonly string[])[];
  /** The round's base model's parameters, which a screen may judge updates against. */
  previous?: Int32Array;
}): { checks: UpdateCheck[]; suspects: string[] } {
  const { policy } = roundPolicy;
  const rule = ruleFromPolicy({ ruleId: policy.aggregationRule, param: policy.ruleParameter });
  const valid = checks.flatMap((c) => (c.status === "valid" ? [{ member: c.member, update: c.update }] : []));
  const { flagged, suspects } = screenRound({
    updates: valid,
    rule,
    dimension,
    previousSuspects,
    ...(previous !== undefined ? { previous } : {}),
  });
  if (flagged.length === 0) return { checks, suspects };
  const byMember = new Map(flagged.map((f) => [f.member, f]));
  const screened = checks.map((c): UpdateCheck => {
    const f = c.status === "valid" ? byMember.get(c.member) : undefined;
    return f ? { member: c.member, status: "excluded", reason: f.reason, detail: f.detail } : c;
  });
  return { checks: screened, suspects };
}

/**
 * Closes an open round when this account may: its own round once minParticipants committed, anyone's after
 * the deadline. The deadline is judged by the wall clock as well as the chain: on a chain that mines only
 * on demand no block arrives to pass it, and the closing transaction itself is mined after it.
 */
export async function closeRoundIfReady({
  env,
  round,
}: {
  env: RoleEnvironment;
  round: bigint;
}): Promise<boolean> {
  const r = await env.contracts.rounds.getRound(env.taskId, round);
  if (Number(r.status) !== RoundStatus.Open) return Number(r.status) >= RoundStatus.Closed;
  const pastDeadline = (await effectiveNow({ env })) > r.deadline;
  const own = r.aggregator.toLowerCase() === env.address.toLowerCase();
  if (!pastDeadline && (!own || r.commitCount < r.minParticipants)) return false;
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
  seams = {},
}: {
  env: RoleEnvironment;
  round: bigint;
  reader: ReaderGroupKey;
  seams?: AggregatorSeams;
}): Promise<AggregationResult | undefined> {
  const record = await readRound({ rounds: env.contracts.rounds, taskId: env.taskId, round });
  if (record.published || record.abandoned) return undefined;
  if (!record.closed) throw new RoleError("round-open", `round ${round} is still open`);
  const started = performance.now();
  const inputs = await loadRoundInputs({ env, record, reader });
  const { roundPolicy, base } = inputs;
  const checks = seams.transformChecks?.({ checks: inputs.checks, record, roundPolicy }) ?? inputs.checks;
  const valid = checks.flatMap((c) => (c.status === "valid" ? [{ member: c.member, update: c.update }] : []));
  const built = buildRoundModel({
    base,
    valid,
    roundPolicy,
    round,
    ruleOverride: seams.ruleOverride?.(roundPolicy),
  });
  const aggregateMs = performance.now() - started;
  const modelCid = await env.store.put(built.bytes);
  await env.store.pin(modelCid);
  const modelHash = seams.publishedHash?.(built) ?? built.hash;

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
  // Written as the commits spell them, like `included` and `excluded`.
  const spelling = new Map(checks.map((c) => [c.member.toLowerCase(), c.member]));
  const suspected = inputs.suspects.map((m) => spelling.get(m) ?? m).sort(byAddress);
  return { modelCid, modelHash, included, excluded, suspected, gasUsed: receipt?.gasUsed ?? 0n, aggregateMs };
}
