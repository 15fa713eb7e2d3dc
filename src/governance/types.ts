import type { AddressLike, BytesLike } from "ethers";
import type { IConsortium } from "../../types/ethers-contracts/index.js";

/** Member roles, a bitmask as in contracts/interfaces/IConsortium.sol. */
export const Role = { Member: 1, Aggregator: 2, Auditor: 4 } as const;

/** Operations a task policy may allow, a bitmask as in IConsortium.sol. */
export const Operation = { OpenRound: 1, CommitUpdate: 2, PublishAggregate: 4, Attest: 8, All: 15 } as const;

export const EntityKind = { Supplier: 0, Manufacturer: 1, Recycler: 2, Remanufacturer: 3 } as const;
export type EntityKindName = keyof typeof EntityKind;

export const MemberStatus = { None: 0, Active: 1, Suspended: 2, Removed: 3 } as const;

/** Proposal kinds, in the order of IConsortium.ProposalKind. */
export const ProposalKind = {
  AdmitMember: 0,
  SuspendMember: 1,
  ReinstateMember: 2,
  RemoveMember: 3,
  AddGovernor: 4,
  RemoveGovernor: 5,
  SetQuorum: 6,
  CreateTask: 7,
  UpdateTask: 8,
  GrantTaskAccess: 9,
  RevokeTaskAccess: 10,
  RegisterVerifyingKey: 11,
  ResolveDispute: 12,
} as const;
export type ProposalKindName = keyof typeof ProposalKind;

/** The profile a governor proposes to admit. */
export interface MemberProfile {
  roles: number;
  kind: number;
  /** 0x-prefixed 32-byte X25519 public key that task readers' envelopes are sealed to. */
  encryptionKey: string;
  /** 0x-prefixed 32-byte hash of off-chain metadata. */
  metadataHash: string;
}

/** TaskPolicy fields of at most 32 bits: plain numbers here (wider integers stay bigints). */
type SmallPolicyField =
  | "dimension"
  | "maxNonZeros"
  | "scale"
  | "aggregationRule"
  | "minParticipants"
  | "maxCommits"
  | "attestationQuorum"
  | "sensitivity"
  | "allowedOperations"
  | "maxRoundDuration"
  | "publishWindow"
  | "attestationWindow";

type PolicyFieldValue<K, V> = K extends SmallPolicyField
  ? number
  : [V] extends [AddressLike[]]
    ? string[]
    : [V] extends [BytesLike]
      ? string
      : bigint;

/**
 * A task policy as the Consortium contract stores it, derived from the generated binding of
 * IConsortium.TaskPolicy (whose NatSpec documents every field): a field added to the contract appears
 * here by regenerating the bindings, and nowhere else is the list of fields written. Unsigned integers of
 * up to 32 bits are numbers, wider ones bigints, bytes and addresses hex strings.
 */
export type TaskPolicy = {
  -readonly [K in keyof IConsortium.TaskPolicyStruct]: PolicyFieldValue<K, IConsortium.TaskPolicyStruct[K]>;
};

/** What a registered verifying key's circuit can prove (IVerifyingKeyRegistry.CircuitShape). */
export interface CircuitShape {
  maxEntries: number;
  indexBits: number;
  valueBits: number;
}

/** A change the governors vote on; `encodeProposal` turns it into the contract's (kind, payload). */
export type ProposalAction =
  | { kind: "AdmitMember"; account: string; profile: MemberProfile }
  | { kind: "SuspendMember" | "ReinstateMember" | "RemoveMember"; account: string }
  | { kind: "AddGovernor" | "RemoveGovernor"; governor: string }
  | { kind: "SetQuorum"; quorum: number }
  | { kind: "CreateTask"; policy: TaskPolicy }
  | { kind: "UpdateTask"; taskId: bigint; policy: TaskPolicy }
  | { kind: "GrantTaskAccess" | "RevokeTaskAccess"; taskId: bigint; account: string }
  | { kind: "RegisterVerifyingKey"; words: readonly bigint[]; shape: CircuitShape; developmentOnly: boolean }
  | { kind: "ResolveDispute"; taskId: bigint; round: bigint; upholdModel: boolean; suspend: string[] };
