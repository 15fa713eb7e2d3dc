import { Command, InvalidArgumentError, Option } from "commander";
import { readFile } from "node:fs/promises";
import { getAddress, keccak256, toUtf8Bytes, ZeroHash } from "ethers";
import { z } from "zod";
import { RULE_IDS } from "../../aggregation/types.js";
import { attachContracts } from "../../chain/index.js";
import {
  connectProvider,
  loadSigner,
  openContentStore,
  requireFields,
  type CflConfig,
} from "../../config/index.js";
import {
  encodeProposal,
  EntityKind,
  Operation,
  ProposalKind,
  Role,
  validatePolicy,
  type ProposalAction,
  type ProposalKindName,
  type TaskPolicy,
} from "../../governance/index.js";
import { findInstance } from "../../zk/setup/instances.js";
import { createLogger } from "../log.js";
import { configFrom, withConfigOption, type ConfigOption } from "./roles-shared.js";

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

const policy = z.strictObject({
  modelId: bytes32,
  initialModelHash: bytes32,
  initialModelCid: z.string().min(1),
  dimension: small,
  maxNonZeros: small,
  lInfBound: big,
  l2Bound: big,
  scale: small,
  aggregationRule: z.union([
    z.enum(Object.keys(RULE_IDS) as [keyof typeof RULE_IDS]).transform((r) => RULE_IDS[r] as number),
    z.number().int().min(0).max(4),
  ]),
  ruleParameter: big,
  minParticipants: small,
  attestationQuorum: small,
  sensitivity: small,
  allowedOperations: small.default(Operation.All),
  expiry: big,
  verifier: address,
  verifyingKeyHash: bytes32,
  readers: z.array(address).min(1),
});

const payloadSchemas = {
  AdmitMember: admitMember,
  SuspendMember: z.strictObject({ account: address }),
  ReinstateMember: z.strictObject({ account: address }),
  RemoveMember: z.strictObject({ account: address }),
  AddGovernor: z.strictObject({ governor: address }),
  RemoveGovernor: z.strictObject({ governor: address }),
  SetQuorum: z.strictObject({ quorum: small }),
  CreateTask: z.strictObject({ policy }),
  UpdateTask: z.strictObject({ taskId: big, policy }),
  GrantTaskAccess: z.strictObject({ taskId: big, account: address }),
  RevokeTaskAccess: z.strictObject({ taskId: big, account: address }),
} satisfies Record<ProposalKindName, z.ZodType>;

const KIND_NAMES = Object.keys(ProposalKind) as ProposalKindName[];

/**
 * Turns a proposal kind and its JSON payload into a governance action, refusing it with the field's
 * name when it is malformed (bigints may be given as decimal strings, roles and entity kinds by name).
 */
export function parseProposalPayload({ kind, json }: { kind: string; json: unknown }): ProposalAction {
  if (!(KIND_NAMES as string[]).includes(kind)) {
    throw new ProposalPayloadError(
      `unknown proposal kind "${kind}": expected one of ${KIND_NAMES.join(", ")}`,
    );
  }
  const name = kind as ProposalKindName;
  const parsed = payloadSchemas[name].safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (i) => `${i.path.map(String).join(".") || "(payload)"}: ${i.message}`,
    );
    throw new ProposalPayloadError(`${kind} payload: ${problems.join("; ")}`);
  }
  const data = parsed.data as Record<string, unknown>;
  if (name === "AdmitMember") {
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
  return { kind: name, ...data } as ProposalAction;
}

const jsonReplacer = (_: string, v: unknown): unknown => (typeof v === "bigint" ? v.toString() : v);

async function governor(config: CflConfig) {
  const checked = requireFields({ config, fields: ["addresses"], command: "cfl governance" });
  const provider = await connectProvider({ config });
  try {
    const signer = await loadSigner({ config, provider });
    const { consortium } = attachContracts({ addresses: checked.addresses, runner: signer });
    return { provider, signer, consortium };
  } catch (error) {
    provider.destroy();
    throw error;
  }
}

const proposalId = (value: string): bigint => {
  if (!/^[1-9]\d*$/.test(value)) throw new InvalidArgumentError("must be a proposal id (a positive integer)");
  return BigInt(value);
};

/** Circuit limits a policy must fit, from the configured circuit instance. */
async function circuitLimits(instance: string) {
  const { parameters } = await findInstance({ instance });
  return { maxEntries: parameters.K, idxBits: parameters.IDX_BITS, valBits: parameters.VAL_BITS };
}

