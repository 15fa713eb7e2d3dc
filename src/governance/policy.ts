import { AbiCoder, isAddress, ParamType } from "ethers";
import { MAX_CHUNKS_PER_UPDATE } from "../zk/limits.js";
import { Consortium__factory } from "../../types/ethers-contracts/index.js";
import { MAX_RULE_ID, ruleDefinitionById } from "../aggregation/index.js";
import type { CircuitShape, ProposalAction, TaskPolicy } from "./types.js";
import { ProposalKind, Operation } from "./types.js";

/** A policy or proposal that the contract would refuse, caught before anyone pays gas for it. */
export type PolicyErrorCode =
  | "attestation-quorum"
  | "circuit-d"
  | "circuit-k"
  | "circuit-linf"
  | "dimension"
  | "expiry"
  | "initial-model"
  | "l2"
  | "linf"
  | "max-commits"
  | "max-non-zeros"
  | "min-participants"
  | "model-id"
  | "operations"
  | "policy-field"
  | "reader-key"
  | "readers"
  | "rule"
  | "scale"
  | "vk-hash"
  | "windows";

export class PolicyError extends Error {
  readonly code: PolicyErrorCode;
  constructor(code: PolicyErrorCode, message: string) {
    super(message);
    this.name = "PolicyError";
    this.code = code;
  }
}

/** IConsortium.TaskPolicy as the compiled contract declares it: the one source of its fields and order. */
const TASK_POLICY_TYPE: ParamType = (() => {
  const fn = Consortium__factory.abi.find((item) => item.type === "function" && item.name === "taskPolicy");
  const output = fn && "outputs" in fn ? fn.outputs[0] : undefined;
  if (!output) throw new Error("Consortium ABI has no taskPolicy output");
  return ParamType.from(output);
})();
const MEMBER_PROFILE_TUPLE = "tuple(uint8 roles, uint8 kind, bytes32 encryptionKey, bytes32 metadataHash)";
const CIRCUIT_SHAPE_TUPLE = "tuple(uint32 maxEntries, uint8 indexBits, uint8 valueBits)";
/** Policy fields the contract must be able to satisfy before anyone votes on them. */
const MAX_COMMITS_PER_ROUND = 1024;

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
  circuit?: CircuitShape;
  now?: bigint;
}): TaskPolicy {
  const fail = (code: PolicyErrorCode, message: string): never => {
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
  const rule = ruleDefinitionById(policy.aggregationRule);
  if (!rule) fail("rule", `aggregationRule must be a registered rule id 0..${MAX_RULE_ID}`);
  // A rule whose parameter the aggregator cannot decode would stall every round of the task.
  else if (!rule.acceptsWeights) {
    try {
      rule.fromPolicy({ parameter: policy.ruleParameter });
    } catch (error) {
      fail("rule", `ruleParameter: ${(error as Error).message}`);
    }
  }
  if (policy.minParticipants < 1) fail("min-participants", "minParticipants must be at least 1");
  if (
    !Number.isInteger(policy.maxCommits) ||
    policy.maxCommits < policy.minParticipants ||
    policy.maxCommits > MAX_COMMITS_PER_ROUND
  )
    fail("max-commits", `maxCommits must be in minParticipants..${MAX_COMMITS_PER_ROUND}`);
  if (policy.attestationQuorum < 1) fail("attestation-quorum", "attestationQuorum must be at least 1");
  if ((policy.allowedOperations & ~Operation.All) !== 0) fail("operations", "unknown operation bits");
  if (policy.expiry <= now) fail("expiry", "expiry must be in the future");
  for (const window of ["maxRoundDuration", "publishWindow", "attestationWindow"] as const) {
    const v = policy[window];
    if (!Number.isInteger(v) || v < 1 || v >= 2 ** 32)
      fail("windows", `${window} must be a whole number of seconds in 1..2^32-1`);
  }
  if (!BYTES32.test(policy.readerKey) || /^0x0+$/.test(policy.readerKey))
    fail("reader-key", "readerKey must be a non-zero 32-byte X25519 public key");
  if (policy.readers.length === 0) fail("readers", "the reader set is empty");
  for (const reader of policy.readers)
    if (!isAddress(reader)) fail("readers", `reader ${String(reader)} is not an address`);
  if (new Set(policy.readers.map((r) => r.toLowerCase())).size !== policy.readers.length)
    fail("readers", "duplicate reader");
  if (circuit) {
    const maxNonZeros = circuit.maxEntries * MAX_CHUNKS_PER_UPDATE;
    if (policy.maxNonZeros > maxNonZeros)
      fail(
        "circuit-k",
        `maxNonZeros ${policy.maxNonZeros} exceeds the circuit's ${maxNonZeros} (${circuit.maxEntries} entries per chunk proof, at most ${MAX_CHUNKS_PER_UPDATE} chunks)`,
      );
    if (policy.dimension > 2 ** circuit.indexBits)
      fail(
        "circuit-d",
        `dimension ${policy.dimension} exceeds the circuit's 2^${circuit.indexBits} indices: the model has ${policy.dimension} parameters, ` +
          `this verifying key's circuit proves updates of models of at most ${2 ** circuit.indexBits}`,
      );
    if (2n * policy.lInfBound >= 2n ** BigInt(circuit.valueBits))
      fail("circuit-linf", `2*lInfBound must be below the circuit's 2^${circuit.valueBits}`);
  }
  return policy;
}

/** The ABI tuple of a policy, field by field in the contract's order (ethers checks names and types). */
function policyTuple(policy: TaskPolicy): unknown[] {
  const record = policy as unknown as Record<string, unknown>;
  return (TASK_POLICY_TYPE.components ?? []).map((c) => {
    const value = record[c.name];
    if (value === undefined) throw new PolicyError("policy-field", `task policy has no field ${c.name}`);
    return value;
  });
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
      return { kind, payload: coder.encode([TASK_POLICY_TYPE], [policyTuple(action.policy)]) };
    case "UpdateTask":
      return {
        kind,
        payload: coder.encode(["uint256", TASK_POLICY_TYPE], [action.taskId, policyTuple(action.policy)]),
      };
    case "GrantTaskAccess":
    case "RevokeTaskAccess":
      return { kind, payload: coder.encode(["uint256", "address"], [action.taskId, action.account]) };
    case "RegisterVerifyingKey": {
      const { maxEntries, indexBits, valueBits } = action.shape;
      return {
        kind,
        payload: coder.encode(
          ["uint256[]", CIRCUIT_SHAPE_TUPLE, "bool"],
          [action.words, [maxEntries, indexBits, valueBits], action.developmentOnly],
        ),
      };
    }
    case "ResolveDispute":
      return {
        kind,
        payload: coder.encode(
          ["uint256", "uint256", "bool", "address[]"],
          [action.taskId, action.round, action.upholdModel, action.suspend],
        ),
      };
  }
}

