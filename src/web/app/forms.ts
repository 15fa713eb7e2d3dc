/**
 * The proposal forms: which fields each proposal kind asks for, and how a filled form becomes the same JSON
 * payload `cfl governance propose <kind> --json` reads. The payload is then parsed by the CLI's own
 * `parseProposalPayload`, so the console refuses exactly what the CLI refuses, with the same words.
 */
import type { ProposalKindName } from "../../governance/types.js";

export type FieldType = "address" | "uint" | "bytes32" | "roles" | "entity" | "bool" | "json" | "addresses";

export interface FormField {
  readonly name: string;
  readonly label: string;
  readonly type: FieldType;
  readonly help: string;
  readonly optional?: boolean;
}

const account = (help: string): FormField => ({ name: "account", label: "Account", type: "address", help });
const taskId: FormField = {
  name: "taskId",
  label: "Task id",
  type: "uint",
  help: "The task's number (1, 2, …).",
};
const policy: FormField = {
  name: "policy",
  label: "Task policy (JSON)",
  type: "json",
  help: 'The policy as `cfl governance draft-task` prints it under "policy": every bound is explained beside the form.',
};

export const PROPOSAL_FORMS: Record<ProposalKindName, readonly FormField[]> = {
  AdmitMember: [
    account("The new member's address (its own wallet or role key)."),
    { name: "roles", label: "Roles", type: "roles", help: "What the account may do in tasks it is granted." },
    { name: "kind", label: "Entity kind", type: "entity", help: "Its place in the supply chain." },
    {
      name: "encryptionKey",
      label: "Encryption key",
      type: "bytes32",
      help: "The member's X25519 public key (32 bytes hex, as `cfl member join` prints it): reader groups are sealed to it.",
    },
    {
      name: "metadataHash",
      label: "Metadata hash",
      type: "bytes32",
      optional: true,
      help: "Optional: keccak256 of an off-chain profile document.",
    },
  ],
  SuspendMember: [account("The member to suspend: it can no longer commit, publish or attest.")],
  ReinstateMember: [account("A suspended member to make active again.")],
  RemoveMember: [account("The member to remove for good.")],
  AddGovernor: [
    { name: "governor", label: "Governor", type: "address", help: "The new governor's address." },
  ],
  RemoveGovernor: [{ name: "governor", label: "Governor", type: "address", help: "The governor to remove." }],
  SetQuorum: [
    {
      name: "quorum",
      label: "Quorum",
      type: "uint",
      help: "Approvals a proposal needs before it can be executed (1..number of governors).",
    },
  ],
  CreateTask: [policy],
  UpdateTask: [taskId, policy],
  GrantTaskAccess: [taskId, account("The member that may take part in the task.")],
  RevokeTaskAccess: [taskId, account("The member that may no longer take part.")],
  RegisterVerifyingKey: [
    {
      name: "words",
      label: "Key words (JSON array)",
      type: "json",
      help: "The verifying key as uint256 words; `cfl governance propose register-key --vkey` builds them from a key file.",
    },
    {
      name: "shape",
      label: "Circuit shape (JSON)",
      type: "json",
      help: '{"maxEntries": K, "indexBits": …, "valueBits": …}: what the circuit proves.',
    },
    {
      name: "developmentOnly",
      label: "Development only",
      type: "bool",
      help: "The key's setup secrets are public: only a development deployment may pin it.",
    },
  ],
  ResolveDispute: [
    taskId,
    { name: "round", label: "Round", type: "uint", help: "The disputed round." },
    {
      name: "upholdModel",
      label: "Uphold the published model",
      type: "bool",
      help: "Checked: the model was right (the disputing auditors are at fault). Unchecked: the dispute was right.",
    },
    {
      name: "suspend",
      label: "Suspend (addresses)",
      type: "addresses",
      help: "Accounts to suspend, separated by spaces or commas (the CLI's dry run lists them from the evidence).",
      optional: true,
    },
  ],
};

/** A form's raw values: text inputs, checked roles, checkboxes. */
export type FormValues = Record<string, string | boolean | readonly string[]>;

export class FormError extends Error {}

/** Turns a filled form into the JSON payload of its kind (then parsed by `parseProposalPayload`). */
export function payloadFromForm({ kind, values }: { kind: ProposalKindName; values: FormValues }): unknown {
  const out: Record<string, unknown> = {};
  for (const field of PROPOSAL_FORMS[kind]) {
    const raw = values[field.name];
    if (field.type === "bool") {
      out[field.name] = raw === true;
      continue;
    }
    if (field.type === "roles") {
      out[field.name] = Array.isArray(raw) ? [...(raw as readonly string[])] : [];
      continue;
    }
    const text = typeof raw === "string" ? raw.trim() : "";
    if (text === "") {
      if (field.optional) {
        if (field.type === "addresses") out[field.name] = [];
        continue;
      }
      out[field.name] = undefined;
      continue;
    }
    if (field.type === "json") {
      try {
        out[field.name] = JSON.parse(text) as unknown;
      } catch (error) {
        throw new FormError(`${field.name}: not JSON (${(error as Error).message})`);
      }
    } else if (field.type === "addresses") {
      out[field.name] = text.split(/[\s,]+/).filter(Boolean);
    } else {
      out[field.name] = text;
    }
  }
  return out;
}

/** What each bound of a task policy means, shown beside the policy form. */
export const POLICY_FIELD_HELP: readonly (readonly [string, string])[] = [
  ["modelId", "keccak256 of the model's topology and data schema: members refuse to train another model."],
  ["initialModelHash / initialModelCid", "The starting model's hash and where it is stored on IPFS."],
  ["dimension", "d, the model's parameter count: the circuit must prove indices below it."],
  [
    "maxNonZeros",
    "k, the most entries an update may send: at most 128 times the circuit's K (an update is proven in chunks of K entries).",
  ],
  [
    "lInfBound",
    "Largest absolute fixed-point value of one entry: 2×lInfBound must fit the circuit's value bits.",
  ],
  ["l2Bound", "Largest L2 norm of a whole update (fixed point): the proof refuses a larger one."],
  ["scale", "Fixed-point scale: a value v travels as round(v × scale)."],
  [
    "aggregationRule / ruleParameter",
    "How updates combine (mean, median, trimmed, clipped, screened) and its setting.",
  ],
  ["minParticipants / maxCommits", "Fewest commits for a round to be aggregated, and the most it accepts."],
  ["attestationQuorum", "Auditors whose matching replay finalizes a round."],
  ["sensitivity", "Mismatching attestations that put a round in dispute."],
  ["expiry", "Chain time after which the policy accepts no new round."],
  [
    "maxRoundDuration / publishWindow / attestationWindow",
    "Seconds for commits, for publishing, for attesting.",
  ],
  [
    "verifyingKeyHash",
    "The registered Groth16 key every proof is checked against: it fixes the circuit's bounds.",
  ],
  ["readerKey / readers", "The reader group updates are sealed to (aggregators and auditors)."],
];
