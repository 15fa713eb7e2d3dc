import type { Consortium } from "../../types/ethers-contracts/index.js";
import { KIND_NAMES } from "./payloads.js";

/** Where a proposal stands: executed, expired (marked, or its window passed), or still open for approvals. */
export type ProposalState = "pending" | "executed" | "expired";

/** A proposal as the chain's events record it (`cfl governance list` and the web console read this). */
export interface ProposalView {
  readonly id: bigint;
  /** The proposal kind's name (IConsortium.ProposalKind), or its number when this build does not know it. */
  readonly kind: string;
  readonly proposer: string;
  /** Governors whose approval events the chain holds, in order. */
  readonly approvers: readonly string[];
  readonly state: ProposalState;
  /** Chain time (seconds) after which approvals are refused. */
  readonly expiry: bigint;
  /** The ABI-encoded payload the governors approve. */
  readonly payload: string;
  readonly transactionHash: string;
  readonly blockNumber: number;
}

/**
 * Every proposal of the consortium with its approvals and state, from the events alone (the chain is the
 * audit log). `now` is the chain's latest block time: a proposal past its expiry is expired even before
 * anyone marks it.
 */
export async function readProposals({
  consortium,
  now,
  fromBlock = 0,
}: {
  consortium: Consortium;
  now: bigint;
  fromBlock?: number;
}): Promise<ProposalView[]> {
  const [created, approved, executed, expired] = await Promise.all([
    consortium.queryFilter(consortium.filters.ProposalCreated(), fromBlock),
    consortium.queryFilter(consortium.filters.ProposalApproved(), fromBlock),
    consortium.queryFilter(consortium.filters.ProposalExecuted(), fromBlock),
    consortium.queryFilter(consortium.filters.ProposalExpiredMarked(), fromBlock),
  ]);
  return created.map((e) => {
    const id = e.args.proposalId;
    const approvers = approved.filter((a) => a.args.proposalId === id).map((a) => a.args.governor);
    const done = executed.some((x) => x.args.proposalId === id);
    const markedExpired = expired.some((x) => x.args.proposalId === id);
    const state: ProposalState = done
      ? "executed"
      : markedExpired || e.args.expiry < now
        ? "expired"
        : "pending";
    return {
      id,
      kind: KIND_NAMES[Number(e.args.kind)] ?? String(e.args.kind),
      proposer: e.args.proposer,
      approvers,
      state,
      expiry: e.args.expiry,
      payload: e.args.payload,
      transactionHash: e.transactionHash,
      blockNumber: e.blockNumber,
    };
  });
}
