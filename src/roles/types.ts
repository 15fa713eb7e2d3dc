import type { Signer } from "ethers";
import type { ConsortiumContracts } from "../chain/index.js";
import type { TaskPolicy } from "../governance/index.js";
import type { ContentStore } from "../storage/index.js";
import type { CircuitArtifacts } from "../zk/index.js";

/** A reader's X25519 key pair, named by the reader's account address. */
export interface ReaderKey {
  id: string;
  publicKey: Uint8Array;
  secretKey: Uint8Array;
}

/** What every role needs: who it is on chain, the contracts, and the content store it reads and writes. */
export interface RoleEnvironment {
  signer: Signer;
  address: string;
  contracts: ConsortiumContracts;
  store: ContentStore;
  taskId: bigint;
  /** Timeout for one content fetch. */
  fetchTimeoutMs?: number;
}

/** A round's rules: the policy version it was opened under. */
export interface RoundPolicy {
  version: number;
  policy: TaskPolicy;
}

/** Why a committed update is left out, by the names of IFederatedRounds.ExclusionReason. */
export type ExclusionReasonName =
  "Unavailable" | "Undecodable" | "CommitmentMismatch" | "NotSealedToAggregator";

/** The outcome of checking one committed update: included with its decoded entries, or excluded. */
export type UpdateCheck =
  | { member: string; status: "valid"; update: import("../sparse/index.js").SparseUpdate }
  | { member: string; status: "excluded"; reason: ExclusionReasonName; detail: string };

export interface MemberRoundResult {
  cid: string;
  commitment: bigint;
  sealedBytes: number;
  payloadBytes: number;
  proveMs: number;
  gasUsed: bigint;
  count: number;
}

export interface AggregationResult {
  modelCid: string;
  modelHash: string;
  included: string[];
  excluded: { member: string; reason: ExclusionReasonName; detail: string }[];
  gasUsed: bigint;
  aggregateMs: number;
}

export interface AuditVerdict {
  round: bigint;
  matches: boolean;
  replayedModelHash: string;
  /** Why the replay disagrees with the published aggregate (empty when it matches). */
  findings: string[];
}

export type { CircuitArtifacts };
