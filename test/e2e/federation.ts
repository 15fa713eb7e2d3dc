/**
 * A small federation on Hardhat's in-process chain with an embedded Helia node: the consortium deployed by
 * its Ignition modules, readers with real X25519 keys, and a task whose initial model is on IPFS.
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getAddress, hexlify, keccak256, toUtf8Bytes, type Signer } from "ethers";
import CircularFLModule from "../../ignition/modules/CircularFL.js";
import { TestUpdateVerifierModule } from "../../ignition/modules/UpdateVerifier.js";
import { attachContracts } from "../../src/chain/index.js";
import {
  encodeProposal,
  EntityKind,
  Operation,
  Role,
  type ProposalAction,
  type TaskPolicy,
} from "../../src/governance/index.js";
import { encodeGlobalModel, globalModelHash, initialGlobalModel } from "../../src/model/index.js";
import type { ReaderKey, RoleEnvironment } from "../../src/roles/index.js";
import { generateReaderKeyPair } from "../../src/seal/index.js";
import { createHeliaStore, type ContentStore } from "../../src/storage/index.js";
import { loadCircuitArtifacts } from "../../src/zk/index.js";
import type { Connection } from "../contracts/fixtures.js";

export const DIMENSION = 64;
export const SCALE = 4096;

export async function createStore(): Promise<ContentStore> {
  return createHeliaStore({ path: await mkdtemp(join(tmpdir(), "cfl-ipfs-")) });
}

export async function setUpFederation({
  connection,
  store,
  rule = 0,
  members = 3,
}: {
  connection: Connection;
  store: ContentStore;
  rule?: number;
  members?: number;
}) {
  const artifacts = await loadCircuitArtifacts({ instance: "test" });
  const { ethers, networkHelpers, ignition } = connection;
  const signers = await ethers.getSigners();
  const governors = signers.slice(0, 3);
  const aggregator = signers[3]!;
  const auditors = signers.slice(4, 6);
  const memberSigners = signers.slice(6, 6 + members);
  const deployed = await ignition.deploy(CircularFLModule, {
    parameters: { CircularFL: { governors: governors.map((g) => g.address), quorum: 2 } },
  });
  const { verifier } = await ignition.deploy(TestUpdateVerifierModule);
  const contracts = attachContracts({
    addresses: {
      consortium: await deployed.consortium.getAddress(),
      rounds: await deployed.rounds.getAddress(),
    },
    runner: ethers.provider,
  });
  const govern = async (action: ProposalAction) => {
    const { kind, payload } = encodeProposal(action);
    await contracts.consortium.connect(governors[0]).propose(kind, payload, 3600n);
    const id = await contracts.consortium.proposalCount();
    await contracts.consortium.connect(governors[0]).approve(id);
    await contracts.consortium.connect(governors[1]).approve(id);
    await contracts.consortium.connect(governors[2]).execute(id);
  };
  const keys = new Map<string, ReaderKey>();
  const admit = async (signer: Signer, roles: number) => {
    const address = getAddress(await signer.getAddress());
    const pair = generateReaderKeyPair();
    keys.set(address, { id: address, publicKey: pair.publicKey, secretKey: pair.secretKey });
    await govern({
      kind: "AdmitMember",
      account: address,
      profile: {
        roles,
        kind: EntityKind.Manufacturer,
        encryptionKey: hexlify(pair.publicKey),
        metadataHash: keccak256(toUtf8Bytes(address)),
      },
    });
  };
  await admit(aggregator, Role.Aggregator);
  for (const a of auditors) await admit(a, Role.Auditor);
  for (const m of memberSigners) await admit(m, Role.Member);
  const params = Float32Array.from({ length: DIMENSION }, (_, i) => Math.sin(i) / 4);
  const model0 = encodeGlobalModel(
    initialGlobalModel({ task: 1, dimension: DIMENSION, scale: SCALE, params }),
  );
  const model0Cid = await store.put(model0);
  const now = BigInt(await networkHelpers.time.latest());
  const policy: TaskPolicy = {
    modelId: keccak256(toUtf8Bytes("federation-test")),
    initialModelHash: globalModelHash(model0),
    initialModelCid: model0Cid,
    dimension: DIMENSION,
    maxNonZeros: 8,
    lInfBound: 8192n,
    l2Bound: 4n * BigInt(SCALE),
    scale: SCALE,
    aggregationRule: rule,
    ruleParameter: rule === 2 ? 1n : rule === 4 ? BigInt(SCALE) : 0n,
    minParticipants: members,
    attestationQuorum: 2,
    sensitivity: 1,
    allowedOperations: Operation.All,
    expiry: now + 86400n,
    verifier: await verifier.getAddress(),
    verifyingKeyHash: artifacts.vkeyHash,
    readers: [aggregator.address, ...auditors.map((a) => a.address)],
  };
  await govern({ kind: "CreateTask", policy });
  const taskId = await contracts.consortium.taskCount();
  for (const s of [aggregator, ...auditors, ...memberSigners])
    await govern({ kind: "GrantTaskAccess", taskId, account: s.address });
  const envFor = (signer: Signer & { address: string }, s: ContentStore = store): RoleEnvironment => ({
    signer,
    address: getAddress(signer.address),
    contracts,
    store: s,
    taskId,
    fetchTimeoutMs: 1_500,
  });
  return {
    artifacts,
    contracts,
    policy,
    taskId,
    keys,
    aggregator: envFor(aggregator),
    auditors: auditors.map((a) => envFor(a)),
    members: memberSigners.map((m) => envFor(m)),
    envFor,
  };
}

/** A deterministic float delta of the task's dimension for member `i` in round `r`. */
export function syntheticDelta(i: number, r: number): Float32Array {
  return Float32Array.from(
    { length: DIMENSION },
    (_, j) => Math.sin(i * 7 + j * 3 + r) * 0.05 * (1 + (j % 5)),
  );
}
