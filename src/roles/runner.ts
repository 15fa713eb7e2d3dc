/**
 * The roles as long-running processes: each loop polls the chain, derives everything it needs from the
 * chain's state and events, does at most one step per poll, and forgets nothing it would need after a
 * crash, because it keeps nothing. A process killed at any point and started again picks up where the
 * chain says the task is.
 */
import { getAddress, ZeroHash } from "ethers";
import {
  decodeRevert,
  readTaskHistory,
  roundOutcome,
  RoundStatus,
  type RoundRecord,
} from "../chain/index.js";
import type { ResidualStore } from "../sparse/index.js";
import type { CircuitArtifacts } from "../zk/index.js";
import { aggregateRound, closeRoundIfReady, openNextRound } from "./aggregator.js";
import { attestRound, auditRound, settleRound } from "./auditor.js";
import { describe, effectiveNow, holdsRoundKey, loadRoundPolicy, RoleError } from "./common.js";
import { commitMemberUpdate, loadTrainingBase } from "./member.js";
import type { AuditVerdict, ReaderGroupKey, RoleEnvironment } from "./types.js";

/** Structured progress: an event name and plain JSON-able fields. */
export type RunnerLog = (event: string, fields?: Record<string, unknown>) => void;

export interface RunnerOptions {
  env: RoleEnvironment;
  log: RunnerLog;
  /** Stops the loop after the current step. */
  signal?: AbortSignal;
  pollIntervalMs: number;
  /** Runs before every step (the CLI dials newly announced IPFS peers here). */
  beforeStep?: () => Promise<void>;
  /** Consecutive failed steps after which the loop gives up and throws the last error. */
  maxConsecutiveFailures?: number;
}

/** A step's outcome: keep polling, or the loop's work is done. */
type StepOutcome = "continue" | "done";

const STATUS_NAMES = Object.fromEntries(
  Object.entries(RoundStatus).map(([name, id]) => [id, name.toLowerCase()]),
);

