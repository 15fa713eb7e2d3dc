import { Command, InvalidArgumentError, Option } from "commander";
import { readFile } from "node:fs/promises";
import { AbiCoder, getAddress, isAddress, ZeroHash } from "ethers";
import { DRAFTABLE_RULE_KINDS, type AggregationRuleKind } from "../../aggregation/index.js";
import type { FamilyPolicy } from "../../learning/index.js";
import { attachContracts, type ConsortiumContracts } from "../../chain/index.js";
import {
  connectProvider,
  loadReaderGroup,
  loadSigner,
  openContentStore,
  requireFields,
  writeReaderGroup,
  type CflConfig,
} from "../../config/index.js";
import {
  encodeProposal,
  MemberStatus,
  ProposalKind,
  defaultSupportMembers,
  draftTaskPolicy,
  DRAFT_DEFAULTS,
  jsonReplacer,
  KIND_NAMES,
  parseProposalPayload,
  ProposalPayloadError,
  readProposals,
  describeProposalPayload,
  checkPolicyOnChain,
  registeredKey,
  type CircuitShape,
  type ProposalAction,
} from "../../governance/index.js";
import { createReaderGroup, inspectEnvelope, type ReaderGroupBundle } from "../../seal/index.js";
import { VerifyingKeyRegistry__factory } from "../../../types/ethers-contracts/index.js";
import { createLogger, writeLogLine } from "../log.js";
import { planDisputeResolution, renderDisputePlan } from "./governance-disputes.js";
import { readSchemaFile } from "../../data/index.js";
import { configFrom, withConfigOption, type ConfigOption } from "./roles-shared.js";

export { parseProposalPayload, ProposalPayloadError } from "../../governance/index.js";

/** The consortium and rounds contracts bound to this governor's key. */
async function governor(config: CflConfig, command = "cfl governance") {
  const checked = requireFields({ config, fields: ["addresses"], command });
  const provider = await connectProvider({ config });
  try {
    const signer = await loadSigner({ config, provider });
    const contracts = attachContracts({ addresses: checked.addresses, runner: signer });
    return { provider, signer, ...contracts };
  } catch (error) {
    provider.destroy();
    throw error;
  }
}

/** Proposes an action and returns the new proposal's id. */
async function submitProposal({
  consortium,
  action,
  votingSeconds,
}: {
  consortium: ConsortiumContracts["consortium"];
  action: ProposalAction;
  votingSeconds: bigint;
}): Promise<{ proposalId: bigint; txHash?: string }> {
  const { kind, payload } = encodeProposal(action);
  const receipt = await (await consortium.propose(kind, payload, votingSeconds)).wait();
  const created = receipt?.logs
    .map((l) => {
      try {
        return consortium.interface.parseLog(l);
      } catch {
        return null;
      }
    })
    .find((e) => e?.name === "ProposalCreated");
  const proposalId = created ? (created.args[0] as bigint) : await consortium.proposalCount();
  return { proposalId, ...(receipt?.hash ? { txHash: receipt.hash } : {}) };
}

const positiveBig = (name: string) => (value: string) => {
  if (!/^[1-9]\d*$/.test(value)) throw new InvalidArgumentError(`${name} must be a positive integer`);
  return BigInt(value);
};

const proposalId = (value: string): bigint => {
  if (!/^[1-9]\d*$/.test(value)) throw new InvalidArgumentError("must be a proposal id (a positive integer)");
  return BigInt(value);
};

const wholeNumber = (name: string, min: number, max: number) => (value: string) => {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max)
    throw new InvalidArgumentError(`${name} must be an integer from ${min} to ${max}`);
  return n;
};

const bytes32Option = (name: string) => (value: string) => {
  if (!/^0x[0-9a-fA-F]{64}$/.test(value))
    throw new InvalidArgumentError(`${name} must be 0x-prefixed 32 bytes hex`);
  return value.toLowerCase();
};

const addressList = (value: string): string[] => {
  const list = value
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (list.length === 0) throw new InvalidArgumentError("needs at least one address");
  const bad = list.find((a) => !isAddress(a));
  if (bad !== undefined) throw new InvalidArgumentError(`${String(bad)} is not an address`);
  return list.map((a) => getAddress(a));
};

const shapeOption = (value: string): { maxEntries: number; indexBits: number; valueBits: number } => {
  const match = /^(\d+),(\d+),(\d+)$/.exec(value.replace(/\s/g, ""));
  if (!match) throw new InvalidArgumentError("must be K,IDX_BITS,VAL_BITS (e.g. 128,16,24)");
  const [k, idx, val] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (k < 1 || idx < 1 || val < 2) throw new InvalidArgumentError("K and IDX_BITS must be ≥ 1, VAL_BITS ≥ 2");
  return { maxEntries: k, indexBits: idx, valueBits: val };
};

