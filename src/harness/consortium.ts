/**
 * A consortium on Hardhat's in-process chain, as the demo, the benchmarks and the end-to-end tests run
 * it: the same Ignition modules and governance path (propose, quorum approvals, execute) a real deployment
 * takes, with members as funded wallets so that a round can have as many members as it needs.
 */
import {
  getAddress,
  hexlify,
  keccak256,
  toUtf8Bytes,
  Wallet,
  type ContractTransactionResponse,
  type Signer,
} from "ethers";
import type { NetworkConnection } from "hardhat/types/network";
import CircularFLModule from "../../ignition/modules/CircularFL.js";
import { attachContracts, type ConsortiumContracts } from "../chain/index.js";
import {
  VerifyingKeyRegistry__factory,
  type VerifyingKeyRegistry,
} from "../../types/ethers-contracts/index.js";
import {
  encodeProposal,
  EntityKind,
  draftTaskPolicy,
  Role,
  type DraftModel,
  type ProposalAction,
  type TaskDraft,
  type TaskPolicy,
} from "../governance/index.js";
import type { AggregationRuleKind } from "../aggregation/index.js";
import {
  createReaderGroup,
  generateReaderKeyPair,
  openReaderGroup,
  type ReaderGroupBundle,
} from "../seal/index.js";
import type { ReaderGroupKey } from "../roles/index.js";
import { committedDevelopmentKey, type RegistrableKey } from "../zk/index.js";

/** A local consortium was asked for something it cannot set up. */
export class LocalConsortiumError extends Error {
  readonly code: "bad-members" | "no-receipt";
  constructor(code: "bad-members" | "no-receipt", message: string) {
    super(message);
    this.name = "LocalConsortiumError";
    this.code = code;
  }
}

/** Gas of each step of one governance decision. */
export interface GovernanceGas {
  propose: bigint;
  approvals: bigint[];
  execute: bigint;
}

/** An admitted account with its X25519 reader key (members also get one: task readers need it only). */
export interface ConsortiumAccount {
  signer: Signer;
  address: string;
  publicKey: Uint8Array;
  secretKey: Uint8Array;
}

export interface LocalConsortium {
  connection: NetworkConnection<"generic">;
  contracts: ConsortiumContracts;
  /** The circuit instance's development key, registered through governance. */
  verifyingKey: RegistrableKey;
  /** The readers' group (aggregator and auditors), dealt by the aggregator. */
  readerGroup: { publicKey: string; bundle: ReaderGroupBundle };
  /** A reader's group key, opened from the bundle with the reader's own key (as a real reader does). */
  readerKeyOf: (account: ConsortiumAccount) => ReaderGroupKey;
  governors: Signer[];
  /** The first aggregator (aggregators[0]). */
  aggregator: ConsortiumAccount;
  /** Every aggregator of the consortium: a task names them all as readers, so any can take over. */
  aggregators: ConsortiumAccount[];
  auditors: ConsortiumAccount[];
  members: ConsortiumAccount[];
  /** An account that holds no role (pays for permissionless calls such as finalizeRound). */
  outsider: Signer;
  /** Runs one decision through the quorum (read from the chain) and returns each step's gas. */
  govern: (action: ProposalAction) => Promise<GovernanceGas>;
}

export const VOTING_PERIOD_SECONDS = 3600n;

/** A governance decision: each step's gas and the execution transaction (whose events tests inspect). */
export interface GovernanceDecision extends GovernanceGas {
  execution: ContractTransactionResponse;
}

/**
 * Deploys the consortium through the project's Ignition module, the same one `cfl deploy` runs, and binds
 * the consortium, its rounds contract and its verifying-key registry.
 */
export async function deployConsortiumContracts({
  connection,
  governors,
  quorum,
  development,
}: {
  connection: NetworkConnection<"generic">;
  governors: readonly string[];
  quorum: number;
  development: boolean;
}): Promise<ConsortiumContracts & { registry: VerifyingKeyRegistry }> {
  const deployed = await connection.ignition.deploy(CircularFLModule, {
    parameters: { CircularFL: { governors: [...governors], quorum, development } },
  });
  const contracts = attachContracts({
    addresses: {
      consortium: await deployed.consortium.getAddress(),
      rounds: await deployed.rounds.getAddress(),
    },
    runner: connection.ethers.provider,
  });
  const registry = VerifyingKeyRegistry__factory.connect(
    await contracts.consortium.verifyingKeys(),
    connection.ethers.provider,
  );
  return { ...contracts, registry };
}

/**
 * Runs governance decisions the way governors do: the first seated governor proposes, as many seated
 * governors as the quorum approve, and `executor` executes. Seats and quorum are read from the chain at
 * every decision, so a decision that changes them does not break the next one.
 */
