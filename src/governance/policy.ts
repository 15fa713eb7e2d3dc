import { AbiCoder, isAddress } from "ethers";
import type { CircuitLimits, ProposalAction, TaskPolicy } from "./types.js";
import { ProposalKind, Operation } from "./types.js";

/** A policy or proposal that the contract would refuse, caught before anyone pays gas for it. */
export class PolicyError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = "PolicyError";
    this.code = code;
  }
}

const TASK_POLICY_TUPLE =
  "tuple(bytes32 modelId, bytes32 initialModelHash, string initialModelCid, uint32 dimension, uint32 maxNonZeros, uint64 lInfBound, " +
  "uint64 l2Bound, uint32 scale, uint8 aggregationRule, uint64 ruleParameter, uint16 minParticipants, " +
  "uint16 attestationQuorum, uint8 sensitivity, uint8 allowedOperations, uint64 expiry, address verifier, " +
  "bytes32 verifyingKeyHash, address[] readers)";
const MEMBER_PROFILE_TUPLE = "tuple(uint8 roles, uint8 kind, bytes32 encryptionKey, bytes32 metadataHash)";

const coder = AbiCoder.defaultAbiCoder();
const BYTES32 = /^0x[0-9a-fA-F]{64}$/;

/**
 * Checks a policy against the rules the contract enforces, and, given the circuit it will be proved with,
 * against what that circuit can prove (an honest member could not get a proof otherwise).
 */
export function validatePolicy({
  policy,
  circuit,
  now = BigInt(Math.floor(Date.now() / 1000)),
}: {
  policy: TaskPolicy;
  circuit?: CircuitLimits;
  now?: bigint;
}): TaskPolicy {
  const fail = (code: string, message: string): never => {
    throw new PolicyError(code, `invalid task policy: ${message}`);
  };
  if (!BYTES32.test(policy.modelId)) fail("model-id", "modelId must be 32 bytes hex");
  if (!BYTES32.test(policy.initialModelHash)) fail("initial-model", "initialModelHash must be 32 bytes hex");
  if (policy.initialModelCid.length === 0) fail("initial-model", "initialModelCid is empty");
  if (!BYTES32.test(policy.verifyingKeyHash)) fail("vk-hash", "verifyingKeyHash must be 32 bytes hex");
  if (!Number.isInteger(policy.dimension) || policy.dimension < 1 || policy.dimension >= 2 ** 32)
    fail("dimension", "dimension must be an integer in 1..2^32-1");
  if (
    !Number.isInteger(policy.maxNonZeros) ||
    policy.maxNonZeros < 1 ||
    policy.maxNonZeros > policy.dimension
  )
    fail("max-non-zeros", "maxNonZeros must be in 1..dimension");
  if (policy.lInfBound < 1n || policy.lInfBound >= 2n ** 64n) fail("linf", "lInfBound must be in 1..2^64-1");
  if (policy.l2Bound < 1n || policy.l2Bound * policy.l2Bound >= 2n ** 96n)
    fail("l2", "l2Bound must be positive with l2Bound^2 < 2^96");
  if (!Number.isInteger(policy.scale) || policy.scale < 1) fail("scale", "scale must be a positive integer");
  if (policy.aggregationRule < 0 || policy.aggregationRule > 4) fail("rule", "aggregationRule must be 0..4");
  if (policy.minParticipants < 1) fail("min-participants", "minParticipants must be at least 1");
  if (policy.attestationQuorum < 1) fail("attestation-quorum", "attestationQuorum must be at least 1");
  if ((policy.allowedOperations & ~Operation.All) !== 0) fail("operations", "unknown operation bits");
  if (policy.expiry <= now) fail("expiry", "expiry must be in the future");
  if (!isAddress(policy.verifier)) fail("verifier", "verifier must be an address");
  if (policy.readers.length === 0) fail("readers", "the reader set is empty");
  for (const reader of policy.readers)
    if (!isAddress(reader)) fail("readers", `reader ${String(reader)} is not an address`);
  if (new Set(policy.readers.map((r) => r.toLowerCase())).size !== policy.readers.length)
    fail("readers", "duplicate reader");
  if (circuit) {
    if (policy.maxNonZeros > circuit.maxEntries)
      fail(
        "circuit-k",
        `maxNonZeros ${policy.maxNonZeros} exceeds the circuit's ${circuit.maxEntries} entries`,
      );
    if (policy.dimension > 2 ** circuit.idxBits)
      fail("circuit-d", `dimension ${policy.dimension} exceeds the circuit's 2^${circuit.idxBits} indices`);
    if (2n * policy.lInfBound >= 2n ** BigInt(circuit.valBits))
      fail("circuit-linf", `2*lInfBound must be below the circuit's 2^${circuit.valBits}`);
  }
  return policy;
}