/** The development keys committed in circuits/keys, by hash (a production key must be none of them). */
async function committedDevelopmentKeyHashes(): Promise<Map<string, string>> {
  const { readInstanceRegistry } = await import("../../zk/setup/instances.js");
  const { committedDevelopmentKey } = await import("../../zk/index.js");
  const hashes = new Map<string, string>();
  for (const instance of await readInstanceRegistry()) {
    try {
      const key = await committedDevelopmentKey({ instance: instance.name });
      hashes.set(key.keyHash.toLowerCase(), instance.name);
    } catch {
      // An instance whose development key is not committed (yet) cannot be passed off either.
    }
  }
  return hashes;
}

interface ProposeOptions extends ConfigOption {
  json?: string;
  votingSeconds: string;
  instance?: string;
  vkey?: string;
  shape?: { maxEntries: number; indexBits: number; valueBits: number };
  development: boolean;
  task?: bigint;
  round?: bigint;
  uphold: boolean;
  confirm: boolean;
  dryRun: boolean;
  quiet: boolean;
}

const KIND_ALIASES: Record<string, "RegisterVerifyingKey" | "ResolveDispute"> = {
  "register-key": "RegisterVerifyingKey",
  "resolve-dispute": "ResolveDispute",
};

/** Refuses options that do not belong to the proposal kind, so that a typo never goes unnoticed. */
function checkOptionsFit(kind: string, opts: ProposeOptions): void {
  const keyOptions = ["instance", "vkey", "shape", "development"] as const;
  const disputeOptions = ["task", "round", "uphold", "confirm"] as const;
  const given = (names: readonly (keyof ProposeOptions)[]) =>
    names.filter((n) => opts[n] !== undefined && opts[n] !== false);
  const misplaced =
    kind === "RegisterVerifyingKey"
      ? given(disputeOptions)
      : kind === "ResolveDispute"
        ? given(keyOptions)
        : given([...keyOptions, ...disputeOptions]);
  if (misplaced.length > 0)
    throw new Error(
      `--${misplaced.map((m) => m.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)).join(", --")} does not apply to ${kind}`,
    );
  if (opts.json && given(kind === "RegisterVerifyingKey" ? keyOptions : disputeOptions).length > 0)
    throw new Error(
      `${kind}: give either --json or the ${kind === "RegisterVerifyingKey" ? "key" : "dispute"} options, not both`,
    );
}

/** The RegisterVerifyingKey action for `propose register-key`: a committed development key or a key file. */
async function registerKeyAction(opts: ProposeOptions): Promise<{
  action: Extract<ProposalAction, { kind: "RegisterVerifyingKey" }>;
  keyHash: string;
  source: string;
}> {
  const { committedDevelopmentKey, registrableKey } = await import("../../zk/index.js");
  if ((opts.instance === undefined) === (opts.vkey === undefined))
    throw new Error(
      "register-key needs exactly one of --instance <name> (its committed development key) or --vkey <file> --shape K,IDX,VAL",
    );
  if (opts.instance !== undefined) {
    if (opts.shape) throw new Error("--shape comes with --vkey; an instance's key carries its own shape");
    const key = await committedDevelopmentKey({ instance: opts.instance });
    if (!key.developmentOnly)
      throw new Error(`the committed key of instance "${opts.instance}" is not marked development-only`);
    return {
      action: { kind: "RegisterVerifyingKey", words: key.words, shape: key.shape, developmentOnly: true },
      keyHash: key.keyHash,
      source: `circuits/keys/${opts.instance}.vk.json (development)`,
    };
  }
  const vkeyFile = opts.vkey ?? "";
  if (!opts.shape)
    throw new Error("--vkey needs --shape K,IDX_BITS,VAL_BITS: the circuit the key belongs to");
  let vkey: Record<string, unknown>;
  try {
    vkey = JSON.parse(await readFile(vkeyFile, "utf8")) as Record<string, unknown>;
  } catch (error) {
    throw new Error(`--vkey ${vkeyFile}: ${(error as Error).message.split("\n")[0]}`, { cause: error });
  }
  const key = registrableKey({ vkey, shape: opts.shape, developmentOnly: opts.development });
  const development = (await committedDevelopmentKeyHashes()).get(key.keyHash.toLowerCase());
  if (development !== undefined && !opts.development) {
    throw new Error(
      `--vkey ${vkeyFile} is the committed development key of instance "${development}" (${key.keyHash}), whose setup secrets are public: register it only with --development`,
    );
  }
  return {
    action: {
      kind: "RegisterVerifyingKey",
      words: key.words,
      shape: key.shape,
      developmentOnly: key.developmentOnly,
    },
    keyHash: key.keyHash,
    source: vkeyFile,
  };
}

