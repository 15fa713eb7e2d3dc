import type { Signer } from "ethers";
import type { ConsortiumContracts } from "../chain/index.js";
import type { TaskPolicy } from "../governance/index.js";
import type { ContentStore } from "../storage/index.js";
import type { CircuitArtifacts, CircuitParams } from "../zk/index.js";
import type { ScreenReason } from "../aggregation/index.js";

/** A reader's X25519 key pair, named by the reader's account address. */
export interface ReaderKey {
  id: string;
  publicKey: Uint8Array;
  secretKey: Uint8Array;
}

/**
 * The task's reader-group secret as one reader holds it: every reader of a policy version holds the same
 * secret, whose public key the policy pins as `readerKey`, so every reader opens every envelope alike.
 */
export interface ReaderGroupKey {
  /** The reader's own account. */
  reader: string;
  /** X25519 secret of the reader group. */
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

/** A round's rules: the policy version it was opened under and the shape of its circuit, from the chain. */
export interface RoundPolicy {
  version: number;
  policy: TaskPolicy;
  /** The verifying key's circuit shape as the consortium's registry records it. */
  circuit: CircuitParams;
}

/** Why a committed update is left out, by the names of IFederatedRounds.ExclusionReason. */
export type ExclusionReasonName = "Unopenable" | "Undecodable" | "CommitmentMismatch" | ScreenReason;

/** The outcome of checking one committed update: included with its decoded entries, or excluded. */
export type UpdateCheck =
  | { member: string; status: "valid"; update: import("../sparse/index.js").SparseUpdate }
  | { member: string; status: "excluded"; reason: ExclusionReasonName; detail: string };

export interface MemberRoundResult {
  commitment: bigint;
  sealedBytes: number;
  payloadBytes: number;
  proveMs: number;
  /** Chunk proofs the update needed (ceil(count / K), at least 1), committed in one transaction. */
  chunks: number;
  gasUsed: bigint;
  count: number;
}

export interface AggregationResult {
  modelCid: string;
  modelHash: string;
  included: string[];
  excluded: { member: string; reason: ExclusionReasonName; detail: string }[];
  /**
   * Members the rule's screen suspected this round, left out or kept: a direction verdict leaves a member out
   * only when it repeats (docs/aggregation.md), so a first suspicion is reported here and not as an exclusion.
   */
  suspected: string[];
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
