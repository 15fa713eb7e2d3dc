/**
 * A small federation on Hardhat's in-process chain with an embedded Helia node: the consortium deployed by
 * its Ignition modules, readers with real X25519 keys, and a task whose initial model is on IPFS.
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getAddress, type Signer } from "ethers";
import type { AggregationRuleKind } from "../../src/aggregation/index.js";
import { createLocalTask, deployLocalConsortium, localTaskPolicy } from "../../src/harness/index.js";
import type { TaskPolicy } from "../../src/governance/index.js";
import { encodeGlobalModel, globalModelHash, initialGlobalModel } from "../../src/model/index.js";
import type { ReaderGroupKey, RoleEnvironment } from "../../src/roles/index.js";
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
  rule = "mean",
  members = 3,
}: {
  connection: Connection;
  store: ContentStore;
  rule?: AggregationRuleKind;
  members?: number;
}) {
  const artifacts = await loadCircuitArtifacts({ instance: "test" });
  const consortium = await deployLocalConsortium({ connection, members, circuit: "test" });
  const { contracts } = consortium;
  // Each reader opens the reader-group bundle with its own key, as a real reader does.
  const keys = new Map<string, ReaderGroupKey>(
    [...consortium.aggregators, ...consortium.auditors].map((a) => [a.address, consortium.readerKeyOf(a)]),
  );
  const params = Float32Array.from({ length: DIMENSION }, (_, i) => Math.sin(i) / 4);
  const model0 = encodeGlobalModel(
    initialGlobalModel({ task: 1, dimension: DIMENSION, scale: SCALE, params }),
  );
  const policy: TaskPolicy = localTaskPolicy({
    consortium,
    now: BigInt(await connection.networkHelpers.time.latest()),
    model: {
      name: "federation-test",
      dimension: DIMENSION,
      hash: globalModelHash(model0),
      cid: await store.put(model0),
    },
    rule,
    settings: {
      maxNonZeros: 8,
      lInfBound: 8192n,
      l2Bound: 4n * BigInt(SCALE),
      scale: SCALE,
      // One update may be excluded (the attacks below) without the round being abandoned.
      minParticipants: Math.max(1, members - 1),
    },
  });
  const { taskId } = await createLocalTask({ consortium, policy });
  const envFor = (
    account: { signer: Signer; address: string },
    s: ContentStore = store,
  ): RoleEnvironment => ({
    signer: account.signer,
    address: getAddress(account.address),
    contracts,
    store: s,
    taskId,
    fetchTimeoutMs: 1_500,
  });
  return {
    consortium,
    artifacts,
    contracts,
    policy,
    taskId,
    keys,
    aggregator: envFor(consortium.aggregator),
    auditors: consortium.auditors.map((a) => envFor(a)),
    members: consortium.members.map((m) => envFor(m)),
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
