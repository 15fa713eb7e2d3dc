/**
 * VerifyingKeyRegistry and its generic Groth16 verifier, through a test-only harness that stands in for the
 * Consortium (the registry's only writer), with real proofs from the `test` circuit instance.
 */
import { expect } from "chai";
import { network } from "hardhat";
import { anyValue } from "@nomicfoundation/hardhat-ethers-chai-matchers/withArgs";
import { bn254 } from "@noble/curves/bn254.js";
import { concat, hexlify, keccak256, randomBytes, toBeHex } from "ethers";
import {
  BN254_BASE_FIELD,
  BN254_SCALAR_FIELD,
  packContext,
  proveUpdate,
  proveUpdateChunks,
  randomSalt,
  verifierArguments,
  verifyingKeyHash,
  verifyingKeyWords,
  type SolidityProof,
} from "../../src/zk/index.js";
import { readKeyFile } from "../../src/zk/setup/index.js";
import type { Connection } from "./fixtures.js";
import { syntheticKey } from "./helpers.js";
import { honestUpdate, testArtifacts } from "./proofs.js";

const connection: Connection = await network.create();
const { ethers, networkHelpers } = connection;

const Q = BN254_BASE_FIELD;
const R = BN254_SCALAR_FIELD;
/** The `test` instance's shape (circuits/instances.json). */
const TEST_SHAPE = { maxEntries: 16, indexBits: 12, valueBits: 16 };
type Signals = [bigint, bigint, bigint, bigint];

/** A point on the G2 twist outside the r-torsion subgroup (the curve's cofactor is huge, so x = 1 gives one). */
function twistPointOutsideSubgroup(): bigint[] {
  const { Fp2 } = bn254.fields;
  const b = bn254.G2.Point.CURVE().b;
  const x = Fp2.fromBigTuple([1n, 0n]);
  const y = Fp2.sqrt(Fp2.add(Fp2.mul(Fp2.sqr(x), x), b));
  const point = bn254.G2.Point.fromAffine({ x, y });
  expect(point.isTorsionFree()).to.equal(false);
  return [x.c1, x.c0, y.c1, y.c0];
}

async function emptyRegistryFixture() {
  const [deployer, outsider] = await ethers.getSigners();
  const harness = await ethers.deployContract("VerifyingKeyRegistryHarness");
  const registry = await ethers.getContractAt("VerifyingKeyRegistry", await harness.registry());
  const artifacts = await testArtifacts();
  const words = verifyingKeyWords(artifacts.vkey);
  return {
    harness,
    registry,
    words,
    keyHash: verifyingKeyHash(words),
    deployer: deployer!,
    outsider: outsider!,
  };
}

/** The `test` key registered, the generated verifier deployed next to it, and one real proof. */
async function registeredFixture() {
  const f = await emptyRegistryFixture();
  await f.harness.register(f.words, TEST_SHAPE, true);
  const generated = await ethers.deployContract("TestUpdateVerifier");
  const artifacts = await testArtifacts();
  const dimension = 1024;
  const context = { task: 7, round: 3, member: f.deployer.address };
  const proved = await proveUpdate({
    update: honestUpdate({ dimension }),
    context,
    salt: randomSalt(),
    policyBounds: { d: dimension, k: 16, lInf: 4096, l2Sq: 10n ** 8n },
    artifacts,
  });
  const signals = proved.publicSignals.map((s) => BigInt(s)) as Signals;
  expect(signals[1]).to.equal(packContext(context));
  return { ...f, generated, proof: proved.calldata, signals };
}

/** The `test` key registered and the three chunk proofs of one 40-entry update (K = 16). */
async function chunkedFixture() {
  const f = await emptyRegistryFixture();
  await f.harness.register(f.words, TEST_SHAPE, true);
  const dimension = 1024;
  const context = { task: 7, round: 3, member: f.deployer.address };
  const indices = Uint32Array.from({ length: 40 }, (_, i) => 3 + i * 25);
  const values = Int32Array.from({ length: 40 }, (_, i) => ((i * 733) % 4000) - 2000);
  const proved = await proveUpdateChunks({
    update: { dimension, indices, values },
    context,
    salt: randomSalt(),
    policyBounds: { d: dimension, k: 48, lInf: 4096, l2Sq: 10n ** 9n },
    artifacts: await testArtifacts(),
  });
  const proofs = proved.chunks.map((c) => c.calldata);
  const signals = proved.chunks.map((c) => c.publicSignals.map((s) => BigInt(s)) as Signals);
  return { ...f, proved, proofs, signals };
}

