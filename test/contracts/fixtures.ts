/**
 * Contract fixtures built by the local-federation harness (src/harness): the same Ignition module a real
 * deployment runs, the same quorum governance and the same `draftTaskPolicy`, so every contract test also
 * exercises deployment. The signer layout is the tests' own: named signers make the tests readable.
 */
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import type { NetworkConnection } from "hardhat/types/network";
import { hexlify, keccak256, randomBytes, toUtf8Bytes, type ContractTransactionResponse } from "ethers";
import { committedDevelopmentKey, type RegistrableKey } from "../../src/zk/index.js";
import { deployConsortiumContracts, quorumGovernor, VOTING_PERIOD_SECONDS } from "../../src/harness/index.js";
import {
  draftTaskPolicy,
  EntityKind,
  Role,
  type ProposalAction,
  type TaskPolicy,
} from "../../src/governance/index.js";

export type Connection = NetworkConnection<"generic">;

export const VOTING_PERIOD = VOTING_PERIOD_SECONDS;

type DeployedContracts = Awaited<ReturnType<typeof deployConsortiumContracts>>;

export interface ConsortiumFixture {
  connection: Connection;
  governors: HardhatEthersSigner[];
  members: HardhatEthersSigner[];
  aggregator: HardhatEthersSigner;
  auditors: HardhatEthersSigner[];
  outsider: HardhatEthersSigner;
  consortium: DeployedContracts["consortium"];
  rounds: DeployedContracts["rounds"];
  registry: DeployedContracts["registry"];
  /** The `test` circuit's development key, registered through governance. */
  testKey: RegistrableKey;
  /** Proposes, gathers the quorum's approvals and executes; returns the execution transaction. */
  govern: (action: ProposalAction) => Promise<ContractTransactionResponse>;
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
  const deployed = await deployConsortiumContracts({
    connection,
    governors: governors.map((g) => g.address),
    quorum: 2,
    development,
  });
  // Bound to the first signer, as Hardhat's own contract helpers bind them, so a test sends without `connect`.
  const consortium = deployed.consortium.connect(signers[0]);
  const rounds = deployed.rounds.connect(signers[0]);
  const registry = deployed.registry.connect(signers[0]);
  const decide = quorumGovernor({ consortium, signers, executor: outsider });
  const govern = async (action: ProposalAction): Promise<ContractTransactionResponse> =>
    (await decide(action)).execution;
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

/** The contract tests' task: the `test` circuit, d = 1,000 and k = 16, drafted as every task is. */
export function defaultPolicy({
  verifyingKey,
  readers,
  now,
  overrides = {},
}: {
  verifyingKey: Pick<RegistrableKey, "keyHash" | "shape">;
  readers: string[];
  now: bigint;
  /** Applied after drafting, so a test can also build a policy the contract must refuse. */
  overrides?: Partial<TaskPolicy>;
}): TaskPolicy {
  return {
    ...draftTaskPolicy({
      model: {
        name: "ai4i-mlp-v1",
        dimension: 1000,
        hash: hexlify(randomBytes(32)),
        cid: "bafkreiinitialmodelplaceholderforcontracttests",
      },
      verifyingKey,
      readers: { key: TEST_READER_KEY, addresses: readers },
      now,
      settings: {
        maxNonZeros: 16,
        lInfBound: 4096n,
        l2Bound: 8192n,
        minParticipants: 2,
        maxCommits: 64,
        attestationQuorum: 2,
        sensitivity: 1,
        publishWindow: 600,
        attestationWindow: 600,
      },
    }),
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
    verifyingKey: f.testKey,
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