export function quorumGovernor({
  consortium,
  signers,
  executor,
}: {
  consortium: ConsortiumContracts["consortium"];
  /** Signers among which the seated governors are found. */
  signers: readonly Signer[];
  executor: Signer;
}): (action: ProposalAction) => Promise<GovernanceDecision> {
  return async (action) => {
    const { kind, payload } = encodeProposal(action);
    const seatedAddresses = new Set((await consortium.governors()).map((a) => getAddress(a)));
    const addresses = await Promise.all(signers.map((s) => s.getAddress()));
    const seated = signers.filter((_, i) => seatedAddresses.has(getAddress(addresses[i]!)));
    const quorum = Number(await consortium.quorum());
    const proposer = seated[0];
    if (!proposer) throw new LocalConsortiumError("bad-members", "no seated governor among the signers");
    if (seated.length < quorum)
      throw new LocalConsortiumError(
        "bad-members",
        `${seated.length} seated signers cannot reach quorum ${quorum}`,
      );
    const propose = await gasOf(consortium.connect(proposer).propose(kind, payload, VOTING_PERIOD_SECONDS));
    const id = await consortium.proposalCount();
    const approvals: bigint[] = [];
    for (const g of seated.slice(0, quorum)) approvals.push(await gasOf(consortium.connect(g).approve(id)));
    const execution = await consortium.connect(executor).execute(id);
    const execute = await gasOf(Promise.resolve(execution));
    return { propose, approvals, execute, execution };
  };
}

async function gasOf(tx: Promise<ContractTransactionResponse>): Promise<bigint> {
  const receipt = await (await tx).wait();
  if (!receipt) throw new LocalConsortiumError("no-receipt", "a transaction was not mined");
  return receipt.gasUsed;
}

/**
 * Deploys the contracts as a development deployment, registers the circuit instance's
 * development key through governance, and admits an aggregator, two auditors and `members` members with
 * fresh reader keys. Members are wallets derived from `seed`.
 */
export async function deployLocalConsortium({
  connection,
  members,
  circuit,
  seed = 1,
  aggregators: aggregatorCount = 1,
  auditors: auditorCount = 2,
}: {
  connection: NetworkConnection<"generic">;
  members: number;
  /** A circuit instance of circuits/instances.json (its committed development key is registered). */
  circuit: string;
  seed?: number;
  /** How many aggregators to admit (1 to 4). */
  aggregators?: number;
  /** How many auditors to admit (1 to 8). */
  auditors?: number;
}): Promise<LocalConsortium> {
  if (!Number.isInteger(members) || members < 0 || members > 1000) {
    throw new LocalConsortiumError(
      "bad-members",
      `members must be an integer from 0 to 1000, got ${members}`,
    );
  }
  if (!Number.isInteger(aggregatorCount) || aggregatorCount < 1 || aggregatorCount > 4)
    throw new LocalConsortiumError("bad-members", `aggregators must be 1 to 4, got ${aggregatorCount}`);
  if (!Number.isInteger(auditorCount) || auditorCount < 1 || auditorCount > 8)
    throw new LocalConsortiumError("bad-members", `auditors must be 1 to 8, got ${auditorCount}`);
  const { ethers, networkHelpers } = connection;
  const signers = await ethers.getSigners();
  const governors = signers.slice(0, 3);
  const outsider = signers[3]!;
  const contracts = await deployConsortiumContracts({
    connection,
    governors: await Promise.all(governors.map((g) => g.getAddress())),
    quorum: 2,
    development: true,
  });
  const decide = quorumGovernor({ consortium: contracts.consortium, signers, executor: outsider });
  const govern = async (action: ProposalAction): Promise<GovernanceGas> => {
    const { propose, approvals, execute } = await decide(action);
    return { propose, approvals, execute };
  };
  const verifyingKey = await committedDevelopmentKey({ instance: circuit });
  await govern({
    kind: "RegisterVerifyingKey",
    words: verifyingKey.words,
    shape: verifyingKey.shape,
    developmentOnly: verifyingKey.developmentOnly,
  });
  const account = (signer: Signer, address: string): ConsortiumAccount => {
    const pair = generateReaderKeyPair();
    return { signer, address: getAddress(address), publicKey: pair.publicKey, secretKey: pair.secretKey };
  };
  const readerSigners = signers.slice(4, 4 + aggregatorCount + auditorCount);
  const aggregators = readerSigners.slice(0, aggregatorCount).map((s) => account(s, s.address));
  const auditors = readerSigners.slice(aggregatorCount).map((s) => account(s, s.address));
  const aggregator = aggregators[0]!;
  const memberAccounts: ConsortiumAccount[] = [];
  for (let i = 0; i < members; i++) {
    const wallet = new Wallet(
      keccak256(toUtf8Bytes(`circular-fl local ${seed} member ${i}`)),
      ethers.provider,
    );
    await networkHelpers.setBalance(wallet.address, 10n ** 21n);
    memberAccounts.push(account(wallet, wallet.address));
  }
  const admit = (a: ConsortiumAccount, roles: number, kind: number): Promise<GovernanceGas> =>
    govern({
      kind: "AdmitMember",
      account: a.address,
      profile: {
        roles,
        kind,
        encryptionKey: hexlify(a.publicKey),
        metadataHash: keccak256(toUtf8Bytes(`local:${a.address}`)),
      },
    });
  for (const a of aggregators) await admit(a, Role.Aggregator, EntityKind.Manufacturer);
  for (const a of auditors) await admit(a, Role.Auditor, EntityKind.Recycler);
  const kinds = [
    EntityKind.Supplier,
    EntityKind.Manufacturer,
    EntityKind.Recycler,
    EntityKind.Remanufacturer,
  ];
  for (const [i, m] of memberAccounts.entries()) await admit(m, Role.Member, kinds[i % kinds.length]!);
  const readers = [...aggregators, ...auditors];
  const group = createReaderGroup({
    readers: readers.map((r) => ({ id: r.address, publicKey: r.publicKey })),
    dealer: aggregator.address,
  });
  const readerGroup = { publicKey: group.bundle.publicKey, bundle: group.bundle };
  const readerKeyOf = (a: ConsortiumAccount): ReaderGroupKey => ({
    reader: a.address,
    secretKey: openReaderGroup({
      bundle: group.bundle,
      reader: { id: a.address, secretKey: a.secretKey },
      expectedPublicKey: group.bundle.publicKey,
    }),
  });
  return {
    connection,
    contracts,
    verifyingKey,
    readerGroup,
    readerKeyOf,
    governors,
    aggregator,
    aggregators,
    auditors,
    members: memberAccounts,
    outsider,
    govern,
  };
}

