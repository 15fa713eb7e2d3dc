/**
 * Issue 11 point 10, on chain: a development key's phase 1 comes from a public beacon, so anyone can forge
 * a proof for any public inputs. Such a forgery commits wherever development keys are accepted, which is
 * why a production consortium refuses every policy that pins one.
 */
import { expect } from "chai";
import { network } from "hardhat";
import { hexlify, keccak256, randomBytes, toBeHex, toUtf8Bytes } from "ethers";
import { forgeDevelopmentProof } from "../../src/zk/forge.js";
import { deployConsortium, deployWithTask, defaultPolicy, type Connection } from "./fixtures.js";
import { testArtifacts } from "./proofs.js";

const connection: Connection = await network.create();
const { networkHelpers } = connection;

function developmentTask() {
  return deployWithTask(connection);
}
function productionConsortium() {
  return deployConsortium(connection, { development: false });
}

describe("a proof forged from the development phase 1 (issue 11 point 10)", function () {
  it("is accepted by a development deployment: the development key protects nothing", async function () {
    const f = await networkHelpers.loadFixture(developmentTask);
    const member = f.members[0]!;
    const deadline = BigInt(await networkHelpers.time.latest()) + 3600n;
    await f.rounds
      .connect(f.aggregator)
      .openRound(f.taskId, "bafkrei-initial", f.policy.initialModelHash, deadline);
    // Public inputs exactly as the contract builds them, for an update nobody proved: the bounds are the
    // policy's, the commitment anything at all.
    const commitment = 12345n;
    const context = (f.taskId << 192n) | (1n << 160n) | BigInt(member.address);
    const p = f.policy;
    const bounds =
      BigInt(p.dimension) |
      (BigInt(p.maxNonZeros) << 32n) |
      (p.lInfBound << 64n) |
      ((p.l2Bound * p.l2Bound) << 128n);
    const { vkey } = await testArtifacts();
    const forged = forgeDevelopmentProof({ vkey, publicSignals: [commitment, context, bounds, 0n] });
    await expect(
      f.rounds
        .connect(member)
        .commitUpdate(f.taskId, 1n, hexlify(randomBytes(200)), toBeHex(commitment, 32), forged.solidity),
    ).to.emit(f.rounds, "UpdateCommitted");
  });

  it("cannot be used by a production deployment: it refuses every policy pinning a development key", async function () {
    const f = await networkHelpers.loadFixture(productionConsortium);
    const now = BigInt(await networkHelpers.time.latest());
    const policy = defaultPolicy({
      verifyingKey: f.testKey,
      readers: [f.aggregator.address],
      now,
      overrides: { attestationQuorum: 1, initialModelHash: keccak256(toUtf8Bytes("m0")) },
    });
    await expect(f.govern({ kind: "CreateTask", policy }))
      .to.be.revertedWithCustomError(f.consortium, "Consortium__DevelopmentKeyRefused")
      .withArgs(f.testKey.keyHash);
  });
});