/**
 * Reads a policy struct as ethers returns it from `taskPolicy` or a `TaskPolicySet` event: every field the
 * ABI declares, unsigned integers of up to 32 bits as numbers, wider ones as bigints.
 */
export function policyFromChain(raw: object): TaskPolicy {
  const out: Record<string, unknown> = {};
  for (const c of TASK_POLICY_TYPE.components ?? []) {
    const value = (raw as Record<string, unknown>)[c.name];
    if (value === undefined) throw new PolicyError("policy-field", `chain policy has no field ${c.name}`);
    const bits = /^uint(\d+)$/.exec(c.type)?.[1];
    if (bits !== undefined) out[c.name] = Number(bits) <= 32 ? Number(value) : BigInt(value as bigint);
    else if (c.baseType === "array") out[c.name] = [...(value as readonly unknown[])];
    else out[c.name] = value;
  }
  return out as unknown as TaskPolicy;
}

/**
 * The governance action a proposal's (kind, payload) carries: the inverse of `encodeProposal`, so that a
 * governor sees what it approves (the web console's proposal list), decoded from the chain's bytes alone.
 * Throws `PolicyError` for an unknown kind or a payload that does not decode.
 */
export function decodeProposal({ kind, payload }: { kind: number; payload: string }): ProposalAction {
  const name = (Object.keys(ProposalKind) as (keyof typeof ProposalKind)[]).find(
    (k) => ProposalKind[k] === kind,
  );
  if (name === undefined) throw new PolicyError("policy-field", `unknown proposal kind ${kind}`);
  const decode = (types: readonly (string | ParamType)[]) => {
    try {
      return coder.decode(types, payload);
    } catch (error) {
      throw new PolicyError(
        "policy-field",
        `${name} payload does not decode: ${(error as Error).message.split("\n")[0]}`,
      );
    }
  };
  switch (name) {
    case "AdmitMember": {
      const [account, profile] = decode(["address", MEMBER_PROFILE_TUPLE]);
      const p = profile as unknown as {
        roles: bigint;
        kind: bigint;
        encryptionKey: string;
        metadataHash: string;
      };
      return {
        kind: name,
        account: String(account),
        profile: {
          roles: Number(p.roles),
          kind: Number(p.kind),
          encryptionKey: p.encryptionKey,
          metadataHash: p.metadataHash,
        },
      };
    }
    case "SuspendMember":
    case "ReinstateMember":
    case "RemoveMember":
      return { kind: name, account: String(decode(["address"])[0]) };
    case "AddGovernor":
    case "RemoveGovernor":
      return { kind: name, governor: String(decode(["address"])[0]) };
    case "SetQuorum":
      return { kind: name, quorum: Number(decode(["uint256"])[0]) };
    case "CreateTask":
      return { kind: name, policy: policyFromChain(decode([TASK_POLICY_TYPE])[0] as object) };
    case "UpdateTask": {
      const [taskId, policy] = decode(["uint256", TASK_POLICY_TYPE]);
      return { kind: name, taskId: BigInt(taskId as bigint), policy: policyFromChain(policy as object) };
    }
    case "GrantTaskAccess":
    case "RevokeTaskAccess": {
      const [taskId, account] = decode(["uint256", "address"]);
      return { kind: name, taskId: BigInt(taskId as bigint), account: String(account) };
    }
    case "RegisterVerifyingKey": {
      const [words, shape, developmentOnly] = decode(["uint256[]", CIRCUIT_SHAPE_TUPLE, "bool"]);
      const s = shape as unknown as { maxEntries: bigint; indexBits: bigint; valueBits: bigint };
      return {
        kind: name,
        words: [...(words as readonly bigint[])],
        shape: {
          maxEntries: Number(s.maxEntries),
          indexBits: Number(s.indexBits),
          valueBits: Number(s.valueBits),
        },
        developmentOnly: Boolean(developmentOnly),
      };
    }
    case "ResolveDispute": {
      const [taskId, round, upholdModel, suspend] = decode(["uint256", "uint256", "bool", "address[]"]);
      return {
        kind: name,
        taskId: BigInt(taskId as bigint),
        round: BigInt(round as bigint),
        upholdModel: Boolean(upholdModel),
        suspend: [...(suspend as readonly string[])],
      };
    }
  }
}