interface BuiltAction {
  action: ProposalAction;
  /** What the proposal's output shows besides its id (key hash, evidence, ...). */
  extra: Record<string, unknown>;
}

/**
 * The action of every proposal that needs no chain reads to build: a --json payload, or register-key from
 * its options. Undefined for resolve-dispute from options (its suspend list comes from the chain).
 */
async function offlineAction(kind: string, opts: ProposeOptions): Promise<BuiltAction | undefined> {
  if (opts.json === undefined && kind === "ResolveDispute") return undefined;
  if (opts.json === undefined && kind === "RegisterVerifyingKey") {
    const key = await registerKeyAction(opts);
    return {
      action: key.action,
      extra: {
        keyHash: key.keyHash,
        shape: key.action.shape,
        developmentOnly: key.action.developmentOnly,
        source: key.source,
      },
    };
  }
  let json: unknown = {};
  if (opts.json) {
    try {
      json = JSON.parse(await readFile(opts.json, "utf8"));
    } catch (error) {
      throw new ProposalPayloadError(`--json ${opts.json}: ${(error as Error).message.split("\n")[0]}`);
    }
  }
  return { action: parseProposalPayload({ kind, json }), extra: {} };
}

/** `propose resolve-dispute`: reads the round's evidence, shows it and computes whom to suspend. */
async function resolveDisputeAction({
  opts,
  taskId,
  contracts,
}: {
  opts: ProposeOptions;
  taskId: bigint | undefined;
  contracts: ConsortiumContracts;
}): Promise<BuiltAction> {
  if (opts.uphold === opts.confirm)
    throw new Error("resolve-dispute needs exactly one of --uphold or --confirm");
  if (opts.round === undefined) throw new Error("resolve-dispute needs --round <n>");
  if (taskId === undefined) throw new Error("resolve-dispute needs --task <id> (or taskId in the config)");
  const plan = await planDisputeResolution({
    contracts,
    taskId,
    round: opts.round,
    upholdModel: opts.uphold,
  });
  if (!opts.quiet) for (const line of renderDisputePlan(plan)) writeLogLine(line);
  return {
    action: {
      kind: "ResolveDispute",
      taskId,
      round: opts.round,
      upholdModel: plan.upholdModel,
      suspend: plan.suspend,
    },
    extra: {
      taskId,
      round: opts.round,
      upholdModel: plan.upholdModel,
      suspend: plan.suspend,
      notActive: plan.notActive,
      warnings: plan.warnings,
      evidence: plan.evidence,
    },
  };
}

