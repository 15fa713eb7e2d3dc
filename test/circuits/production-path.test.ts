/**
 * Issue 11's production key path, end to end: the key a two-party ceremony finalized (phase 1 from a
 * multi-party file through --ptau, signed contributions, block-hash beacon) is registered by governance in
 * a production deployment, pinned by the task policy, and is what a member proves with. The development
 * key of the same circuit proves nothing there.
 */
import { expect } from "chai";
import { network } from "hardhat";
import { readFile } from "node:fs/promises";
import { hexlify, randomBytes, toBeHex } from "ethers";
import {
  computeCommitment,
  loadCircuitArtifacts,
  packContext,
  proveUpdate,
  randomSalt,
  registrableKey,
} from "../../src/zk/index.js";
import type { SparseUpdate } from "../../src/sparse/index.js";
import { createTaskFor, deployConsortium, type Connection } from "../contracts/fixtures.js";
import { productionCeremony } from "./ceremony-fixtures.js";

const connection: Connection = await network.create();
const { networkHelpers } = connection;
const TEST_SHAPE = { maxEntries: 16, indexBits: 12, valueBits: 16 };

describe("production key path: ceremony key registered, pinned and proven with (issue 11 point 10)", function () {
  it("a member proves with the ceremony's final key in a production deployment; the development key is refused", async function () {
    const ceremony = await productionCeremony();
    const final = await ceremony.finalize();
    const vkey = JSON.parse(await readFile(final.vkeyPath, "utf8")) as Record<string, unknown>;
    const key = registrableKey({ vkey, shape: TEST_SHAPE, developmentOnly: false });

    const f = await deployConsortium(connection, { development: false });
    await f.govern({
      kind: "RegisterVerifyingKey",
      words: key.words,
      shape: key.shape,
      developmentOnly: false,
    });
    const t = await createTaskFor(f, { verifyingKeyHash: key.keyHash });
    const deadline = BigInt(await networkHelpers.time.latest()) + 3600n;
    await t.rounds
      .connect(t.aggregator)
      .openRound(t.taskId, "bafkrei-initial", t.policy.initialModelHash, deadline);

    const ceremonyArtifacts = await loadCircuitArtifacts({ instance: "test", zkeyPath: final.zkeyPath });
    const developmentArtifacts = await loadCircuitArtifacts({ instance: "test" });
    const update: SparseUpdate = {
      dimension: t.policy.dimension,
      indices: Uint32Array.from([1, 5]),
      values: Int32Array.from([100, -100]),
    };
    const policyBounds = {
      d: t.policy.dimension,
      k: t.policy.maxNonZeros,
      lInf: t.policy.lInfBound,
      l2Sq: t.policy.l2Bound * t.policy.l2Bound,
    };
    const commitFor = async (member: (typeof t.members)[number], artifacts: typeof ceremonyArtifacts) => {
      const context = { task: Number(t.taskId), round: 1, member: member.address };
      const salt = randomSalt();
      const proved = await proveUpdate({ update, context, salt, policyBounds, artifacts });
      const commitment = computeCommitment({
        context: packContext(context),
        salt,
        update,
        lInf: t.policy.lInfBound,
        params: artifacts.params,
      });
      return t.rounds
        .connect(member)
        .commitUpdate(t.taskId, 1n, hexlify(randomBytes(160)), toBeHex(commitment, 32), proved.calldata);
    };
    await expect(commitFor(t.members[0]!, ceremonyArtifacts)).to.emit(t.rounds, "UpdateCommitted");
    await expect(commitFor(t.members[1]!, developmentArtifacts))
      .to.be.revertedWithCustomError(t.rounds, "FederatedRounds__InvalidProof")
      .withArgs(t.taskId, 1n, t.members[1]!.address);
    // The development key itself cannot even be pinned here.
    await expect(
      f.govern({
        kind: "UpdateTask",
        taskId: t.taskId,
        policy: { ...t.policy, verifyingKeyHash: f.testKey.keyHash },
      }),
    )
      .to.be.revertedWithCustomError(f.consortium, "Consortium__DevelopmentKeyRefused")
      .withArgs(f.testKey.keyHash);
  });
});