export function roundStatusName(status: number | bigint): string {
  return STATUS_NAMES[Number(status)] ?? `unknown(${status})`;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

/**
 * Polls `step` until it says done or the signal stops it. A failed step (an RPC hiccup, a transaction
 * that lost a race with another party) is logged and tried again on the next poll; only a run of
 * failures ends the loop, with the last error.
 */
async function pollLoop(
  options: RunnerOptions,
  role: string,
  step: () => Promise<StepOutcome>,
): Promise<void> {
  const { log, signal, pollIntervalMs, beforeStep, maxConsecutiveFailures = 20 } = options;
  let failures = 0;
  while (!signal?.aborted) {
    try {
      await beforeStep?.();
      if ((await step()) === "done") return;
      failures = 0;
    } catch (error) {
      failures++;
      const code = (error as { code?: unknown }).code;
      log("step-failed", {
        role,
        error: describe(error),
        ...(typeof code === "string" ? { code } : {}),
        failures,
      });
      if (failures >= maxConsecutiveFailures) throw error;
    }
    await sleep(pollIntervalMs, signal);
  }
  log("stopped", { role });
}

async function latestRound(
  env: RoleEnvironment,
): Promise<{ round: bigint; status: number; deadline: bigint; aggregator: string } | undefined> {
  const count = await env.contracts.rounds.roundCount(env.taskId);
  if (count === 0n) return undefined;
  const r = await env.contracts.rounds.getRound(env.taskId, count);
  return { round: count, status: Number(r.status), deadline: r.deadline, aggregator: r.aggregator };
}

/** Statuses after which a round takes no more steps (the next round may open). */
const ENDED: ReadonlySet<number> = new Set([
  RoundStatus.Finalized,
  RoundStatus.Disputed,
  RoundStatus.Abandoned,
  RoundStatus.Resolved,
]);

/**
 * Reverts of `commitUpdate` that no retry can cure: the round moved on, or this member has its slot. A
 * member that meets one leaves the round alone instead of training and proving again.
 */
const FINAL_COMMIT_ERRORS = new Set([
  "FederatedRounds__DeadlinePassed",
  "FederatedRounds__RoundNotOpen",
  "FederatedRounds__AlreadyCommitted",
  "FederatedRounds__RoundFull",
  "FederatedRounds__InvalidProof",
  "FederatedRounds__InvalidEnvelopeSize",
]);

/** Whether the reader's group key is the one of the policy version the round was opened under. */
async function canRead({
  env,
  round,
  reader,
}: {
  env: RoleEnvironment;
  round: bigint;
  reader: ReaderGroupKey;
}): Promise<boolean> {
  const roundPolicy = await loadRoundPolicy({ env, round });
  const listed = roundPolicy.policy.readers.some((r) => getAddress(r) === getAddress(reader.reader));
  return listed && holdsRoundKey({ reader, roundPolicy });
}

/** What a member's trainer returns for a round: the delta from the global parameters it was given. */
export type MemberTrainer = (input: { round: bigint; params: Float32Array }) => Promise<Float32Array>;

/**
 * The member's loop: for the task's open round, if this member has not committed to it yet, fetch the
 * round's base model (refusing one that is not the last finalized model, so never a disputed one), train,
 * and commit a sparse, sealed, proven update. The error-feedback residual is kept in `residuals`.
 */
export async function runMember(
  options: RunnerOptions & {
    artifacts: CircuitArtifacts;
    train: MemberTrainer;
    residuals?: ResidualStore;
    /** Stop after committing to this many rounds (counted in this run). */
    maxRounds?: number;
  },
): Promise<{ committed: bigint[] }> {
  const { env, log, artifacts, train, residuals, maxRounds } = options;
  const member = getAddress(env.address);
  const committed: bigint[] = [];
  const refused = new Set<bigint>();
  await pollLoop(options, "member", async () => {
    if (maxRounds !== undefined && committed.length >= maxRounds) return "done";
    const latest = await latestRound(env);
    if (!latest || latest.status !== RoundStatus.Open || refused.has(latest.round)) return "continue";
    const { round } = latest;
    if ((await env.contracts.rounds.commitmentOf(env.taskId, round, member)) !== ZeroHash) return "continue";
    if ((await effectiveNow({ env })) > latest.deadline) return "continue";
    let base: Awaited<ReturnType<typeof loadTrainingBase>>;
    try {
      base = await loadTrainingBase({ env, round });
    } catch (error) {
      if (error instanceof RoleError && error.code === "base-not-finalized") {
        refused.add(round);
        log("round-refused", { round: Number(round), reason: error.message });
        return "continue";
      }
      throw error;
    }
    log("training", { round: Number(round), baseModelHash: base.baseModelHash });
    const started = performance.now();
    const delta = await train({ round, params: base.params });
    const trainMs = Math.round(performance.now() - started);
    const task = Number(env.taskId);
    const stored = await residuals?.load({ task, member, dimension: delta.length });
    let result: Awaited<ReturnType<typeof commitMemberUpdate>>;
    try {
      result = await commitMemberUpdate({ env, round, delta, residual: stored?.residual, artifacts });
    } catch (error) {
      const name = decodeRevert(error)?.name;
      if (name !== undefined && FINAL_COMMIT_ERRORS.has(name)) {
        refused.add(round);
        log("commit-refused", { round: Number(round), reason: name });
        return "continue";
      }
      throw error;
    }
    // Saved after the commit: a crash in between reuses the older residual, which only delays feedback.
    await residuals?.save({ task, member, round: Number(round), residual: result.residual });
    committed.push(round);
    log("member-committed", {
      round: Number(round),
      entries: result.result.count,
      sealedBytes: result.result.sealedBytes,
      trainMs,
      proveMs: Math.round(result.result.proveMs),
      gasUsed: Number(result.result.gasUsed),
    });
    return "continue";
  });
  return { committed };
}

/** Counts of the task's rounds by where they stand, from the chain's events. */
function tally(history: readonly RoundRecord[]): { published: number; ended: number; running: number } {
  const ended = history.filter((r) =>
    ["finalized", "disputed", "abandoned", "resolved"].includes(roundOutcome(r)),
  ).length;
  return {
    published: history.filter((r) => r.published !== undefined).length,
    ended,
    running: history.length - ended,
  };
}

/**
 * The aggregator's loop, one transaction per poll: open a round on the last finalized model when the
 * previous one ended; close it once the deadline passed or enough members committed; on a later poll
 * aggregate and publish it (`aggregateRound` skips a published round, so a restart never publishes twice);
 * then settle it when its windows allow. Any aggregator of the task runs this loop: a round another
 * aggregator let lapse is abandoned after its publish window and the next round opened here. With
 * `stopAfterRounds`, it ends once that many rounds have ended: its node keeps serving the last model until
 * the auditors have fetched it.
 */
export async function runAggregator(
  options: RunnerOptions & {
    reader: ReaderGroupKey;
    roundSeconds: number;
    stopAfterRounds?: number;
    /**
     * Whether to skip this poll, given the task's latest round: the seam through which src/adversary makes
     * an aggregator go silent (the honest loop never pauses).
     */
    pauseWhen?: (latest: { round: bigint; status: number }) => boolean;
  },
): Promise<{ published: number }> {
  const { env, log, reader, roundSeconds, stopAfterRounds, pauseWhen } = options;
  const me = getAddress(env.address);
  let waitingOn: bigint | undefined;
  let published = 0;
  await pollLoop(options, "aggregator", async () => {
    const latest = await latestRound(env);
    const history = await readTaskHistory({ rounds: env.contracts.rounds, taskId: env.taskId });
    const counts = tally(history);
    published = counts.published;
    if (stopAfterRounds !== undefined && counts.ended >= stopAfterRounds && counts.running === 0) {
      log("done", { publishedRounds: counts.published, endedRounds: counts.ended });
      return "done";
    }
    if (latest && pauseWhen?.(latest)) return "continue";
    const status = latest?.status ?? RoundStatus.None;
    if (status === RoundStatus.None || ENDED.has(status)) {
      if (stopAfterRounds !== undefined && history.length >= stopAfterRounds) return "continue";
      try {
        const round = await openNextRound({ env, durationSeconds: roundSeconds });
        log("round-opened", { round: Number(round), roundSeconds });
      } catch (error) {
        const name = decodeRevert(error)?.name;
        // Another aggregator opened it first, or this one must let another take over: not a failure.
        if (
          name === "FederatedRounds__PreviousRoundPending" ||
          name === "FederatedRounds__AggregatorWentSilent"
        ) {
          log("open-deferred", { reason: name });
          return "continue";
        }
        throw error;
      }
    } else if (status === RoundStatus.Open && latest) {
      if (await closeRoundIfReady({ env, round: latest.round }))
        log("round-closed", { round: Number(latest.round) });
    } else if (status === RoundStatus.Closed && latest && getAddress(latest.aggregator) === me) {
      log("aggregating", { round: Number(latest.round) });
      const result = await aggregateRound({ env, round: latest.round, reader });
      if (result) {
        log("aggregate-published", {
          round: Number(latest.round),
          modelCid: result.modelCid,
          modelHash: result.modelHash,
          included: result.included.length,
          excluded: result.excluded.map((e) => ({ member: e.member, reason: e.reason })),
          aggregateMs: Math.round(result.aggregateMs),
          gasUsed: Number(result.gasUsed),
        });
      }
    } else if ((status === RoundStatus.Closed || status === RoundStatus.Published) && latest) {
      const settled = await settleRound({ env, round: latest.round });
      if (settled.outcome !== "waiting") log(`round-${settled.outcome}`, { round: Number(latest.round) });
      else if (waitingOn !== latest.round) {
        waitingOn = latest.round;
        log(status === RoundStatus.Published ? "awaiting-attestations" : "awaiting-publication", {
          round: Number(latest.round),
        });
      }
    }
    return "continue";
  });
  return { published };
}

/**
 * The auditor's loop: replay every published round this auditor has not attested yet (also a disputed
 * one: its verdict is evidence too), attest the verdict, and settle rounds whose windows allow it (finalize
 * at quorum, abandon a round whose aggregator or auditors went silent), including ones a crash left
 * attested but not finalized.
 */
export async function runAuditor(
  options: RunnerOptions & {
    reader: ReaderGroupKey;
    /** Stop once this many rounds have ended (finalized, disputed, abandoned or resolved). */
    stopAfterRounds?: number;
    /** Rewrites the replay's verdict before it is attested: the seam src/adversary uses for a lying auditor. */
    transformVerdict?: (verdict: AuditVerdict) => AuditVerdict;
  },
): Promise<{ attested: bigint[] }> {
  const { env, log, reader, stopAfterRounds, transformVerdict } = options;
  const me = getAddress(env.address);
  const attested: bigint[] = [];
  const notReader = new Set<bigint>();
  await pollLoop(options, "auditor", async () => {
    const history = await readTaskHistory({ rounds: env.contracts.rounds, taskId: env.taskId });
    for (const record of history) {
      const outcome = roundOutcome(record);
      if (outcome === "closed") {
        const settled = await settleRound({ env, round: record.round });
        if (settled.outcome !== "waiting") log(`round-${settled.outcome}`, { round: Number(record.round) });
        continue;
      }
      if (outcome !== "published" && outcome !== "disputed") continue;
      if (getAddress(record.aggregator) === me) continue;
      const mine = record.attestations.some((a) => getAddress(a.auditor) === me);
      if (mine) {
        if (outcome !== "published") continue;
        const settled = await settleRound({ env, round: record.round });
        if (settled.outcome !== "waiting") log(`round-${settled.outcome}`, { round: Number(record.round) });
        continue;
      }
      if (!(await canRead({ env, round: record.round, reader }))) {
        // Without the round's reader-group key every update would look unopenable and an honest round
        // would be disputed: an auditor that cannot read the round abstains instead.
        if (!notReader.has(record.round)) log("not-a-reader", { round: Number(record.round) });
        notReader.add(record.round);
        continue;
      }
      log("auditing", { round: Number(record.round) });
      const honest = await auditRound({ env, round: record.round, reader });
      const verdict = transformVerdict ? transformVerdict(honest) : honest;
      const result = await attestRound({ env, verdict });
      attested.push(record.round);
      log("attested", {
        round: Number(record.round),
        matches: verdict.matches,
        findings: verdict.findings,
        finalized: result.finalized,
      });
    }
    const ended = tally(history).ended;
    return stopAfterRounds !== undefined && ended >= stopAfterRounds ? "done" : "continue";
  });
  return { attested };
}

/** One row of `cfl audit`: a round as the chain records it and the replay's verdict. */
export interface HistoryAuditRow {
  round: number;
  status: string;
  commits: number;
  included: number;
  excluded: { member: string; reason: number }[];
  publishedModelHash?: string;
  replayedModelHash?: string;
  attestations: { matches: number; mismatches: number };
  /** "not-a-reader": the key given is not among the round's readers, so the round cannot be replayed. */
  verdict: "match" | "mismatch" | "unpublished" | "not-a-reader";
  findings: string[];
}

/**
 * Replays a task's whole history from the chain's events and IPFS, read-only: every published round is
 * audited (nothing is attested). Open and closed rounds have nothing to replay yet.
 */
export async function auditHistory({
  env,
  reader,
  log,
  fromBlock = 0,
}: {
  env: RoleEnvironment;
  reader: ReaderGroupKey;
  log?: RunnerLog;
  fromBlock?: number;
}): Promise<HistoryAuditRow[]> {
  const history = await readTaskHistory({ rounds: env.contracts.rounds, taskId: env.taskId, fromBlock });
  const rows: HistoryAuditRow[] = [];
  for (const record of history) {
    const status = roundOutcome(record);
    const attestations = {
      matches: record.attestations.filter((a) => a.matches).length,
      mismatches: record.attestations.filter((a) => !a.matches).length,
    };
    const row: HistoryAuditRow = {
      round: Number(record.round),
      status,
      commits: record.commits.length,
      included: record.published?.included.length ?? 0,
      excluded: record.published?.excluded ?? [],
      attestations,
      verdict: "unpublished",
      findings: [],
    };
    if (record.published && !(await canRead({ env, round: record.round, reader }))) {
      row.verdict = "not-a-reader";
      row.findings = [
        `${reader.reader} does not hold this round's reader-group key: its updates cannot be opened`,
      ];
    } else if (record.published) {
      log?.("replaying", { round: row.round });
      const verdict = await auditRound({ env, round: record.round, reader });
      row.publishedModelHash = record.published.modelHash;
      row.replayedModelHash = verdict.replayedModelHash;
      row.verdict = verdict.matches ? "match" : "mismatch";
      row.findings = verdict.findings;
    }
    rows.push(row);
  }
  return rows;
}