function policyTuple(policy: TaskPolicy): unknown[] {
  return [
    policy.modelId,
    policy.initialModelHash,
    policy.initialModelCid,
    policy.dimension,
    policy.maxNonZeros,
    policy.lInfBound,
    policy.l2Bound,
    policy.scale,
    policy.aggregationRule,
    policy.ruleParameter,
    policy.minParticipants,
    policy.attestationQuorum,
    policy.sensitivity,
    policy.allowedOperations,
    policy.expiry,
    policy.verifier,
    policy.verifyingKeyHash,
    policy.readers,
  ];
}

/** The contract's (kind, payload) for a governance action; the payload layouts are IConsortium's. */
export function encodeProposal(action: ProposalAction): { kind: number; payload: string } {
  const kind = ProposalKind[action.kind];
  switch (action.kind) {
    case "AdmitMember": {
      const p = action.profile;
      return {
        kind,
        payload: coder.encode(
          ["address", MEMBER_PROFILE_TUPLE],
          [action.account, [p.roles, p.kind, p.encryptionKey, p.metadataHash]],
        ),
      };
    }
    case "SuspendMember":
    case "ReinstateMember":
    case "RemoveMember":
      return { kind, payload: coder.encode(["address"], [action.account]) };
    case "AddGovernor":
    case "RemoveGovernor":
      return { kind, payload: coder.encode(["address"], [action.governor]) };
    case "SetQuorum":
      return { kind, payload: coder.encode(["uint256"], [action.quorum]) };
    case "CreateTask":
      return { kind, payload: coder.encode([TASK_POLICY_TUPLE], [policyTuple(action.policy)]) };
    case "UpdateTask":
      return {
        kind,
        payload: coder.encode(["uint256", TASK_POLICY_TUPLE], [action.taskId, policyTuple(action.policy)]),
      };
    case "GrantTaskAccess":
    case "RevokeTaskAccess":
      return { kind, payload: coder.encode(["uint256", "address"], [action.taskId, action.account]) };
  }
}

/** Reads a policy struct as ethers returns it from `taskPolicy` or a `TaskPolicySet` event. */
export function policyFromChain(raw: {
  modelId: string;
  initialModelHash: string;
  initialModelCid: string;
  dimension: bigint;
  maxNonZeros: bigint;
  lInfBound: bigint;
  l2Bound: bigint;
  scale: bigint;
  aggregationRule: bigint;
  ruleParameter: bigint;
  minParticipants: bigint;
  attestationQuorum: bigint;
  sensitivity: bigint;
  allowedOperations: bigint;
  expiry: bigint;
  verifier: string;
  verifyingKeyHash: string;
  readers: readonly string[];
}): TaskPolicy {
  return {
    modelId: raw.modelId,
    initialModelHash: raw.initialModelHash,
    initialModelCid: raw.initialModelCid,
    dimension: Number(raw.dimension),
    maxNonZeros: Number(raw.maxNonZeros),
    lInfBound: raw.lInfBound,
    l2Bound: raw.l2Bound,
    scale: Number(raw.scale),
    aggregationRule: Number(raw.aggregationRule),
    ruleParameter: raw.ruleParameter,
    minParticipants: Number(raw.minParticipants),
    attestationQuorum: Number(raw.attestationQuorum),
    sensitivity: Number(raw.sensitivity),
    allowedOperations: Number(raw.allowedOperations),
    expiry: raw.expiry,
    verifier: raw.verifier,
    verifyingKeyHash: raw.verifyingKeyHash,
    readers: [...raw.readers],
  };
}
