import { ruleDefinitionById } from "../aggregation/index.js";
import { decodeProposal } from "./policy.js";
import { EntityKind, ProposalKind, Role, type ProposalAction } from "./types.js";

const short = (value: string): string => `${value.slice(0, 8)}…${value.slice(-6)}`;

/** The name an IConsortium enum value has in one of the governance tables (`EntityKind`, `MemberStatus`). */
export function nameOf(table: Readonly<Record<string, number>>, id: number): string | undefined {
  return Object.keys(table).find((name) => table[name] === id);
}

/** The roles a profile's bits hold, lowercase as proposal payloads write them (`Role`). */
export function roleNames(roles: number): string[] {
  return Object.entries(Role)
    .filter(([, bit]) => (roles & bit) !== 0)
    .map(([name]) => name.toLowerCase());
}

/**
 * One line saying what a governance action does, for the governor about to approve it (the web console's
 * proposal list): every field that changes something, addresses and hashes shortened.
 */
export function describeProposal(action: ProposalAction): string {
  switch (action.kind) {
    case "AdmitMember": {
      const roles = roleNames(action.profile.roles);
      return (
        `admit ${short(String(action.account))} as ${roles.join(", ") || "no role"} ` +
        `(${nameOf(EntityKind, action.profile.kind) ?? action.profile.kind}), encryption key ${short(String(action.profile.encryptionKey))}`
      );
    }
    case "SuspendMember":
      return `suspend ${short(String(action.account))}`;
    case "ReinstateMember":
      return `reinstate ${short(String(action.account))}`;
    case "RemoveMember":
      return `remove ${short(String(action.account))}`;
    case "AddGovernor":
      return `add governor ${short(String(action.governor))}`;
    case "RemoveGovernor":
      return `remove governor ${short(String(action.governor))}`;
    case "SetQuorum":
      return `quorum ${action.quorum}`;
    case "CreateTask":
    case "UpdateTask": {
      const p = action.policy;
      const rule = ruleDefinitionById(p.aggregationRule)?.kind ?? `rule ${p.aggregationRule}`;
      return (
        `${action.kind === "UpdateTask" ? `task ${action.taskId}: ` : ""}model ${short(p.modelId)}, d = ${p.dimension}, ` +
        `k ≤ ${p.maxNonZeros}, L2 ≤ ${p.l2Bound}, ${rule}, ${p.minParticipants}–${p.maxCommits} members, ` +
        `${p.attestationQuorum} attestations, key ${short(p.verifyingKeyHash)}, ${p.readers.length} readers`
      );
    }
    case "GrantTaskAccess":
      return `task ${action.taskId}: grant ${short(String(action.account))}`;
    case "RevokeTaskAccess":
      return `task ${action.taskId}: revoke ${short(String(action.account))}`;
    case "RegisterVerifyingKey":
      return (
        `register a ${action.developmentOnly ? "development-only " : ""}verifying key for K = ${action.shape.maxEntries}, ` +
        `2^${action.shape.indexBits} indices, ${action.shape.valueBits}-bit values`
      );
    case "ResolveDispute":
      return (
        `task ${action.taskId} round ${action.round}: ${action.upholdModel ? "uphold the model" : "confirm the dispute"}` +
        (action.suspend.length > 0 ? `, suspend ${action.suspend.map((a) => short(a)).join(", ")}` : "")
      );
  }
}

/**
 * What a proposal on chain does, from its kind's name and payload bytes (`readProposals`' view): the
 * description, or why the payload cannot be read.
 */
export function describeProposalPayload({ kind, payload }: { kind: string; payload: string }): string {
  const id = ProposalKind[kind as keyof typeof ProposalKind];
  if (id === undefined) return `a proposal kind this version does not know (${kind})`;
  try {
    return describeProposal(decodeProposal({ kind: id, payload }));
  } catch (error) {
    return (error as Error).message;
  }
}
