/**
 * Tests written for mutants of contracts/VerifyingKeyRegistry.sol and contracts/zk/Groth16.sol that survived
 * the other contract tests (`npm run mutation:contracts -- --only VerifyingKeyRegistry,Groth16`): a key
 * coordinate equal to the base field's order, and a public signal equal to the scalar field's order (the
 * alias of 0 that ecMul would accept), with the `test` instance's real development key and a proof forged
 * from its public phase-1 secrets.
 */
import { expect } from "chai";
import { network } from "hardhat";
import {
  BN254_BASE_FIELD,
  BN254_SCALAR_FIELD,
  packBounds,
  packContext,
  verifyingKeyHash,
  verifyingKeyWords,
} from "../../src/zk/index.js";
import { forgeDevelopmentProof } from "../../src/zk/forge.js";
import type { Connection } from "./fixtures.js";
import { testArtifacts } from "./proofs.js";

const connection: Connection = await network.create();
const { ethers, networkHelpers } = connection;

const TEST_SHAPE = { maxEntries: 16, indexBits: 12, valueBits: 16 };

async function registryFixture() {
  const harness = await ethers.deployContract("VerifyingKeyRegistryHarness");
  const registry = await ethers.getContractAt("VerifyingKeyRegistry", await harness.registry());
  const { vkey } = await testArtifacts();
  const words = verifyingKeyWords(vkey);
  await harness.register(words, TEST_SHAPE, true);
  return { harness, registry, vkey, keyHash: verifyingKeyHash(words) };
}

describe("VerifyingKeyRegistry and Groth16: checks at their boundaries (mutation testing)", function () {
  it("refuses a key word equal to the base field's order, at that word", async function () {
    const { harness, registry } = await networkHelpers.loadFixture(registryFixture);
    // The `test` key with alpha's y replaced by Q (which reduces to 0, off the curve for alpha's x).
    const words = verifyingKeyWords((await testArtifacts()).vkey);
    words[1] = BN254_BASE_FIELD;
    await expect(harness.register(words, TEST_SHAPE, false))
      .to.be.revertedWithCustomError(registry, "VerifyingKeyRegistry__InvalidPoint")
      .withArgs(1n);
    words[1] = BN254_BASE_FIELD - 1n;
    await expect(harness.register(words, TEST_SHAPE, false))
      .to.be.revertedWithCustomError(registry, "VerifyingKeyRegistry__InvalidPoint")
      .withArgs(0n);
  });

  it("refuses a public signal equal to the scalar field's order, though it stands for the 0 a proof verifies with", async function () {
    const { registry, vkey, keyHash } = await networkHelpers.loadFixture(registryFixture);
    const context = packContext({ task: 1, round: 1, member: "0x" + "11".repeat(20) });
    const bounds = packBounds({ d: 1000, k: 16, lInf: 4096, l2Sq: 8192n * 8192n });
    const forged = forgeDevelopmentProof({ vkey, publicSignals: [0n, context, bounds, 0n] });
    expect(await registry.verifyUpdateProof(keyHash, forged.solidity, [0n, context, bounds, 0n])).to.equal(
      true,
    );
    expect(
      await registry.verifyUpdateProof(keyHash, forged.solidity, [BN254_SCALAR_FIELD, context, bounds, 0n]),
    ).to.equal(false);
    expect(
      await registry.verifyUpdateProof(keyHash, forged.solidity, [
        0n,
        context + BN254_SCALAR_FIELD,
        bounds,
        0n,
      ]),
    ).to.equal(false);
  });
});
