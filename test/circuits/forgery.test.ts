/**
 * SECURITY TEST (issue 11, point 10): proofs of arbitrary statements against keys built on the development
 * phase 1, whose secrets follow from a public beacon (src/zk/forge.ts explains the algebra).
 *
 * (a) the development key of the `test` instance accepts a forged proof for public inputs nobody has a
 *     witness for (snarkjs, and the committed Solidity verifier on Hardhat's chain);
 * (b) the key of a ceremony built on a locally made two-party phase 1 refuses it, and cannot be forged.
 */
import { randomBytes } from "node:crypto";
import { expect } from "chai";
import { network } from "hardhat";
import * as snarkjs from "snarkjs";
import { bn254 } from "@noble/curves/bn254.js";
import { developmentPhase1Secrets, forgeDevelopmentProof } from "../../src/zk/forge.js";
import {
  BN254_SCALAR_FIELD,
  packBounds,
  packContext,
  releaseZkWorkers,
  verifierArguments,
  type CircuitArtifacts,
} from "../../src/zk/index.js";
import { findInstance } from "../../src/zk/setup/instances.js";
import { ensurePreparedPtau, readPtauInfo } from "../../src/zk/setup/ptau.js";
import { artifacts, BOUNDS, CONTEXT } from "./helpers.js";
import { productionCeremony } from "./ceremony-fixtures.js";

function randomField(): bigint {
  return BigInt(`0x${randomBytes(32).toString("hex")}`) % BN254_SCALAR_FIELD;
}

describe("forged proofs against development keys (security test)", function () {
  let dev: CircuitArtifacts;
  /**
   * Public inputs no honest prover can produce: a random commitment, bounds far beyond the circuit's, a
   * chunk continuing a state no chunk ended in.
   */
  let statements: [bigint, bigint, bigint, bigint][];

  before(async function () {
    dev = await artifacts();
    statements = [
      [randomField(), randomField(), randomField(), randomField()],
      [
        randomField(),
        packContext(CONTEXT),
        packBounds({ ...BOUNDS, lInf: 16383n, l2Sq: (1n << 60n) - 1n }),
        0n,
      ],
      [0n, 0n, 0n, 0n],
    ];
  });

  after(releaseZkWorkers);

  it("derives the development phase 1's tau, alpha, beta from its public beacon exactly as snarkjs does", async function () {
    const { tau, alpha, beta } = developmentPhase1Secrets();
    const { ptauPower } = await findInstance({ instance: "test" });
    const info = await readPtauInfo({ path: await ensurePreparedPtau({ power: ptauPower }) });
    expect(info.developmentFile).to.equal(true);
    const record = info.contributions[0]!;
    const G1 = bn254.G1.Point.BASE;
    const affine = (s: bigint): [bigint, bigint] => {
      const p = G1.multiply(s).toAffine();
      return [p.x, p.y];
    };
    expect(affine(tau)).to.deep.equal(record.tauG1);
    expect(affine(alpha)).to.deep.equal(record.alphaG1);
    expect(affine(beta)).to.deep.equal(record.betaG1);
    expect([affine(alpha).map(String), "1"].flat()).to.deep.equal(dev.vkey.vk_alpha_1);
  });

  it("(a) the development key accepts proofs of arbitrary public inputs: snarkjs and the Solidity verifier", async function () {
    const { ethers } = await network.create();
    const verifier = await ethers.deployContract("TestUpdateVerifier");
    for (const signals of statements) {
      const forged = forgeDevelopmentProof({ vkey: dev.vkey, publicSignals: signals });
      expect(forged.publicSignals).to.deep.equal(signals.map(String));
      expect(await snarkjs.groth16.verify(dev.vkey, forged.publicSignals, forged.proof)).to.equal(true);
      const onChain = await verifier
        .getFunction("verifyProof")
        .staticCall(...verifierArguments({ proof: forged.solidity, publicSignals: signals }));
      expect(onChain).to.equal(true);
      // A proof is bound to its statement: the same forged proof fails for other inputs.
      const other = [...forged.publicSignals];
      other[0] = ((BigInt(other[0]!) + 1n) % BN254_SCALAR_FIELD).toString();
      expect(await snarkjs.groth16.verify(dev.vkey, other, forged.proof)).to.equal(false);
    }
  });

  it("(b) the key of a ceremony on a two-party phase 1 refuses the forged proof, and cannot be forged", async function () {
    this.timeout(1_800_000);
    const ceremony = await (await productionCeremony()).finalize();
    expect(ceremony.developmentOnly).to.equal(false);
    for (const signals of statements) {
      const forged = forgeDevelopmentProof({ vkey: dev.vkey, publicSignals: signals });
      expect(await snarkjs.groth16.verify(ceremony.vkey, forged.publicSignals, forged.proof)).to.equal(false);
      expect(() => forgeDevelopmentProof({ vkey: ceremony.vkey, publicSignals: signals })).to.throw(
        /not the given phase-1 secrets/,
      );
    }
  });
});