/**
 * What a local task differs in from `DRAFT_DEFAULTS`: rounds that may close with one commit and take up to
 * the contract's 1,024, and windows short enough for a test or a demo.
 */
const LOCAL_TASK_SETTINGS = {
  minParticipants: 1,
  maxCommits: 1024,
  lInfBound: 4096n,
  sensitivity: 1,
  publishWindow: 600,
  attestationWindow: 600,
} as const;

/**
 * A task policy drafted by `draftTaskPolicy` for this consortium: its registered key, its reader group and
 * readers (every aggregator, then the auditors), `LOCAL_TASK_SETTINGS`, and what the caller names.
 */
export function localTaskPolicy({
  consortium,
  now,
  model = {
    name: "ai4i-sparse-mlp-v1",
    dimension: 1778,
    hash: keccak256(toUtf8Bytes("local initial model")),
    cid: "bafkreilocalinitialmodel",
  },
  rule,
  ruleParameter,
  family,
  supportMembers,
  settings = {},
}: {
  consortium: LocalConsortium;
  now: bigint;
  model?: DraftModel;
  /** What the model's family fixes (a forest: scale 1, rule sum, bounds that never clip a count). */
  family?: TaskDraft["family"];
  rule?: AggregationRuleKind;
  ruleParameter?: bigint;
  /** The forest's backdoor veto's q (`TaskDraft.supportMembers`). */
  supportMembers?: number;
  settings?: TaskDraft["settings"];
}): TaskPolicy {
  return draftTaskPolicy({
    model,
    verifyingKey: consortium.verifyingKey,
    readers: {
      key: consortium.readerGroup.publicKey,
      addresses: [...consortium.aggregators, ...consortium.auditors].map((a) => a.address),
    },
    now,
    ...(rule !== undefined ? { rule } : {}),
    ...(ruleParameter !== undefined ? { ruleParameter } : {}),
    ...(supportMembers !== undefined ? { supportMembers } : {}),
    ...(family ? { family } : {}),
    settings: {
      ...LOCAL_TASK_SETTINGS,
      // The local L∞ default is for fixed-point deltas; a family's own bound stands.
      ...(family ? { lInfBound: family.lInfBound } : {}),
      attestationQuorum: Math.min(2, consortium.auditors.length),
      ...settings,
    },
  });
}

/** Creates a task under `policy` and grants it to the aggregator, the auditors and the given members. */
export async function createLocalTask({
  consortium,
  policy,
  members = consortium.members,
}: {
  consortium: LocalConsortium;
  policy: TaskPolicy;
  members?: readonly ConsortiumAccount[];
}): Promise<{ taskId: bigint; createGas: GovernanceGas; grantGas: GovernanceGas[] }> {
  const createGas = await consortium.govern({ kind: "CreateTask", policy });
  const taskId = await consortium.contracts.consortium.taskCount();
  const grantGas: GovernanceGas[] = [];
  for (const a of [...consortium.aggregators, ...consortium.auditors, ...members]) {
    grantGas.push(await consortium.govern({ kind: "GrantTaskAccess", taskId, account: a.address }));
  }
  return { taskId, createGas, grantGas };
}