export function registerGovernanceCommands(program: Command): void {
  const governance = program
    .command("governance")
    .description("propose, approve and execute consortium changes (M-of-N governors); list proposals");

  withConfigOption(
    governance
      .command("propose")
      .description(`propose a change; <kind> is one of ${KIND_NAMES.join(", ")}; prints the proposal id`)
      .argument("<kind>", "proposal kind"),
  )
    .option("--json <file>", "the payload as a JSON file (fields of the kind, see docs/operations.md)")
    .option("--voting-seconds <s>", "how long approvals are accepted", "259200")
    .action(async (kind: string, opts: ConfigOption & { json?: string; votingSeconds: string }) => {
      const config = configFrom(opts);
      let json: unknown = {};
      if (opts.json) {
        try {
          json = JSON.parse(await readFile(opts.json, "utf8"));
        } catch (error) {
          throw new ProposalPayloadError(`--json ${opts.json}: ${(error as Error).message}`);
        }
      }
      const action = parseProposalPayload({ kind, json });
      if (action.kind === "CreateTask" || action.kind === "UpdateTask") {
        validatePolicy({ policy: action.policy, circuit: await circuitLimits(config.circuit) });
      }
      if (!/^[1-9]\d*$/.test(opts.votingSeconds))
        throw new Error("--voting-seconds must be a positive integer");
      const { kind: kindId, payload } = encodeProposal(action);
      const { provider, consortium } = await governor(config);
      try {
        const receipt = await (await consortium.propose(kindId, payload, BigInt(opts.votingSeconds))).wait();
        const created = receipt?.logs
          .map((l) => {
            try {
              return consortium.interface.parseLog(l);
            } catch {
              return null;
            }
          })
          .find((e) => e?.name === "ProposalCreated");
        const id = created ? (created.args[0] as bigint) : await consortium.proposalCount();
        process.stdout.write(
          JSON.stringify({ proposalId: id.toString(), kind, txHash: receipt?.hash }) + "\n",
        );
      } finally {
        provider.destroy();
      }
    });

  for (const [verb, description] of [
    ["approve", "approve a proposal as this governor"],
    ["execute", "execute a proposal that reached the quorum"],
  ] as const) {
    withConfigOption(
      governance.command(verb).description(description).argument("<id>", "proposal id", proposalId),
    ).action(async (id: bigint, opts: ConfigOption) => {
      const { provider, consortium } = await governor(configFrom(opts));
      try {
        const tx = verb === "approve" ? await consortium.approve(id) : await consortium.execute(id);
        const receipt = await tx.wait();
        const approvals = await consortium.approvalCount(id);
        const quorum = await consortium.quorum();
        process.stdout.write(
          JSON.stringify({
            proposalId: id.toString(),
            [verb === "approve" ? "approved" : "executed"]: true,
            approvals: approvals.toString(),
            quorum: quorum.toString(),
            txHash: receipt?.hash,
          }) + "\n",
        );
      } finally {
        provider.destroy();
      }
    });
  }

  withConfigOption(
    governance.command("list").description("list proposals and their state, from the chain's events"),
  )
    .option("--json", "print JSON instead of a table", false)
    .action(async (opts: ConfigOption & { json: boolean }) => {
      const config = configFrom(opts);
      const checked = requireFields({ config, fields: ["addresses"], command: "cfl governance list" });
      const provider = await connectProvider({ config });
      try {
        const { consortium } = attachContracts({ addresses: checked.addresses, runner: provider });
        const [created, approved, executed, expired] = await Promise.all([
          consortium.queryFilter(consortium.filters.ProposalCreated()),
          consortium.queryFilter(consortium.filters.ProposalApproved()),
          consortium.queryFilter(consortium.filters.ProposalExecuted()),
          consortium.queryFilter(consortium.filters.ProposalExpiredMarked()),
        ]);
        const now = BigInt((await provider.getBlock("latest"))?.timestamp ?? 0);
        const rows = created.map((e) => {
          const id = e.args.proposalId;
          const approvers = approved.filter((a) => a.args.proposalId === id).map((a) => a.args.governor);
          const done = executed.some((x) => x.args.proposalId === id);
          const markedExpired = expired.some((x) => x.args.proposalId === id);
          const state = done ? "executed" : markedExpired || e.args.expiry < now ? "expired" : "pending";
          return {
            id: id.toString(),
            kind: KIND_NAMES[Number(e.args.kind)] ?? String(e.args.kind),
            proposer: e.args.proposer,
            approvals: approvers.length,
            approvers,
            state,
            expiry: e.args.expiry.toString(),
          };
        });
        if (opts.json) {
          process.stdout.write(JSON.stringify({ proposals: rows }) + "\n");
        } else {
          const lines = rows.map(
            (r) =>
              `${r.id.padEnd(4)} ${r.kind.padEnd(16)} ${r.state.padEnd(9)} approvals=${r.approvals}  proposer=${r.proposer}`,
          );
          process.stdout.write(["id   kind             state     approvals", ...lines].join("\n") + "\n");
        }
      } finally {
        provider.destroy();
      }
    });

  withConfigOption(
    governance
      .command("draft-task")
      .description(
        "create a task's initial model, store and pin it on the configured IPFS node, and print a CreateTask payload " +
          "(for `propose CreateTask --json`) sized to the configured circuit",
      ),
  )
    .addOption(
      new Option("--dataset <name>", "the task's data set").choices(["ai4i", "supplychain"]).default("ai4i"),
    )
    .requiredOption("--verifier <address>", "the deployed verifier of the configured circuit instance")
    .requiredOption(
      "--readers <addresses>",
      "comma-separated readers: the aggregator first, then the auditors",
    )
    .option("--min-participants <n>", "commits that let the aggregator close a round early", "3")
    .option("--attestation-quorum <n>", "matching attestations that finalize a round", "2")
    .addOption(
      new Option("--rule <rule>", "aggregation rule")
        .choices(["mean", "trimmed-mean", "median", "clipped-mean"])
        .default("mean"),
    )
    .option("--seed <s>", "seed of the initial model", "7")
    .option("--expiry-days <n>", "policy lifetime", "30")
    .option("--task-id <id>", "the id the task will get (default: the chain's task count + 1)")
    .action(
      async (
        opts: ConfigOption & {
          dataset: "ai4i" | "supplychain";
          verifier: string;
          readers: string;
          minParticipants: string;
          attestationQuorum: string;
          rule: "mean" | "trimmed-mean" | "median" | "clipped-mean";
          seed: string;
          expiryDays: string;
          taskId?: string;
        },
      ) => {
        const config = configFrom(opts);
        const log = createLogger();
        const { AI4I_MODEL_SPEC, initialParams, SUPPLYCHAIN_QUALITY_SPEC } =
          await import("../../learning/index.js");
        const { encodeGlobalModel, globalModelHash, initialGlobalModel } =
          await import("../../model/index.js");
        const { loadCircuitArtifacts } = await import("../../zk/index.js");
        const scale = 4096;
        const spec = opts.dataset === "ai4i" ? AI4I_MODEL_SPEC : SUPPLYCHAIN_QUALITY_SPEC;
        let taskNumber: number;
        if (opts.taskId) {
          taskNumber = Number(opts.taskId);
        } else {
          const checked = requireFields({
            config,
            fields: ["addresses"],
            command: "cfl governance draft-task",
          });
          const provider = await connectProvider({ config });
          try {
            const { consortium } = attachContracts({ addresses: checked.addresses, runner: provider });
            taskNumber = Number(await consortium.taskCount()) + 1;
          } finally {
            provider.destroy();
          }
        }
        const artifacts = await loadCircuitArtifacts({ instance: config.circuit });
        const params = initialParams({ spec, seed: Number(opts.seed) });
        const model = encodeGlobalModel(
          initialGlobalModel({ task: taskNumber, dimension: params.length, scale, params }),
        );
        const store = await openContentStore({ config });
        let cid: string;
        try {
          cid = await store.put(model);
          await store.pin(cid);
        } finally {
          await store.stop();
        }
        log("initial-model", { cid, bytes: model.length, dimension: params.length });
        const l2Bound = 4n * BigInt(scale);
        const draft: TaskPolicy = {
          modelId: keccak256(toUtf8Bytes(spec.id)),
          initialModelHash: globalModelHash(model),
          initialModelCid: cid,
          dimension: params.length,
          maxNonZeros: Math.min(artifacts.params.K, params.length),
          lInfBound: BigInt(2 ** (artifacts.params.VAL_BITS - 1) - 1),
          l2Bound,
          scale,
          aggregationRule: RULE_IDS[opts.rule],
          ruleParameter: opts.rule === "trimmed-mean" ? 1n : opts.rule === "clipped-mean" ? l2Bound / 2n : 0n,
          minParticipants: Number(opts.minParticipants),
          attestationQuorum: Number(opts.attestationQuorum),
          sensitivity: 2,
          allowedOperations: Operation.All,
          expiry: BigInt(Math.floor(Date.now() / 1000) + Number(opts.expiryDays) * 86400),
          verifier: getAddress(opts.verifier),
          verifyingKeyHash: artifacts.vkeyHash,
          readers: opts.readers.split(",").map((r) => getAddress(r.trim())),
        };
        validatePolicy({ policy: draft, circuit: await circuitLimits(config.circuit) });
        process.stdout.write(JSON.stringify({ policy: draft }, jsonReplacer, 2) + "\n");
      },
    );
}
