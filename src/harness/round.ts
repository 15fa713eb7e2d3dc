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
  /** The member's error-feedback residual from its previous round. */
  residual?: Float32Array;
  /** Seals the payload (src/adversary's sealing attacks plug in here). */
  seal?: Parameters<typeof commitMemberUpdate>[0]["seal"];
}

/** One member's commit, as `commitLocalRound` reports it. */
export interface LocalCommit {
  env: RoleEnvironment;
  result: MemberRoundResult;
  /** The residual to carry into the member's next round. */
  residual: Float32Array;
}

export interface LocalRoundResult {
  round: bigint;
  committed: LocalCommit[];
  /** What the aggregator published (undefined if the round was already published or abandoned). */
  published: AggregationResult | undefined;
  /** What each auditor attested, in the order of `auditors`. */
  verdicts: AuditVerdict[];
  /** Gas of each auditor's attestation (0 when it had already attested). */
  attestGas: bigint[];
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
}): Promise<{ round: bigint; committed: LocalCommit[] }> {
  const round = await timed("open", onStep, () => openNextRound({ env: aggregator.env, durationSeconds }));
  const committed: LocalCommit[] = [];
  for (const m of members) {
    const { result, residual } = await timed("commit", onStep, async () =>
      commitMemberUpdate({
        env: m.env,
        round,
        delta: typeof m.delta === "function" ? await m.delta(round) : m.delta,
        residual: m.residual,
        artifacts,
        transformUpdate: m.transformUpdate,
        seal: m.seal,
      }),
    );
    committed.push({ env: m.env, result, residual });
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
  transformVerdict = (verdict) => verdict,
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
  /** What an auditor attests, given its honest verdict (src/adversary's lying auditor plugs in here). */
  transformVerdict?: (verdict: AuditVerdict, auditor: LocalReader) => AuditVerdict;
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
  const attestGas: bigint[] = [];
  let finalized = false;
  await timed("audit", onStep, async () => {
    for (const a of auditors) {
      const verdict = transformVerdict(await auditRound({ env: a.env, round, reader: a.reader }), a);
      const attested = await attestRound({ env: a.env, verdict });
      finalized = attested.finalized || finalized;
      verdicts.push(verdict);
      attestGas.push(attested.gasUsed);
    }
  });
  return { published, verdicts, attestGas, finalized };
}

/** One whole round: `commitLocalRound`, then `concludeLocalRound`. */
export async function runLocalRound(
  params: Parameters<typeof commitLocalRound>[0] & Omit<Parameters<typeof concludeLocalRound>[0], "round">,
): Promise<LocalRoundResult> {
  const opened = await commitLocalRound(params);
  return { ...opened, ...(await concludeLocalRound({ ...params, round: opened.round })) };
}
