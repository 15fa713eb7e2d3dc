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
export const RoundStatus = { None: 0, Open: 1, Closed: 2, Published: 3, Finalized: 4, Disputed: 5 } as const;
export type RoundStatusName = keyof typeof RoundStatus;

/** Why an aggregator excluded an update, as the contract numbers it. */
export const ExclusionReason = {
  None: 0,
  Unavailable: 1,
  Undecodable: 2,
  CommitmentMismatch: 3,
  NotSealedToAggregator: 4,
} as const;
export type ExclusionReasonName = keyof typeof ExclusionReason;

export interface CommittedUpdate {
  member: string;
  cid: string;
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
}

export interface Attestation {
  auditor: string;
  matches: boolean;
  replayedModelHash: string;
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
  commits: CommittedUpdate[];
  closed: boolean;
  published?: PublishedAggregate;
  attestations: Attestation[];
  finalized: boolean;
  disputed: boolean;
}