export function registerGovernanceCommands(program: Command): void {
  const governance = program
    .command("governance")
    .description(
      "propose, approve and execute consortium changes (M-of-N governors); list proposals; reader groups; task drafts",
    );

  withConfigOption(
    governance
      .command("propose")
      .description(
        `propose a change and print the proposal id. <kind> is one of ${KIND_NAMES.join(", ")} with --json <payload file>, ` +
          "or register-key (--instance NAME | --vkey FILE --shape K,IDX,VAL [--development]), " +
          "or resolve-dispute (--round R [--task T] --uphold|--confirm: the suspend list comes from the chain)",
      )
      .argument("<kind>", "proposal kind, register-key or resolve-dispute"),
  )
    .option("--json <file>", "the payload as a JSON file (fields of the kind, see docs/operations.md)")
    .option("--voting-seconds <s>", "how long approvals are accepted", "259200")
    .option("--instance <name>", "register-key: the committed development key of this circuit instance")
    .option("--vkey <file>", "register-key: a snarkjs verifying key (for example a ceremony's final key)")
    .option("--shape <K,IDX,VAL>", "register-key with --vkey: the key's circuit shape", shapeOption)
    .option(
      "--development",
      "register-key: the key is development-only (its setup secrets are public); required to register a committed development key from --vkey",
      false,
    )
    .option(
      "--task <id>",
      "resolve-dispute: the task (default: taskId from the config)",
      positiveBig("--task"),
    )
    .option("--round <n>", "resolve-dispute: the disputed round", positiveBig("--round"))
    .option(
      "--uphold",
      "resolve-dispute: the published model was right; suspend the auditors that attested a mismatch",
      false,
    )
    .option(
      "--confirm",
      "resolve-dispute: the dispute was right; suspend the aggregator and the auditors that attested a match",
      false,
    )
    .option("--dry-run", "show what would be proposed (and the evidence) without proposing", false)
    .option("--quiet", "no progress output", false)
    .action(async (kindArg: string, opts: ProposeOptions) => {
      const config = configFrom(opts);
      const log = createLogger({ quiet: opts.quiet });
      const kind = KIND_ALIASES[kindArg] ?? kindArg;
      if (!(KIND_NAMES as string[]).includes(kind)) {
        throw new ProposalPayloadError(
          `unknown proposal kind "${kindArg}": expected one of ${KIND_NAMES.join(", ")}, register-key, resolve-dispute`,
        );
      }
      checkOptionsFit(kind, opts);
      if (!/^[1-9]\d*$/.test(opts.votingSeconds))
        throw new Error("--voting-seconds must be a positive integer");
      const votingSeconds = BigInt(opts.votingSeconds);
      // Payloads and key files are checked before anything touches the chain.
      const offline = await offlineAction(kind, opts);
      const gov = await governor(config, "cfl governance propose");
      try {
        const { action, extra } =
          offline ??
          (await resolveDisputeAction({ opts, taskId: opts.task ?? config.taskId, contracts: gov }));
        if (action.kind === "CreateTask" || action.kind === "UpdateTask") {
          await checkPolicyOnChain({ contracts: gov, policy: action.policy });
        }
        if (action.kind === "RegisterVerifyingKey") {
          const { words } = action;
          const keyHash = (await import("../../zk/index.js")).verifyingKeyHash(words);
          const registry = VerifyingKeyRegistry__factory.connect(
            await gov.consortium.verifyingKeys(),
            gov.provider,
          );
          if (await registry.isRegistered(keyHash))
            throw new Error(`verifying key ${keyHash} is registered already`);
          if (action.developmentOnly && !(await gov.consortium.development()))
            log("warning", {
              message: "a development-only key on a production consortium: no task policy may pin it",
            });
        }
        if (opts.dryRun) {
          process.stdout.write(
            JSON.stringify({ dryRun: true, kind: action.kind, ...extra }, jsonReplacer) + "\n",
          );
          return;
        }
        const { proposalId: id, txHash } = await submitProposal({
          consortium: gov.consortium,
          action,
          votingSeconds,
        });
        process.stdout.write(
          JSON.stringify({ proposalId: id.toString(), kind: action.kind, ...extra, txHash }, jsonReplacer) +
            "\n",
        );
      } finally {
        gov.provider.destroy();
      }
    });

  withConfigOption(
    governance
      .command("approve")
      .description("approve a proposal as this governor")
      .argument("<id>", "proposal id", proposalId),
  ).action(async (id: bigint, opts: ConfigOption) => {
    const { provider, consortium } = await governor(configFrom(opts));
    try {
      const receipt = await (await consortium.approve(id)).wait();
      process.stdout.write(
        JSON.stringify({
          proposalId: id.toString(),
          approved: true,
          approvals: (await consortium.approvalCount(id)).toString(),
          quorum: (await consortium.quorum()).toString(),
          txHash: receipt?.hash,
        }) + "\n",
      );
    } finally {
      provider.destroy();
    }
  });

  withConfigOption(
    governance
      .command("execute")
      .description(
        "execute a proposal that reached the quorum; an executed ResolveDispute is also applied to its round " +
          "(FederatedRounds.resolveDispute)",
      )
      .argument("<id>", "proposal id", proposalId),
  ).action(async (id: bigint, opts: ConfigOption) => {
    const gov = await governor(configFrom(opts));
    try {
      const proposal = await gov.consortium.proposal(id);
      const receipt = await (await gov.consortium.execute(id)).wait();
      const result: Record<string, unknown> = {
        proposalId: id.toString(),
        executed: true,
        approvals: (await gov.consortium.approvalCount(id)).toString(),
        quorum: (await gov.consortium.quorum()).toString(),
        txHash: receipt?.hash,
      };
      if (Number(proposal.kind) === ProposalKind.ResolveDispute) {
        const [taskId, round] = AbiCoder.defaultAbiCoder().decode(
          ["uint256", "uint256", "bool", "address[]"],
          proposal.payload,
        ) as unknown as [bigint, bigint];
        result.applied = await applyResolution({ contracts: gov, taskId, round, proposal: id });
      }
      process.stdout.write(JSON.stringify(result, jsonReplacer) + "\n");
    } finally {
      gov.provider.destroy();
    }
  });

  withConfigOption(
    governance
      .command("apply-resolution")
      .description(
        "apply governance's executed resolution of a disputed round to the round (anyone may; `execute` does it already)",
      ),
  )
    .requiredOption("--round <n>", "the round", positiveBig("--round"))
    .option("--task <id>", "the task (default: taskId from the config)", positiveBig("--task"))
    .action(async (opts: ConfigOption & { round: bigint; task?: bigint }) => {
      const config = configFrom(opts);
      const taskId = opts.task ?? config.taskId;
      if (taskId === undefined)
        throw new Error("apply-resolution needs --task <id> (or taskId in the config)");
      const gov = await governor(config);
      try {
        const applied = await applyResolution({ contracts: gov, taskId, round: opts.round });
        process.stdout.write(JSON.stringify({ applied }, jsonReplacer) + "\n");
      } finally {
        gov.provider.destroy();
      }
    });

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
        const now = BigInt((await provider.getBlock("latest"))?.timestamp ?? 0);
        const rows = (await readProposals({ consortium, now })).map((p) => ({
          id: p.id.toString(),
          kind: p.kind,
          proposer: p.proposer,
          approvals: p.approvers.length,
          approvers: p.approvers,
          state: p.state,
          expiry: p.expiry.toString(),
          what: describeProposalPayload(p),
        }));
        if (opts.json) {
          process.stdout.write(JSON.stringify({ proposals: rows }) + "\n");
        } else {
          const lines = rows.map(
            (r) =>
              `${r.id.padEnd(4)} ${r.kind.padEnd(20)} ${r.state.padEnd(9)} approvals=${r.approvals}  proposer=${r.proposer}  ${r.what}`,
          );
          process.stdout.write(["id   kind                 state     approvals", ...lines].join("\n") + "\n");
        }
      } finally {
        provider.destroy();
      }
    });

  registerReaderGroupCommands(governance);
  registerDraftTaskCommand(governance);
}

