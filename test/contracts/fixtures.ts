/**
 * Contract fixtures built by the same Ignition modules a real deployment runs, so every contract test
 * also exercises deployment.
 */
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import type { NetworkConnection } from "hardhat/types/network";
import { hexlify, keccak256, randomBytes, toUtf8Bytes, type ContractTransactionResponse } from "ethers";
import CircularFLModule from "../../ignition/modules/CircularFL.js";
import { committedDevelopmentKey, type RegistrableKey } from "../../src/zk/index.js";
import {
  encodeProposal,
  EntityKind,
  Operation,
  Role,
  type ProposalAction,
  type TaskPolicy,
} from "../../src/governance/index.js";

export type Connection = NetworkConnection<"generic">;

export const VOTING_PERIOD = 3600n;

export interface ConsortiumFixture {
  connection: Connection;
  governors: HardhatEthersSigner[];
  members: HardhatEthersSigner[];
  aggregator: HardhatEthersSigner;
  auditors: HardhatEthersSigner[];
  outsider: HardhatEthersSigner;
  consortium: Awaited<ReturnType<typeof deployAll>>["consortium"];
  rounds: Awaited<ReturnType<typeof deployAll>>["rounds"];
  registry: Awaited<ReturnType<typeof deployAll>>["registry"];
  /** The `test` circuit's development key, registered through governance. */
  testKey: RegistrableKey;
  /** Proposes, gathers the quorum's approvals and executes; returns the execution transaction. */
  govern: (action: ProposalAction) => Promise<ContractTransactionResponse>;
}

async function deployAll(connection: Connection, governors: string[], quorum: number, development: boolean) {
  const { consortium, rounds } = await connection.ignition.deploy(CircularFLModule, {
    parameters: { CircularFL: { governors, quorum, development } },
  });
  // Re-attach through hardhat-ethers for the generated contract types.
  const typed = await connection.ethers.getContractAt("Consortium", await consortium.getAddress());
  return {
    consortium: typed,
    rounds: await connection.ethers.getContractAt("FederatedRounds", await rounds.getAddress()),
    registry: await connection.ethers.getContractAt("VerifyingKeyRegistry", await typed.verifyingKeys()),
  };
}

export function encryptionKeyFor(seed: string): string {
  return keccak256(toUtf8Bytes(`x25519:${seed}`));
}

/**
 * Three governors with quorum 2 and the `test` circuit's development key registered; no members yet.
 * `development: false` deploys as production would (development keys refused in policies).
 */
export async function deployConsortium(
  connection: Connection,
  { development = true }: { development?: boolean } = {},
): Promise<ConsortiumFixture> {
  const signers = await connection.ethers.getSigners();
  const governors = signers.slice(0, 3);
  const members = signers.slice(3, 7);
  const aggregator = signers[7]!;
  const auditors = signers.slice(8, 10);
  const outsider = signers[10]!;
  const { consortium, rounds, registry } = await deployAll(
    connection,
    governors.map((g) => g.address),
    2,
    development,
  );
  const govern = async (action: ProposalAction): Promise<ContractTransactionResponse> => {
    const { kind, payload } = encodeProposal(action);
    const current = new Set(await consortium.governors());
    const seated = signers.filter((s) => current.has(s.address));
    await consortium.connect(seated[0]).propose(kind, payload, VOTING_PERIOD);
    const id = await consortium.proposalCount();
    const quorum = Number(await consortium.quorum());
    for (const governor of seated.slice(0, quorum)) await consortium.connect(governor).approve(id);
    return consortium.connect(outsider).execute(id);
  };
  const testKey = await committedDevelopmentKey({ instance: "test" });
  await govern({
    kind: "RegisterVerifyingKey",
    words: testKey.words,
    shape: testKey.shape,
    developmentOnly: testKey.developmentOnly,
  });
  return {
    connection,
    governors,
    members,
    aggregator,
    auditors,
    outsider,
    consortium,
    rounds,
    registry,
    testKey,
    govern,
  };
}

/** A fixed X25519 public key for policies whose rounds never seal anything (contract tests). */
export const TEST_READER_KEY = keccak256(toUtf8Bytes("reader-group"));

export function defaultPolicy({
  verifyingKeyHash,
  readers,
  now,
  overrides = {},
}: {
  verifyingKeyHash: string;
  readers: string[];
  now: bigint;
  overrides?: Partial<TaskPolicy>;
}): TaskPolicy {
  return {
    modelId: keccak256(toUtf8Bytes("ai4i-mlp-v1")),
    initialModelHash: hexlify(randomBytes(32)),
    initialModelCid: "bafkreiinitialmodelplaceholderforcontracttests",
    dimension: 1000,
    maxNonZeros: 16,
    lInfBound: 4096n,
    l2Bound: 8192n,
    scale: 4096,
    aggregationRule: 0,
    ruleParameter: 0n,
    minParticipants: 2,
    maxCommits: 64,
    attestationQuorum: 2,
    sensitivity: 1,
    allowedOperations: Operation.All,
    expiry: now + 30n * 86400n,
    maxRoundDuration: 3600,
    publishWindow: 600,
    attestationWindow: 600,
    verifyingKeyHash,
    readerKey: TEST_READER_KEY,
    readers,
    ...overrides,
  };
}

/** Members admitted, a task created and every member granted to it. */
export async function deployWithTask(connection: Connection, policyOverrides: Partial<TaskPolicy> = {}) {
  const f = await deployConsortium(connection);
  return createTaskFor(f, policyOverrides);
}

/** Admits the fixture's members, aggregator and auditors, creates a task and grants it to all of them. */
export async function createTaskFor(f: ConsortiumFixture, policyOverrides: Partial<TaskPolicy> = {}) {
  const { govern } = f;
  for (const [i, m] of f.members.entries()) {
    await govern({
      kind: "AdmitMember",
      account: m.address,
      profile: {
        roles: Role.Member,
        kind: i % 2 === 0 ? EntityKind.Manufacturer : EntityKind.Recycler,
        encryptionKey: encryptionKeyFor(m.address),
        metadataHash: keccak256(toUtf8Bytes(`member-${i}`)),
      },
    });
  }
  await govern({
    kind: "AdmitMember",
    account: f.aggregator.address,
    profile: {
      roles: Role.Aggregator,
      kind: EntityKind.Manufacturer,
      encryptionKey: encryptionKeyFor(f.aggregator.address),
      metadataHash: keccak256(toUtf8Bytes("aggregator")),
    },
  });
  for (const a of f.auditors) {
    await govern({
      kind: "AdmitMember",
      account: a.address,
      profile: {
        roles: Role.Auditor,
        kind: EntityKind.Remanufacturer,
        encryptionKey: encryptionKeyFor(a.address),
        metadataHash: keccak256(toUtf8Bytes("auditor")),
      },
    });
  }
  const now = BigInt(await f.connection.networkHelpers.time.latest());
  const policy = defaultPolicy({
    verifyingKeyHash: f.testKey.keyHash,
    readers: [f.aggregator.address, ...f.auditors.map((a) => a.address)],
    now,
    overrides: policyOverrides,
  });
  await govern({ kind: "CreateTask", policy });
  const taskId = await f.consortium.taskCount();
  for (const account of [...f.members, f.aggregator, ...f.auditors]) {
    await govern({ kind: "GrantTaskAccess", taskId, account: account.address });
  }
  return { ...f, policy, taskId };
}
