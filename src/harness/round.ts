/**
 * `runLocalRound`: one whole round with the honest roles' own steps, in the order the role loops take them
 * (open, commit, close, aggregate, audit and attest). The end-to-end tests and the round benchmark run
 * rounds through it; attacks enter through the same seams the roles expose (`seams`, a member's
 * `transformUpdate`), never through a branch here.
 */
import {
  aggregateRound,
  attestRound,
  auditRound,
  closeRoundIfReady,
  commitMemberUpdate,
  openNextRound,
  type AggregationResult,
  type AggregatorSeams,
  type AuditVerdict,
  type MemberRoundResult,
  type ReaderGroupKey,
  type RoleEnvironment,
} from "../roles/index.js";
import type { SparseUpdate } from "../sparse/index.js";
import type { CircuitArtifacts } from "../zk/index.js";

/** A round step, as `onStep` reports it. */
export type LocalRoundStep = "open" | "commit" | "close" | "aggregate" | "audit";

/** A reader (aggregator or auditor) with its environment and its opened group key. */
export interface LocalReader {
  env: RoleEnvironment;
  reader: ReaderGroupKey;
}

/** A member's contribution to a round. */
export interface LocalContribution {
  env: RoleEnvironment;
  /** The member's float delta, or how to train it once the round (and so its base model) is known. */
  delta: Float32Array | ((round: bigint) => Float32Array | Promise<Float32Array>);
  /** Rewrites the fixed-point update before it is encoded (src/adversary's poisoning plugs in here). */
  transformUpdate?: (update: SparseUpdate) => SparseUpdate;
}

export interface LocalRoundResult {
  round: bigint;
  committed: MemberRoundResult[];
  /** What the aggregator published (undefined if the round was already published or abandoned). */
  published: AggregationResult | undefined;
  verdicts: AuditVerdict[];
  /** Whether an attestation finalized the round. */
  finalized: boolean;
}

type StepReporter = (step: LocalRoundStep, ms: number) => void;

async function timed<T>(
  step: LocalRoundStep,
  onStep: StepReporter | undefined,
  run: () => Promise<T>,
): Promise<T> {
  const started = performance.now();
  const value = await run();
  onStep?.(step, performance.now() - started);
  return value;
}

/** The first half of a round: the aggregator opens it and every member commits its update. */
export async function commitLocalRound({
  aggregator,
  members,
  artifacts,
  durationSeconds = 3600,
  onStep,
}: {
  aggregator: LocalReader;
  members: readonly LocalContribution[];
  artifacts: CircuitArtifacts;
  durationSeconds?: number;
  /** Called after each step with its wall time (the round benchmark's timings). */
  onStep?: StepReporter;
}): Promise<{ round: bigint; committed: MemberRoundResult[] }> {
  const round = await timed("open", onStep, () => openNextRound({ env: aggregator.env, durationSeconds }));
  const committed: MemberRoundResult[] = [];
  for (const m of members) {
    const { result } = await timed("commit", onStep, async () =>
      commitMemberUpdate({
        env: m.env,
        round,
        delta: typeof m.delta === "function" ? await m.delta(round) : m.delta,
        artifacts,
        transformUpdate: m.transformUpdate,
      }),
    );
    committed.push(result);
  }
  return { round, committed };
}

/**
 * The second half: close (past the deadline through `advanceTime` when fewer than `minParticipants`
 * committed), aggregate and publish, then every auditor audits and attests.
 */
export async function concludeLocalRound({
  round,
  aggregator,
  auditors,
  seams,
  advanceTime,
  onStep,
  aroundAggregation = (run) => run(),
}: {
  round: bigint;
  aggregator: LocalReader;
  auditors: readonly LocalReader[];
  /** The aggregator's seams (src/adversary's tampering aggregator plugs in here). */
  seams?: AggregatorSeams;
  /** Moves the chain's clock forward (Hardhat's `networkHelpers.time.increase`). */
  advanceTime?: (seconds: number) => Promise<unknown>;
  onStep?: StepReporter;
  /** Wraps the aggregation (the round benchmark samples memory around it). */
  aroundAggregation?: (
    run: () => Promise<AggregationResult | undefined>,
  ) => Promise<AggregationResult | undefined>;
}): Promise<Omit<LocalRoundResult, "round" | "committed">> {
  await timed("close", onStep, async () => {
    if (await closeRoundIfReady({ env: aggregator.env, round })) return;
    if (!advanceTime) throw new Error(`round ${round} cannot close before its deadline without advanceTime`);
    const { deadline } = await aggregator.env.contracts.rounds.getRound(aggregator.env.taskId, round);
    const latest = await aggregator.env.contracts.rounds.runner?.provider?.getBlock("latest");
    await advanceTime(Math.max(1, Number(deadline) - (latest?.timestamp ?? 0) + 1));
    if (!(await closeRoundIfReady({ env: aggregator.env, round })))
      throw new Error(`round ${round} did not close after its deadline`);
  });
  const published = await timed("aggregate", onStep, () =>
    aroundAggregation(() => aggregateRound({ env: aggregator.env, round, reader: aggregator.reader, seams })),
  );
  const verdicts: AuditVerdict[] = [];
  let finalized = false;
  await timed("audit", onStep, async () => {
    for (const a of auditors) {
      const verdict = await auditRound({ env: a.env, round, reader: a.reader });
      finalized = (await attestRound({ env: a.env, verdict })).finalized || finalized;
      verdicts.push(verdict);
    }
  });
  return { published, verdicts, finalized };
}

/** One whole round: `commitLocalRound`, then `concludeLocalRound`. */
export async function runLocalRound(
  params: Parameters<typeof commitLocalRound>[0] & Omit<Parameters<typeof concludeLocalRound>[0], "round">,
): Promise<LocalRoundResult> {
  const opened = await commitLocalRound(params);
  return { ...opened, ...(await concludeLocalRound({ ...params, round: opened.round })) };
}