/** Applies an executed dispute resolution to its round, unless it was applied already. */
async function applyResolution({
  contracts,
  taskId,
  round,
  proposal,
}: {
  contracts: ConsortiumContracts;
  taskId: bigint;
  round: bigint;
  proposal?: bigint;
}): Promise<{ taskId: bigint; round: bigint; status: string; txHash?: string }> {
  const { RoundStatus } = await import("../../chain/index.js");
  const { roundStatusName } = await import("../../roles/index.js");
  const before = Number((await contracts.rounds.getRound(taskId, round)).status);
  if (before === RoundStatus.Resolved) return { taskId, round, status: "resolved" };
  try {
    const receipt = await (await contracts.rounds.resolveDispute(taskId, round)).wait();
    const after = Number((await contracts.rounds.getRound(taskId, round)).status);
    return {
      taskId,
      round,
      status: roundStatusName(after),
      ...(receipt?.hash ? { txHash: receipt.hash } : {}),
    };
  } catch (error) {
    const { describeRevert } = await import("../../chain/index.js");
    const done = proposal === undefined ? "" : `proposal ${proposal} was executed, but `;
    throw new Error(
      `${done}applying the resolution to round ${round} of task ${taskId} failed: ${describeRevert(error)}`,
      { cause: error },
    );
  }
}

function registerReaderGroupCommands(governance: Command): void {
  const group = governance
    .command("reader-group")
    .description(
      "the task's reader group: one X25519 key every reader holds, pinned by the policy's readerKey",
    );
  withConfigOption(
    group
      .command("create")
      .description(
        "create a reader group for the given readers: a fresh key pair whose secret is sealed to each reader's " +
          "encryption key as admitted on chain; writes the bundle (give it to every reader as readerGroupFile) and " +
          "prints the public key to pin as the policy's readerKey. The caller's account is the dealer and sees the " +
          "secret for an instant: run it as one of the readers, or a governor the readers trust",
      ),
  )
    .requiredOption(
      "--readers <addresses>",
      "comma-separated readers: the aggregator(s) and the auditors",
      addressList,
    )
    .requiredOption("--out <file>", "where to write the bundle (never overwritten)")
    .action(async (opts: ConfigOption & { readers: string[]; out: string }) => {
      const config = configFrom(opts);
      if (new Set(opts.readers).size !== opts.readers.length)
        throw new Error("--readers lists an address twice");
      const gov = await governor(config, "cfl governance reader-group create");
      try {
        const readers = [];
        for (const reader of opts.readers) {
          const member = await gov.consortium.member(reader);
          if (Number(member.status) !== MemberStatus.Active)
            throw new Error(`reader ${reader} is not an active member of the consortium`);
          const key = member.profile.encryptionKey;
          if (key === ZeroHash) throw new Error(`reader ${reader} has no encryption key on chain`);
          readers.push({ id: reader, publicKey: Uint8Array.from(Buffer.from(key.slice(2), "hex")) });
        }
        const dealer = getAddress(await gov.signer.getAddress());
        const { bundle } = createReaderGroup({ readers, dealer });
        await writeReaderGroup({ path: opts.out, bundle });
        process.stdout.write(
          JSON.stringify(
            { readerKey: bundle.publicKey, readers: opts.readers, dealer, out: opts.out },
            null,
            2,
          ) + "\n",
        );
      } finally {
        gov.provider.destroy();
      }
    });
}

