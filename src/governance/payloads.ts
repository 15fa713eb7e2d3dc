/**
 * The JSON payloads of a proposal: one zod schema per proposal kind, so that a malformed payload is refused
 * with the field's name before anyone pays gas. `cfl governance propose <kind> --json file` and the web
 * console's forms both parse through `parseProposalPayload`: one validation path.
 */
import { getAddress, ZeroHash } from "ethers";
import { z } from "zod";
import { MAX_RULE_ID, RULE_IDS } from "../aggregation/index.js";
import {
  EntityKind,
  Operation,
  ProposalKind,
  Role,
  type ProposalAction,
  type ProposalKindName,
} from "./types.js";

export class ProposalPayloadError extends Error {
  readonly code = "invalid-payload";
  constructor(message: string) {
    super(message);
    this.name = "ProposalPayloadError";
  }
}

const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, "must be a 0x-prefixed 20-byte address");
const bytes32 = z
  .string()
  .regex(/^(0x)?[0-9a-fA-F]{64}$/, "must be 32 bytes hex")
  .transform((v) => (v.startsWith("0x") ? v : `0x${v}`));
const uint = z.union([z.number().int().min(0), z.string().regex(/^\d+$/, "must be a non-negative integer")]);
const big = uint.transform((v) => BigInt(v));
const small = uint.transform((v) => Number(v));
const roleNames = { member: Role.Member, aggregator: Role.Aggregator, auditor: Role.Auditor } as const;
const kindNames = Object.keys(EntityKind) as [keyof typeof EntityKind, ...(keyof typeof EntityKind)[]];

const admitMember = z.strictObject({
  account: address,
  roles: z.union([
    z.number().int().min(1).max(7),
    z
      .array(z.enum(["member", "aggregator", "auditor"]))
      .min(1)
      .transform((names) => names.reduce((m, n) => m | roleNames[n], 0)),
  ]),
  kind: z.union([z.enum(kindNames).transform((k) => EntityKind[k]), z.number().int().min(0).max(3)]),
  encryptionKey: bytes32,
  metadataHash: bytes32.optional(),
});

/** IConsortium.TaskPolicy as JSON (bigints as decimal strings, the rule by name or id). */
export const policySchema = z.strictObject({
  modelId: bytes32,
  initialModelHash: bytes32,
  initialModelCid: z.string().min(1),
  dimension: small,
  maxNonZeros: small,
  lInfBound: big,
  l2Bound: big,
  scale: small,
  aggregationRule: z.union([
    z.enum(Object.keys(RULE_IDS) as [keyof typeof RULE_IDS]).transform((r) => RULE_IDS[r]),
    z.number().int().min(0).max(MAX_RULE_ID),
  ]),
  ruleParameter: big,
  minParticipants: small,
  maxCommits: small,
  attestationQuorum: small,
  sensitivity: small,
  allowedOperations: small.default(Operation.All),
  expiry: big,
  maxRoundDuration: small,
  publishWindow: small,
  attestationWindow: small,
  verifyingKeyHash: bytes32,
  readerKey: bytes32,
  readers: z.array(address).min(1),
});

const shapeSchema = z.strictObject({
  maxEntries: z
    .number()
    .int()
    .min(1)
    .max(2 ** 32 - 1),
  indexBits: z.number().int().min(1).max(255),
  valueBits: z.number().int().min(2).max(255),
});

const payloadSchemas = {
  AdmitMember: admitMember,
  SuspendMember: z.strictObject({ account: address }),
  ReinstateMember: z.strictObject({ account: address }),
  RemoveMember: z.strictObject({ account: address }),
  AddGovernor: z.strictObject({ governor: address }),
  RemoveGovernor: z.strictObject({ governor: address }),
  SetQuorum: z.strictObject({ quorum: small }),
  CreateTask: z.strictObject({ policy: policySchema }),
  UpdateTask: z.strictObject({ taskId: big, policy: policySchema }),
  GrantTaskAccess: z.strictObject({ taskId: big, account: address }),
  RevokeTaskAccess: z.strictObject({ taskId: big, account: address }),
  RegisterVerifyingKey: z.strictObject({
    words: z.array(big).min(1),
    shape: shapeSchema,
    developmentOnly: z.boolean(),
  }),
  ResolveDispute: z.strictObject({
    taskId: big,
    round: big,
    upholdModel: z.boolean(),
    suspend: z.array(address),
  }),
} satisfies Record<ProposalKindName, z.ZodType>;

export const KIND_NAMES = Object.keys(ProposalKind) as ProposalKindName[];

/**
 * Turns a proposal kind and its JSON payload into a governance action, refusing it with the field's
 * name when it is malformed (bigints may be given as decimal strings, roles and entity kinds by name).
 */
export function parseProposalPayload({ kind, json }: { kind: string; json: unknown }): ProposalAction {
  if (!(KIND_NAMES as string[]).includes(kind)) {
    throw new ProposalPayloadError(
      `unknown proposal kind "${kind}": expected one of ${KIND_NAMES.join(", ")}, register-key, resolve-dispute`,
    );
  }
  const name = kind as ProposalKindName;
  const schema: z.ZodType = payloadSchemas[name];
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (i) => `${i.path.map(String).join(".") || "(payload)"}: ${i.message}`,
    );
    throw new ProposalPayloadError(`${kind} payload: ${problems.join("; ")}`);
  }
  const data = parsed.data as Record<string, unknown>;
  switch (name) {
    case "AdmitMember": {
      const p = data as z.output<typeof admitMember>;
      return {
        kind: name,
        account: getAddress(p.account),
        profile: {
          roles: p.roles,
          kind: p.kind,
          encryptionKey: p.encryptionKey,
          metadataHash: p.metadataHash ?? ZeroHash,
        },
      };
    }
    case "ResolveDispute": {
      const p = data as z.output<(typeof payloadSchemas)["ResolveDispute"]>;
      return { kind: name, ...p, suspend: p.suspend.map((a) => getAddress(a)) };
    }
    default:
      return { kind: name, ...data } as ProposalAction;
  }
}

/** JSON with bigints as decimal strings (how payloads and drafts are written). */
export const jsonReplacer = (_: string, v: unknown): unknown => (typeof v === "bigint" ? v.toString() : v);
