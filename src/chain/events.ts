import { getBytes } from "ethers";
import { AbandonReason, type AbandonReasonName, type FederatedRounds, type RoundRecord } from "./types.js";

const ABANDON_NAMES = Object.fromEntries(
  Object.entries(AbandonReason).map(([name, id]) => [id, name as AbandonReasonName]),
);

/**
 * Rebuilds a task's rounds from the FederatedRounds events alone: the chain is the audit log, so this is
 * what auditors and `cfl audit` trust, not any party's local state.
 */
export async function readTaskHistory({
  rounds,
  taskId,
  fromBlock = 0,
}: {
  rounds: FederatedRounds;
  taskId: bigint;
  fromBlock?: number;
}): Promise<RoundRecord[]> {
  const byRound = new Map<bigint, RoundRecord>();
  const get = (round: bigint): RoundRecord => {
    const record = byRound.get(round);
    if (!record) throw new Error(`event for round ${round} of task ${taskId} before its RoundOpened event`);
    return record;
  };
  const [opened, committed, closed, published, attested, disputed, finalized, abandoned, resolved] =
    await Promise.all([
      rounds.queryFilter(rounds.filters.RoundOpened(taskId), fromBlock),
      rounds.queryFilter(rounds.filters.UpdateCommitted(taskId), fromBlock),
      rounds.queryFilter(rounds.filters.RoundClosed(taskId), fromBlock),
      rounds.queryFilter(rounds.filters.AggregatePublished(taskId), fromBlock),
      rounds.queryFilter(rounds.filters.AggregateAttested(taskId), fromBlock),
      rounds.queryFilter(rounds.filters.RoundDisputed(taskId), fromBlock),
      rounds.queryFilter(rounds.filters.RoundFinalized(taskId), fromBlock),
      rounds.queryFilter(rounds.filters.RoundAbandoned(taskId), fromBlock),
      rounds.queryFilter(rounds.filters.RoundResolved(taskId), fromBlock),
    ]);
  for (const e of opened) {
    byRound.set(e.args.round, {
      taskId,
      round: e.args.round,
      aggregator: e.args.aggregator,
      policyVersion: Number(e.args.policyVersion),
      baseModelCid: e.args.baseModelCid,
      baseModelHash: e.args.baseModelHash,
      deadline: e.args.deadline,
      openedIn: e.transactionHash,
      commits: [],
      closed: false,
      attestations: [],
      finalized: false,
      disputed: false,
    });
  }
  for (const e of committed) {
    get(e.args.round).commits.push({
      member: e.args.member,
      envelope: getBytes(e.args.envelope),
      commitment: BigInt(e.args.commitment),
      blockNumber: e.blockNumber,
      transactionHash: e.transactionHash,
    });
  }
  for (const e of closed) get(e.args.round).closed = true;
  for (const e of published) {
    get(e.args.round).published = {
      aggregator: e.args.aggregator,
      modelCid: e.args.modelCid,
      modelHash: e.args.modelHash,
      included: [...e.args.included],
      excluded: e.args.excluded.map((x) => ({ member: x.member, reason: Number(x.reason) })),
      blockNumber: e.blockNumber,
      transactionHash: e.transactionHash,
    };
  }
  for (const e of attested) {
    get(e.args.round).attestations.push({
      auditor: e.args.auditor,
      matches: e.args.matches,
      replayedModelHash: e.args.replayedModelHash,
      transactionHash: e.transactionHash,
    });
  }
  for (const e of disputed) get(e.args.round).disputed = true;
  for (const e of finalized) get(e.args.round).finalized = true;
  for (const e of abandoned) get(e.args.round).abandoned = ABANDON_NAMES[Number(e.args.reason)] ?? "None";
  for (const e of resolved) get(e.args.round).resolved = { modelUpheld: e.args.modelUpheld };
  return [...byRound.values()].sort((a, b) => (a.round < b.round ? -1 : 1));
}

/** The history of one round (throws when the round was never opened). */
export async function readRound({
  rounds,
  taskId,
  round,
  fromBlock = 0,
}: {
  rounds: FederatedRounds;
  taskId: bigint;
  round: bigint;
  fromBlock?: number;
}): Promise<RoundRecord> {
  const history = await readTaskHistory({ rounds, taskId, fromBlock });
  const record = history.find((r) => r.round === round);
  if (!record) throw new Error(`round ${round} of task ${taskId} was never opened`);
  return record;
}