/** The readers a bundle's secret is sealed to (its envelope lists them). */
function bundleReaders(bundle: ReaderGroupBundle): string[] {
  return inspectEnvelope(Uint8Array.from(Buffer.from(bundle.sealedSecret, "base64"))).readerIds.map((id) =>
    getAddress(id),
  );
}

interface DraftOptions extends ConfigOption {
  dataset: "ai4i" | "supplychain";
  model?: string;
  schema?: string;
  weights?: string[];
  readers?: string[];
  readerGroup?: string;
  readerKey?: string;
  keyHash?: string;
  instance?: string;
  minParticipants: number;
  maxCommits: number;
  attestationQuorum: number;
  maxRoundDuration: number;
  publishWindow: number;
  attestationWindow: number;
  rule?: AggregationRuleKind;
  seed: string;
  expiryDays: number;
  supportMembers?: number;
  taskId?: bigint;
}

/**
 * `--support-members q` (the forest's backdoor veto, which `draftTaskPolicy` builds). A forest gets it by
 * default, `defaultSupportMembers` of the round's floor (minParticipants); `0` drafts the plain sum. Refused, naming the flag, without a forest.
 */
function supportMembersOf({
  family,
  supportMembers,
  minParticipants,
}: {
  family: FamilyPolicy | undefined;
  supportMembers: number | undefined;
  minParticipants: number;
}): { supportMembers?: number } {
  if (supportMembers === 1)
    throw new Error("--support-members must be 0 (no veto) or at least 2: one member always varies alone");
  if (!family) {
    if (supportMembers !== undefined && supportMembers !== 0)
      throw new Error(
        "--support-members vetoes splits of a histogram forest's counts: name a forest with --model",
      );
    return {};
  }
  if (supportMembers === 0) return {};
  return { supportMembers: supportMembers ?? defaultSupportMembers(minParticipants) };
}

/** The model and data a drafted task pins, its initial parameters, and the documents stored with it. */
async function draftTaskModel({ opts, maxParams }: { opts: DraftOptions; maxParams: number }) {
  const learning = await import("../../learning/index.js");
  const { canonicalJson } = await import("../../data/index.js");
  const schema = opts.schema !== undefined ? await readSchemaFile(opts.schema) : undefined;
  // Without --model or --schema: the data set's default, the MLP when --rule names one a forest cannot take.
  const modelFile =
    opts.model ??
    (schema
      ? undefined
      : learning.builtinTaskModelReference({
          dataset: opts.dataset,
          maxParams,
          neuralOnly: opts.rule !== undefined && opts.rule !== "sum",
        }));
  const model = await learning.resolveTaskModel({
    ...(modelFile !== undefined ? { modelFile } : {}),
    ...(schema ? { schema } : {}),
    dataset: opts.dataset,
    maxParams,
  });
  const initial = await learning.taskInitialParams({
    model,
    ...(opts.weights ? { files: opts.weights } : {}),
    seed: Number(opts.seed),
  });
  const documents: Record<string, string> =
    model.family === "neural"
      ? { "model.json": canonicalJson({ format: "layers-model", modelTopology: model.spec.topology }) }
      : { "forest.json": canonicalJson({ format: learning.FOREST_FILE_FORMAT, forest: model.forest }) };
  if (schema) documents["schema.json"] = canonicalJson(schema);
  const family = learning.familyPolicyOf(model);
  return {
    name: learning.modelName(model),
    ...(family ? { family } : {}),
    params: initial.params,
    topologyHash: model.topologyHash,
    dataHash: model.dataHash,
    modelId: model.modelId,
    weightsFrom: initial.from,
    documents,
  };
}

