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
import { DemoUpdateVerifierModule, TestUpdateVerifierModule } from "../../ignition/modules/UpdateVerifier.js";
import { attachContracts, type ConsortiumContracts } from "../chain/index.js";
import {
  encodeProposal,
  EntityKind,
  Operation,
  Role,
  validatePolicy,
  type CircuitLimits,
  type ProposalAction,
  type TaskPolicy,
} from "../governance/index.js";
import { generateReaderKeyPair } from "../seal/index.js";

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
  verifierAddress: string;
  governors: Signer[];
  aggregator: ConsortiumAccount;
  auditors: ConsortiumAccount[];
  members: ConsortiumAccount[];
  /** An account that holds no role (pays for permissionless calls such as finalizeRound). */
  outsider: Signer;
  /** Runs one decision through the 2-of-3 quorum and returns each step's gas. */
  govern: (action: ProposalAction) => Promise<GovernanceGas>;
}

export const VOTING_PERIOD_SECONDS = 3600n;

async function gasOf(tx: Promise<ContractTransactionResponse>): Promise<bigint> {
  const receipt = await (await tx).wait();
  if (!receipt) throw new LocalConsortiumError("no-receipt", "a transaction was not mined");
  return receipt.gasUsed;
}

/**
 * Deploys the contracts and a verifier (`test` or `demo` circuit instance), and admits an aggregator, two
 * auditors and `members` members with fresh reader keys. Members are wallets derived from `seed`.
 */
export async function deployLocalConsortium({
  connection,
  members,
  circuit,
  seed = 1,
}: {
  connection: NetworkConnection<"generic">;
  members: number;
  circuit: "test" | "demo";
  seed?: number;
}): Promise<LocalConsortium> {
  if (!Number.isInteger(members) || members < 0 || members > 1000) {
    throw new LocalConsortiumError(
      "bad-members",
      `members must be an integer from 0 to 1000, got ${members}`,
    );
  }
  const { ethers, networkHelpers } = connection;
  const signers = await ethers.getSigners();
  const governors = signers.slice(0, 3);
  const outsider = signers[6]!;
  const deployed = await connection.ignition.deploy(CircularFLModule, {
    parameters: {
      CircularFL: { governors: await Promise.all(governors.map((g) => g.getAddress())), quorum: 2 },
    },
  });
  const { verifier } =
    circuit === "test"
      ? await connection.ignition.deploy(TestUpdateVerifierModule)
      : await connection.ignition.deploy(DemoUpdateVerifierModule);
  const contracts = attachContracts({
    addresses: {
      consortium: await deployed.consortium.getAddress(),
      rounds: await deployed.rounds.getAddress(),
    },
    runner: ethers.provider,
  });
  const govern = async (action: ProposalAction): Promise<GovernanceGas> => {
    const { kind, payload } = encodeProposal(action);
    const c = contracts.consortium;
    const propose = await gasOf(c.connect(governors[0]).propose(kind, payload, VOTING_PERIOD_SECONDS));
    const id = await c.proposalCount();
    const approvals = [
      await gasOf(c.connect(governors[0]).approve(id)),
      await gasOf(c.connect(governors[1]).approve(id)),
    ];
    const execute = await gasOf(c.connect(governors[2]).execute(id));
    return { propose, approvals, execute };
  };
  const account = (signer: Signer, address: string): ConsortiumAccount => {
    const pair = generateReaderKeyPair();
    return { signer, address: getAddress(address), publicKey: pair.publicKey, secretKey: pair.secretKey };
  };
  const aggregator = account(signers[3]!, signers[3]!.address);
  const auditors = [account(signers[4]!, signers[4]!.address), account(signers[5]!, signers[5]!.address)];
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
  await admit(aggregator, Role.Aggregator, EntityKind.Manufacturer);
  for (const a of auditors) await admit(a, Role.Auditor, EntityKind.Recycler);
  const kinds = [
    EntityKind.Supplier,
    EntityKind.Manufacturer,
    EntityKind.Recycler,
    EntityKind.Remanufacturer,
  ];
  for (const [i, m] of memberAccounts.entries()) await admit(m, Role.Member, kinds[i % kinds.length]!);
  return {
    connection,
    contracts,
    verifierAddress: await verifier.getAddress(),
    governors,
    aggregator,
    auditors,
    members: memberAccounts,
    outsider,
    govern,
  };
}

/** A task policy validated against the circuit, with defaults for the AI4I model; the caller names what differs. */
export function localTaskPolicy({
  consortium,
  now,
  vkeyHash,
  circuit,
  initialModelHash = keccak256(toUtf8Bytes("local initial model")),
  initialModelCid = "bafkreilocalinitialmodel",
  overrides = {},
}: {
  consortium: LocalConsortium;
  now: bigint;
  vkeyHash: string;
  circuit: CircuitLimits;
  initialModelHash?: string;
  initialModelCid?: string;
  overrides?: Partial<TaskPolicy>;
}): TaskPolicy {
  return validatePolicy({
    policy: {
      modelId: keccak256(toUtf8Bytes("ai4i-sparse-mlp-v1")),
      initialModelHash,
      initialModelCid,
      dimension: 1778,
      maxNonZeros: circuit.maxEntries,
      lInfBound: 4096n,
      l2Bound: 16384n,
      scale: 4096,
      aggregationRule: 0,
      ruleParameter: 0n,
      minParticipants: 1,
      attestationQuorum: consortium.auditors.length,
      sensitivity: 1,
      allowedOperations: Operation.All,
      expiry: now + 30n * 86400n,
      verifier: consortium.verifierAddress,
      verifyingKeyHash: vkeyHash,
      readers: [consortium.aggregator.address, ...consortium.auditors.map((a) => a.address)],
      ...overrides,
    },
    circuit,
    now,
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
  for (const a of [consortium.aggregator, ...consortium.auditors, ...members]) {
    grantGas.push(await consortium.govern({ kind: "GrantTaskAccess", taskId, account: a.address }));
  }
  return { taskId, createGas, grantGas };
}
