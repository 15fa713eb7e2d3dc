import type { Consortium, FederatedRounds } from "../../types/ethers-contracts/index.js";

export type { Consortium, FederatedRounds };

/** Where the consortium's contracts live on a chain. */
export interface DeploymentAddresses {
  consortium: string;
  rounds: string;
}

/** The consortium's contracts bound to one signer or provider. */
export interface ConsortiumContracts {
  consortium: Consortium;
  rounds: FederatedRounds;
}

/** Round status as the FederatedRounds contract numbers it. */
export const RoundStatus = {
  None: 0,
  Open: 1,
  Closed: 2,
  Published: 3,
  Finalized: 4,
  Disputed: 5,
  Abandoned: 6,
  Resolved: 7,
} as const;
export type RoundStatusName = keyof typeof RoundStatus;

/** Why an aggregator excluded an update, as the contract numbers it (decided from chain data alone). */
export const ExclusionReason = {
  None: 0,
  Unopenable: 1,
  Undecodable: 2,
  CommitmentMismatch: 3,
  FreeRider: 4,
  Outlier: 5,
} as const;
export type ExclusionReasonName = keyof typeof ExclusionReason;

/** Why a round ended without a model, as the contract numbers it. */
export const AbandonReason = {
  None: 0,
  TooFewCommits: 1,
  PublishWindowPassed: 2,
  AttestationWindowPassed: 3,
  TooFewIncluded: 4,
} as const;
export type AbandonReasonName = keyof typeof AbandonReason;

export interface CommittedUpdate {
  member: string;
  /** The sealed envelope, exactly as the commit transaction carried it. */
  envelope: Uint8Array;
  commitment: bigint;
  blockNumber: number;
  transactionHash: string;
}

export interface PublishedAggregate {
  aggregator: string;
  modelCid: string;
  modelHash: string;
  included: string[];
  excluded: { member: string; reason: number }[];
  blockNumber: number;
  transactionHash: string;
}

export interface Attestation {
  auditor: string;
  matches: boolean;
  replayedModelHash: string;
  transactionHash: string;
}

/** Everything the chain's events say about one round: what auditors and `cfl audit` replay from. */
export interface RoundRecord {
  taskId: bigint;
  round: bigint;
  aggregator: string;
  policyVersion: number;
  baseModelCid: string;
  baseModelHash: string;
  deadline: bigint;
  /** The transaction that opened the round. */
  openedIn: string;
  commits: CommittedUpdate[];
  closed: boolean;
  published?: PublishedAggregate;
  attestations: Attestation[];
  finalized: boolean;
  disputed: boolean;
  /** Set when the round ended without a model. */
  abandoned?: AbandonReasonName;
  /** Set when governance's resolution of a dispute was applied. */
  resolved?: { modelUpheld: boolean };
}

/** The one-word status of a round as reports show it. */
export function roundOutcome(
  record: RoundRecord,
): "open" | "closed" | "published" | "finalized" | "disputed" | "abandoned" | "resolved" {
  if (record.resolved) return "resolved";
  if (record.abandoned) return "abandoned";
  if (record.finalized) return "finalized";
  if (record.disputed) return "disputed";
  if (record.published) return "published";
  return record.closed ? "closed" : "open";
}