const withWord = <T extends bigint[]>(words: readonly bigint[], i: number, value: bigint): T => {
  const copy = [...words] as T;
  copy[i] = value;
  return copy;
};

describe("VerifyingKeyRegistry and the generic Groth16 verifier", function () {
  describe("verifyUpdateProof", function () {
    it("accepts a real proof of the test circuit, as the generated verifier does", async function () {
      const { registry, generated, keyHash, proof, signals } =
        await networkHelpers.loadFixture(registeredFixture);
      expect(await registry.verifyUpdateProof(keyHash, proof, signals)).to.equal(true);
      expect(await generated.verifyProof(...verifierArguments({ proof, publicSignals: signals }))).to.equal(
        true,
      );
    });

    it("rejects the proof for any other public signal", async function () {
      const { registry, keyHash, proof, signals } = await networkHelpers.loadFixture(registeredFixture);
      for (let i = 0; i < 4; i++) {
        const tampered = withWord<Signals>(signals, i, (signals[i]! + 1n) % R);
        expect(await registry.verifyUpdateProof(keyHash, proof, tampered), `signal ${i}`).to.equal(false);
      }
    });

    it("rejects a tampered proof, whether the point leaves the curve or stays on it", async function () {
      const { registry, keyHash, proof, signals } = await networkHelpers.loadFixture(registeredFixture);
      // Off the curve: the precompiles fail, and the verifier returns false instead of reverting.
      for (const i of [0, 2, 5, 7]) {
        const tampered = withWord<SolidityProof>(proof, i, (proof[i]! + 1n) % Q);
        expect(await registry.verifyUpdateProof(keyHash, tampered, signals), `word ${i}`).to.equal(false);
      }
      // On the curve but wrong: -A and -C are valid points; only the pairing equation fails.
      const negA = withWord<SolidityProof>(proof, 1, Q - proof[1]);
      const negC = withWord<SolidityProof>(proof, 7, Q - proof[7]);
      expect(await registry.verifyUpdateProof(keyHash, negA, signals)).to.equal(false);
      expect(await registry.verifyUpdateProof(keyHash, negC, signals)).to.equal(false);
    });

    it("rejects a signal not below the scalar field r, even one congruent to the proven signal", async function () {
      const { registry, keyHash, proof, signals } = await networkHelpers.loadFixture(registeredFixture);
      for (let i = 0; i < 4; i++) {
        const aliased = withWord<Signals>(signals, i, signals[i]! + R);
        expect(await registry.verifyUpdateProof(keyHash, proof, aliased), `signal ${i}`).to.equal(false);
      }
      expect(
        await registry.verifyUpdateProof(keyHash, proof, [R, signals[1], signals[2], signals[3]]),
      ).to.equal(false);
      expect(await registry.verifyUpdateProof(keyHash, proof, [2n ** 256n - 1n, 0n, 0n, 0n])).to.equal(false);
    });

    it("rejects a coordinate not below the base field q, even one congruent to the proven coordinate", async function () {
      const { registry, keyHash, proof, signals } = await networkHelpers.loadFixture(registeredFixture);
      for (let i = 0; i < 8; i++) {
        const aliased = withWord<SolidityProof>(proof, i, proof[i]! + Q);
        expect(await registry.verifyUpdateProof(keyHash, aliased, signals), `word ${i}`).to.equal(false);
      }
    });

    it("reverts for an unknown key, and so do keyInfo and keyWords", async function () {
      const { registry, proof, signals } = await networkHelpers.loadFixture(registeredFixture);
      const unknown = hexlify(randomBytes(32));
      expect(await registry.isRegistered(unknown)).to.equal(false);
      await expect(registry.verifyUpdateProof(unknown, proof, signals))
        .to.be.revertedWithCustomError(registry, "VerifyingKeyRegistry__UnknownKey")
        .withArgs(unknown);
      await expect(registry.keyInfo(unknown))
        .to.be.revertedWithCustomError(registry, "VerifyingKeyRegistry__UnknownKey")
        .withArgs(unknown);
      await expect(registry.keyWords(unknown))
        .to.be.revertedWithCustomError(registry, "VerifyingKeyRegistry__UnknownKey")
        .withArgs(unknown);
    });

    it("costs at most 15% more gas than the generated verifier", async function () {
      const { registry, generated, keyHash, proof, signals } =
        await networkHelpers.loadFixture(registeredFixture);
      const viaRegistry = await registry.verifyUpdateProof.estimateGas(keyHash, proof, signals);
      const viaGenerated = await generated.verifyProof.estimateGas(
        ...verifierArguments({ proof, publicSignals: signals }),
      );
      console.log(
        `      gas (as a transaction): registry.verifyUpdateProof ${viaRegistry}, ` +
          `TestUpdateVerifier.verifyProof ${viaGenerated} (${((Number(viaRegistry) / Number(viaGenerated) - 1) * 100).toFixed(1)}%)`,
      );
      expect(viaRegistry * 100n).to.be.at.most(viaGenerated * 115n);
    });
  });

  describe("verifyUpdateProofs (one update's chunk proofs, batched)", function () {
    it("accepts the chunk proofs of a real 3-chunk update, each chaining to the one before", async function () {
      const { registry, keyHash, proofs, signals, proved } = await networkHelpers.loadFixture(chunkedFixture);
      expect(proofs).to.have.length(3);
      // Chunk i starts where chunk i - 1 ended; the first starts from 0, the last ends in the commitment.
      expect(signals.map((s) => s[3])).to.deep.equal([0n, ...proved.links]);
      expect(signals.map((s) => s[0])).to.deep.equal([...proved.links, proved.commitment]);
      expect(await registry.verifyUpdateProofs(keyHash, proofs, signals)).to.equal(true);
      for (let i = 0; i < 3; i++) {
        expect(await registry.verifyUpdateProof(keyHash, proofs[i]!, signals[i]!), `chunk ${i}`).to.equal(
          true,
        );
      }
      expect(await registry.verifyUpdateProofs(keyHash, proofs.slice(0, 2), signals.slice(0, 2))).to.equal(
        true,
      );
    });

    it("refuses the batch when any one proof is wrong, wherever it stands", async function () {
      const { registry, keyHash, proofs, signals } = await networkHelpers.loadFixture(chunkedFixture);
      for (let i = 0; i < 3; i++) {
        // -C is on the curve: only the combined pairing equation can notice.
        const tampered = proofs.map((p, j) => (j === i ? withWord<SolidityProof>(p, 7, Q - p[7]) : p));
        expect(await registry.verifyUpdateProofs(keyHash, tampered, signals), `proof ${i}`).to.equal(false);
        const shifted = signals.map((s, j) => (j === i ? withWord<Signals>(s, 2, s[2] + 1n) : s));
        expect(await registry.verifyUpdateProofs(keyHash, proofs, shifted), `signals ${i}`).to.equal(false);
      }
    });

    it("refuses reordered, dropped and duplicated chunks", async function () {
      const { registry, keyHash, proofs, signals } = await networkHelpers.loadFixture(chunkedFixture);
      const swapped = [proofs[1]!, proofs[0]!, proofs[2]!];
      expect(await registry.verifyUpdateProofs(keyHash, swapped, signals)).to.equal(false);
      // Chunk 2 presented as following chunk 0 (chunk 1 dropped): its previous is not chunk 0's state.
      const dropped: Signals[] = [signals[0]!, withWord<Signals>(signals[2]!, 3, signals[0]![0])];
      expect(await registry.verifyUpdateProofs(keyHash, [proofs[0]!, proofs[2]!], dropped)).to.equal(false);
      // Two proofs of one statement cannot stand in for a missing one either.
      expect(
        await registry.verifyUpdateProofs(keyHash, [proofs[0]!, proofs[0]!], [signals[0]!, signals[1]!]),
      ).to.equal(false);
    });

    it("refuses empty and mismatched batches and non-canonical signals, and reverts for an unknown key", async function () {
      const { registry, keyHash, proofs, signals } = await networkHelpers.loadFixture(chunkedFixture);
      expect(await registry.verifyUpdateProofs(keyHash, [], [])).to.equal(false);
      expect(await registry.verifyUpdateProofs(keyHash, proofs, signals.slice(0, 2))).to.equal(false);
      const aliased = signals.map((s, j) => (j === 1 ? withWord<Signals>(s, 1, s[1] + R) : s));
      expect(await registry.verifyUpdateProofs(keyHash, proofs, aliased)).to.equal(false);
      const unknown = hexlify(randomBytes(32));
      await expect(registry.verifyUpdateProofs(unknown, proofs, signals))
        .to.be.revertedWithCustomError(registry, "VerifyingKeyRegistry__UnknownKey")
        .withArgs(unknown);
    });

    it("costs less gas for three chunks than three single verifications", async function () {
      const { registry, keyHash, proofs, signals } = await networkHelpers.loadFixture(chunkedFixture);
      const batched = await registry.verifyUpdateProofs.estimateGas(keyHash, proofs, signals);
      let single = 0n;
      for (let i = 0; i < 3; i++)
        single += await registry.verifyUpdateProof.estimateGas(keyHash, proofs[i]!, signals[i]!);
      console.log(`      gas (as transactions): 3 chunks batched ${batched}, one by one ${single}`);
      expect(batched).to.be.below(single);
    });
  });

  describe("register", function () {
    it("stores the key under the hash TypeScript computes and emits it", async function () {
      const { harness, registry, words, keyHash } = await networkHelpers.loadFixture(emptyRegistryFixture);
      expect(await harness.register.staticCall(words, TEST_SHAPE, true)).to.equal(keyHash);
      await expect(harness.register(words, TEST_SHAPE, true))
        .to.emit(registry, "VerifyingKeyRegistered")
        .withArgs(keyHash, 16, 12, 16, true, anyValue);
      expect(await registry.isRegistered(keyHash)).to.equal(true);
      // The committed key file holds the same key (npm run zk:check keeps it in step with the setup).
      const committed = await readKeyFile({ instance: "test" });
      expect(committed.keyHash).to.equal(keyHash);
      expect(committed.words).to.deep.equal(words);
      expect(committed.shape).to.deep.equal(TEST_SHAPE);
    });

    it("round-trips the record and the words; the data contract's code is 0x00 || words", async function () {
      const { registry, words, keyHash } = await networkHelpers.loadFixture(registeredFixture);
      const info = await registry.keyInfo(keyHash);
      expect(info.shape.maxEntries).to.equal(16n);
      expect(info.shape.indexBits).to.equal(12n);
      expect(info.shape.valueBits).to.equal(16n);
      expect(info.developmentOnly).to.equal(true);
      expect(await registry.keyWords(keyHash)).to.deep.equal(words);
      const code = await ethers.provider.getCode(info.data);
      expect(code).to.equal(concat(["0x00", ...words.map((w) => toBeHex(w, 32))]));
      expect(keccak256(`0x${code.slice(4)}`)).to.equal(keyHash);
    });

    it("refuses anyone but the consortium that created it", async function () {
      const { harness, registry, words, outsider, deployer } =
        await networkHelpers.loadFixture(emptyRegistryFixture);
      expect(await registry.consortium()).to.equal(await harness.getAddress());
      for (const account of [outsider, deployer]) {
        await expect(registry.connect(account).register(words, TEST_SHAPE, true))
          .to.be.revertedWithCustomError(registry, "VerifyingKeyRegistry__NotConsortium")
          .withArgs(account.address);
      }
    });

    it("refuses a key that is registered already, whatever shape it is declared with", async function () {
      const { harness, registry, words, keyHash } = await networkHelpers.loadFixture(registeredFixture);
      for (const developmentOnly of [true, false]) {
        await expect(harness.register(words, { ...TEST_SHAPE, maxEntries: 8 }, developmentOnly))
          .to.be.revertedWithCustomError(registry, "VerifyingKeyRegistry__AlreadyRegistered")
          .withArgs(keyHash);
      }
    });

    it("refuses any word count but 24", async function () {
      const { harness, registry, words } = await networkHelpers.loadFixture(emptyRegistryFixture);
      for (const key of [[], words.slice(0, 21), [...words, 1n], [...words, ...words.slice(14, 16)]]) {
        await expect(harness.register(key, TEST_SHAPE, true))
          .to.be.revertedWithCustomError(registry, "VerifyingKeyRegistry__MalformedKey")
          .withArgs(key.length);
      }
    });

    it("refuses a coordinate not below q, naming the word", async function () {
      const { harness, registry, words } = await networkHelpers.loadFixture(emptyRegistryFixture);
      for (const i of [0, 3, 9, 13, 21]) {
        await expect(harness.register(withWord(words, i, words[i]! + Q), TEST_SHAPE, true))
          .to.be.revertedWithCustomError(registry, "VerifyingKeyRegistry__InvalidPoint")
          .withArgs(i);
      }
    });

    it("refuses G1 points off the curve and the point at infinity, naming the point's first word", async function () {
      const { harness, registry, words } = await networkHelpers.loadFixture(emptyRegistryFixture);
      const cases: [number, bigint[]][] = [
        [0, withWord(words, 1, (words[1]! + 1n) % Q)], // alpha
        [14, withWord(words, 14, (words[14]! + 1n) % Q)], // IC[0]
        [18, withWord(words, 19, (words[19]! + 1n) % Q)], // IC[2]
        [20, withWord(withWord(words, 20, 0n), 21, 0n)], // IC[3] = infinity
      ];
      for (const [at, key] of cases) {
        await expect(harness.register(key, TEST_SHAPE, true))
          .to.be.revertedWithCustomError(registry, "VerifyingKeyRegistry__InvalidPoint")
          .withArgs(at);
      }
    });

    it("refuses G2 points off the twist, outside the subgroup, or at infinity", async function () {
      const { harness, registry, words } = await networkHelpers.loadFixture(emptyRegistryFixture);
      const outside = twistPointOutsideSubgroup();
      const cases: [number, bigint[]][] = [
        [2, withWord(words, 3, (words[3]! + 1n) % Q)], // beta off the twist
        [6, [...words.slice(0, 6), ...outside, ...words.slice(10)]], // gamma outside the subgroup
        [10, [...words.slice(0, 10), 0n, 0n, 0n, 0n, ...words.slice(14)]], // delta = infinity
      ];
      for (const [at, key] of cases) {
        await expect(harness.register(key, TEST_SHAPE, true))
          .to.be.revertedWithCustomError(registry, "VerifyingKeyRegistry__InvalidPoint")
          .withArgs(at);
      }
    });

    it("refuses shapes the circuit template does not support and accepts its limits", async function () {
      const { harness, registry } = await networkHelpers.loadFixture(emptyRegistryFixture);
      const invalid = [
        { maxEntries: 0, indexBits: 12, valueBits: 16 },
        { maxEntries: 16, indexBits: 0, valueBits: 16 },
        { maxEntries: 16, indexBits: 33, valueBits: 16 },
        { maxEntries: 16, indexBits: 12, valueBits: 1 },
        { maxEntries: 16, indexBits: 12, valueBits: 65 },
      ];
      for (const shape of invalid) {
        await expect(harness.register(syntheticKey(), shape, false))
          .to.be.revertedWithCustomError(registry, "VerifyingKeyRegistry__InvalidShape")
          .withArgs(shape.maxEntries, shape.indexBits, shape.valueBits);
      }
      const limits = [
        { maxEntries: 1, indexBits: 1, valueBits: 2 },
        { maxEntries: 2 ** 32 - 1, indexBits: 32, valueBits: 64 },
      ];
      for (const [i, shape] of limits.entries()) {
        const key = syntheticKey(BigInt(i + 2));
        await expect(harness.register(key, shape, false))
          .to.emit(registry, "VerifyingKeyRegistered")
          .withArgs(
            verifyingKeyHash(key),
            shape.maxEntries,
            shape.indexBits,
            shape.valueBits,
            false,
            anyValue,
          );
      }
    });
  });
});