function registerDraftTaskCommand(governance: Command): void {
  withConfigOption(
    governance
      .command("draft-task")
      .description(
        "create a task's initial model, store and pin it on the configured IPFS node, and print a CreateTask payload " +
          "(for `propose CreateTask --json`) sized to the verifying key's circuit, read from the consortium's registry",
      ),
  )
    .addOption(
      new Option("--dataset <name>", "a built-in data set (when the task has no --schema)")
        .choices(["ai4i", "supplychain"])
        .default("ai4i"),
    )
    .option(
      "--model <file>",
      "the task's model: a TF.js Layers model.json (model.save or the TF.js converter), a histogram forest's " +
        "forest.json, or preset:<name> (preset:ai4i-forest is the forest) " +
        "(default: on ai4i the forest where the key's circuit reaches its 783,360 counts and --rule is sum or unset, " +
        "else the data set's MLP preset; a small model proposed for --schema)",
    )
    .option(
      "--schema <file>",
      "the task's data schema (cfl data infer-schema); members read their own records under it",
    )
    .option(
      "--weights <files...>",
      "initial weights, float32 in the model.json manifest's order (default: the files the manifest names, else drawn from --seed)",
    )
    .option("--reader-group <file>", "the reader-group bundle; its public key becomes readerKey")
    .option(
      "--reader-key <0x..>",
      "the reader group's public key, when the bundle is elsewhere",
      bytes32Option("--reader-key"),
    )
    .option(
      "--readers <addresses>",
      "comma-separated readers, the aggregator(s) first (default: the reader group's readers)",
      addressList,
    )
    .option("--key-hash <0x..>", "the registered verifying key the policy pins", bytes32Option("--key-hash"))
    .option(
      "--instance <name>",
      "pin the committed development key of this circuit instance (development deployments)",
    )
    .option(
      "--min-participants <n>",
      "commits that let the aggregator close a round early",
      wholeNumber("--min-participants", 1, 65535),
      DRAFT_DEFAULTS.minParticipants,
    )
    .option(
      "--max-commits <n>",
      "most updates one round takes",
      wholeNumber("--max-commits", 1, 65535),
      DRAFT_DEFAULTS.maxCommits,
    )
    .option(
      "--attestation-quorum <n>",
      "matching attestations that finalize a round",
      wholeNumber("--attestation-quorum", 1, 65535),
      DRAFT_DEFAULTS.attestationQuorum,
    )
    .option(
      "--max-round-duration <s>",
      "longest commit window a round may be opened with",
      wholeNumber("--max-round-duration", 1, 2 ** 32 - 1),
      DRAFT_DEFAULTS.maxRoundDuration,
    )
    .option(
      "--publish-window <s>",
      "seconds after closing within which the aggregator must publish",
      wholeNumber("--publish-window", 1, 2 ** 32 - 1),
      DRAFT_DEFAULTS.publishWindow,
    )
    .option(
      "--attestation-window <s>",
      "seconds after publication during which auditors attest",
      wholeNumber("--attestation-window", 1, 2 ** 32 - 1),
      DRAFT_DEFAULTS.attestationWindow,
    )
    .addOption(
      new Option("--rule <rule>", "aggregation rule (default: mean; a forest's counts need sum)").choices([
        ...DRAFTABLE_RULE_KINDS,
      ]),
    )
    .option(
      "--support-members <q>",
      "a forest's backdoor defense: rule sum vetoes splits of a histogram fewer than q members' own rows vary on " +
        "(default for a forest: min-participants / 3 + 1, rounded down, at least 2; 0: the plain sum)",
      wholeNumber("--support-members", 0, 2 ** 16 - 1),
    )
    .option("--seed <s>", "seed of the initial model", "7")
    .option(
      "--expiry-days <n>",
      "policy lifetime",
      wholeNumber("--expiry-days", 1, 36500),
      DRAFT_DEFAULTS.lifetimeSeconds / 86400,
    )
    .option(
      "--task-id <id>",
      "the id the task will get (default: the chain's task count + 1)",
      positiveBig("--task-id"),
    )
    .action(async (opts: DraftOptions) => {
      const config = configFrom(opts);
      const log = createLogger();
      if ((opts.readerGroup === undefined) === (opts.readerKey === undefined))
        throw new Error("draft-task needs exactly one of --reader-group <bundle> or --reader-key <0x..>");
      if ((opts.keyHash === undefined) === (opts.instance === undefined))
        throw new Error("draft-task needs exactly one of --key-hash <0x..> or --instance <name>");
      let readerKey: string;
      let readers: string[];
      if (opts.readerGroup !== undefined) {
        const bundle = await loadReaderGroup({ path: opts.readerGroup });
        readerKey = bundle.publicKey;
        const inGroup = bundleReaders(bundle);
        readers = opts.readers ?? inGroup;
        for (const r of readers)
          if (!inGroup.includes(r))
            throw new Error(`reader ${r} is not among the readers of the group in ${opts.readerGroup}`);
      } else {
        readerKey = opts.readerKey ?? "";
        if (!opts.readers) throw new Error("--reader-key needs --readers <addresses>");
        readers = opts.readers;
      }
      let keyHash: string;
      let localShape: CircuitShape | undefined;
      if (opts.instance !== undefined) {
        const { committedDevelopmentKey } = await import("../../zk/index.js");
        const key = await committedDevelopmentKey({ instance: opts.instance });
        keyHash = key.keyHash;
        localShape = key.shape;
      } else {
        keyHash = opts.keyHash ?? "";
      }

      // The key's circuit comes from the chain whenever the consortium is configured; a local instance's
      // shape is used only for an offline draft (--task-id and no addresses).
      let shape: CircuitShape;
      let taskNumber: bigint;
      if (config.addresses) {
        const provider = await connectProvider({ config });
        try {
          const contracts = attachContracts({ addresses: config.addresses, runner: provider });
          const key = await registeredKey({ contracts, keyHash });
          if (key.developmentOnly && !(await contracts.consortium.development()))
            throw new Error(
              `verifying key ${keyHash} is development-only and this consortium is not a development deployment`,
            );
          shape = key.shape;
          taskNumber = opts.taskId ?? (await contracts.consortium.taskCount()) + 1n;
        } finally {
          provider.destroy();
        }
      } else {
        if (opts.taskId === undefined)
          throw new Error("draft-task needs addresses in the config (or --task-id for an offline draft)");
        if (!localShape)
          throw new Error(
            "an offline draft with --key-hash cannot know the key's circuit: configure addresses so it is read from the registry",
          );
        shape = localShape;
        taskNumber = opts.taskId;
      }

      const task = await draftTaskModel({ opts, maxParams: 2 ** shape.indexBits });
      const scale = task.family?.scale ?? DRAFT_DEFAULTS.scale;
      const { encodeGlobalModel, globalModelHash, initialGlobalModel } = await import("../../model/index.js");
      const params = task.params;
      const model = encodeGlobalModel(
        initialGlobalModel({ task: Number(taskNumber), dimension: params.length, scale, params }),
      );
      // Drafted (and so checked) before the model is stored: a draft the contract would refuse leaves
      // nothing behind. The CID is filled in once the model is stored.
      const draft = draftTaskPolicy({
        model: {
          name: task.name,
          id: task.modelId,
          dimension: params.length,
          hash: globalModelHash(model),
          cid: "pending",
        },
        verifyingKey: { keyHash, shape },
        readers: { key: readerKey, addresses: readers },
        now: BigInt(Math.floor(Date.now() / 1000)),
        ...(opts.rule !== undefined ? { rule: opts.rule } : {}),
        ...(task.family ? { family: task.family } : {}),
        ...supportMembersOf({
          family: task.family,
          supportMembers: opts.supportMembers,
          minParticipants: opts.minParticipants,
        }),
        settings: {
          minParticipants: opts.minParticipants,
          maxCommits: opts.maxCommits,
          attestationQuorum: opts.attestationQuorum,
          expiry: BigInt(Math.floor(Date.now() / 1000) + opts.expiryDays * 86400),
          maxRoundDuration: opts.maxRoundDuration,
          publishWindow: opts.publishWindow,
          attestationWindow: opts.attestationWindow,
        },
      });
      const store = await openContentStore({ config });
      const files: Record<string, string> = {};
      try {
        draft.initialModelCid = await store.put(model);
        await store.pin(draft.initialModelCid);
        // The topology and the schema the modelId pins, stored beside the initial model so that
        // governors and members fetch exactly what was hashed.
        for (const [name, doc] of Object.entries(task.documents)) {
          files[name] = await store.put(new TextEncoder().encode(doc));
          await store.pin(files[name]);
        }
      } finally {
        await store.stop();
      }
      log("initial-model", { cid: draft.initialModelCid, bytes: model.length, dimension: params.length });
      // What modelId pins, for the governors who review the proposal (stdout stays the CreateTask payload).
      log("task-model", {
        name: task.name,
        modelId: task.modelId,
        topologyHash: task.topologyHash,
        dataHash: task.dataHash,
        parameters: params.length,
        initialWeights: task.weightsFrom,
        files,
      });
      process.stdout.write(JSON.stringify({ policy: draft }, jsonReplacer, 2) + "\n");
    });
}
