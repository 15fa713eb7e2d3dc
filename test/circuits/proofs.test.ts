/**
 * Groth16 proofs from the `test` instance: honest updates (one chunk, or several) prove and verify off-chain
 * and with the generated Solidity verifier; a proof never verifies against another member's, round's, task's,
 * policy's or previous state's inputs. (Chunk borders: soundness.test.ts.)
 */
import { expect } from "chai";
import fc from "fast-check";
import { network } from "hardhat";
import * as snarkjs from "snarkjs";
import type { SparseUpdate, UpdateContext } from "../../src/sparse/types.js";
import {
  packBounds,
  packContext,
  proveUpdate,
  proveUpdateChunks,
  publicInputsFor,
  randomSalt,
  releaseZkWorkers,
  toSolidityProof,
  verifyUpdateProof,
  type CircuitArtifacts,
  type PolicyBounds,
  type UpdateProof,
  type UpdatePublicInputs,
  verifierArguments,
  ZkInputError,
  chunkPublicInputs,
} from "../../src/zk/index.js";
import { artifacts, BOUNDS, CONTEXT } from "./helpers.js";

/** A random honest update: `count` distinct sorted indices below d, values within ±lInf, L2 within bounds. */
function randomUpdate(count: number, bounds: PolicyBounds, seed: number): SparseUpdate {
  const [sample] = fc.sample(
    fc.record({
      indices: fc.uniqueArray(fc.integer({ min: 0, max: bounds.d - 1 }), {
        minLength: count,
        maxLength: count,
      }),
      values: fc.array(fc.integer({ min: -Number(bounds.lInf), max: Number(bounds.lInf) }), {
        minLength: count,
        maxLength: count,
      }),
    }),
    { numRuns: 1, seed },
  );
  const indices = Uint32Array.from(sample!.indices.sort((a, b) => a - b));
  return { dimension: bounds.d, indices, values: Int32Array.from(sample!.values) };
}

describe("UpdateBounds proofs (test instance)", function () {
  let art: CircuitArtifacts;
  // Full policy: k = K slots, an L2 bound loose enough for K values at ±lInf.
  let bounds: PolicyBounds;

  before(async function () {
    art = await artifacts();
    bounds = { ...BOUNDS, k: art.params.K, l2Sq: BigInt(art.params.K) * BigInt(BOUNDS.lInf) ** 2n };
  });

  after(releaseZkWorkers);

  async function proveAndCheck(
    update: SparseUpdate,
    context: UpdateContext,
  ): Promise<{
    proved: UpdateProof;
    pub: UpdatePublicInputs;
  }> {
    const salt = randomSalt();
    const proved = await proveUpdate({ update, context, salt, policyBounds: bounds, artifacts: art });
    const pub = publicInputsFor({ update, context, salt, policyBounds: bounds, params: art.params });
    // Public-signal order is part of the contract interface: [commitment, context, bounds, previous], and a
    // one-chunk update starts from previous = 0.
    expect(pub.previous).to.equal(0n);
    expect(proved.publicSignals).to.deep.equal(
      [pub.commitment, pub.context, pub.bounds, pub.previous].map(String),
    );
    expect(await verifyUpdateProof({ vkey: art.vkey, proof: proved.proof, publicInputs: pub })).to.equal(
      true,
    );
    return { proved, pub };
  }

  it("proves and verifies honest updates: empty, one entry, random, all K slots at the bounds", async function () {
    const K = art.params.K;
    const full: SparseUpdate = {
      dimension: bounds.d,
      indices: Uint32Array.from({ length: K }, (_, i) => i * 60 + 59),
      values: Int32Array.from({ length: K }, (_, i) => (i % 2 === 0 ? 1 : -1) * Number(bounds.lInf)),
    };
    const updates: SparseUpdate[] = [
      { dimension: bounds.d, indices: new Uint32Array(0), values: new Int32Array(0) },
      {
        dimension: bounds.d,
        indices: Uint32Array.from([0]),
        values: Int32Array.from([-Number(bounds.lInf)]),
      },
      randomUpdate(7, bounds, 42),
      full,
    ];
    for (const update of updates) await proveAndCheck(update, CONTEXT);
  });

  it("proves an update of more than K entries in chunks only; proveUpdate refuses it with a message", async function () {
    const K = art.params.K;
    const policyBounds = { ...bounds, k: K + 1 };
    const update = randomUpdate(K + 1, policyBounds, 5);
    const salt = randomSalt();
    try {
      await proveUpdate({ update, context: CONTEXT, salt, policyBounds, artifacts: art });
      expect.fail("proveUpdate proved an update of two chunks");
    } catch (error) {
      expect(error).to.be.instanceOf(ZkInputError);
      expect((error as Error).message).to.match(/2 chunk proofs.*proveUpdateChunks/);
    }
    const proved = await proveUpdateChunks({ update, context: CONTEXT, salt, policyBounds, artifacts: art });
    const pub = chunkPublicInputs({ update, context: CONTEXT, salt, policyBounds, params: art.params });
    expect(proved.chunks).to.have.length(2);
    expect(pub.map((p) => p.previous)).to.deep.equal([0n, pub[0]!.commitment]);
    for (const [c, chunk] of proved.chunks.entries()) {
      expect(await verifyUpdateProof({ vkey: art.vkey, proof: chunk.proof, publicInputs: pub[c]! })).to.equal(
        true,
      );
    }
  });

  it("rejects a valid proof against another member, round, task, policy bounds or previous state", async function () {
    const update = randomUpdate(5, bounds, 7);
    const { proved, pub } = await proveAndCheck(update, CONTEXT);
    const variants: Record<string, UpdatePublicInputs> = {
      "another member": { ...pub, context: packContext({ ...CONTEXT, member: "0x" + "cd".repeat(20) }) },
      "another round": { ...pub, context: packContext({ ...CONTEXT, round: CONTEXT.round + 1 }) },
      "another task": { ...pub, context: packContext({ ...CONTEXT, task: CONTEXT.task + 1 }) },
      "a looser L2 bound": { ...pub, bounds: packBounds({ ...bounds, l2Sq: BigInt(bounds.l2Sq) + 1n }) },
      "a tighter k": { ...pub, bounds: packBounds({ ...bounds, k: bounds.k - 1 }) },
      "another d": { ...pub, bounds: packBounds({ ...bounds, d: bounds.d + 1 }) },
      "another lInf": { ...pub, bounds: packBounds({ ...bounds, lInf: BigInt(bounds.lInf) + 1n }) },
      "another commitment": { ...pub, commitment: pub.commitment + 1n },
      "a previous state (as a later chunk)": { ...pub, previous: pub.commitment },
      "previous = 1": { ...pub, previous: 1n },
    };
    for (const [label, inputs] of Object.entries(variants)) {
      expect(
        await verifyUpdateProof({ vkey: art.vkey, proof: proved.proof, publicInputs: inputs }),
        label,
      ).to.equal(false);
    }
  });

  it("orders calldata exactly like snarkjs's exportSolidityCallData", async function () {
    const { proved } = await proveAndCheck(randomUpdate(3, bounds, 3), CONTEXT);
    const text = await snarkjs.groth16.exportSolidityCallData(proved.proof, proved.publicSignals);
    const numbers = (JSON.parse(`[${text}]`) as unknown[]).flat(2).map((x) => BigInt(x as string));
    expect(proved.calldata).to.deep.equal(numbers.slice(0, 8));
    expect(toSolidityProof(proved.proof)).to.deep.equal(proved.calldata);
    expect(numbers.slice(8)).to.deep.equal(proved.publicSignals.map(BigInt));
  });

  it("verifies with the generated TestUpdateVerifier on Hardhat's network, and fails when a public input changes", async function () {
    const { proved, pub } = await proveAndCheck(randomUpdate(4, bounds, 11), CONTEXT);
    const { ethers } = await network.create();
    const verifier = await ethers.deployContract("TestUpdateVerifier");
    const callWith =
      (calldata: UpdateProof["calldata"]) =>
      (publicSignals: [bigint, bigint, bigint, bigint]): Promise<boolean> =>
        verifier
          .getFunction("verifyProof")
          .staticCall(...verifierArguments({ proof: calldata, publicSignals }));
    const call = callWith(proved.calldata);
    expect(await call([pub.commitment, pub.context, pub.bounds, pub.previous])).to.equal(true);
    expect(
      await call([
        pub.commitment,
        packContext({ ...CONTEXT, round: CONTEXT.round + 1 }),
        pub.bounds,
        pub.previous,
      ]),
    ).to.equal(false);
    expect(await call([pub.commitment, pub.context, pub.bounds + 1n, pub.previous])).to.equal(false);
    expect(await call([pub.commitment + 1n, pub.context, pub.bounds, pub.previous])).to.equal(false);
    expect(await call([pub.commitment, pub.context, pub.bounds, 1n])).to.equal(false);
    const gas = await verifier.getFunction("verifyProof").estimateGas(
      ...verifierArguments({
        proof: proved.calldata,
        publicSignals: [pub.commitment, pub.context, pub.bounds, pub.previous],
      }),
    );
    expect(Number(gas)).to.be.greaterThan(150_000);

    // Two chunks: each verifies on chain with the state before it, the second not as a first chunk.
    const policyBounds = { ...bounds, k: art.params.K + 3 };
    const update = randomUpdate(art.params.K + 3, policyBounds, 12);
    const salt = randomSalt();
    const chunked = await proveUpdateChunks({ update, context: CONTEXT, salt, policyBounds, artifacts: art });
    const chunkPub = chunkPublicInputs({ update, context: CONTEXT, salt, policyBounds, params: art.params });
    const signals = (p: UpdatePublicInputs): [bigint, bigint, bigint, bigint] => [
      p.commitment,
      p.context,
      p.bounds,
      p.previous,
    ];
    for (const [c, chunk] of chunked.chunks.entries())
      expect(await callWith(chunk.calldata)(signals(chunkPub[c]!)), `chunk ${c + 1}`).to.equal(true);
    expect(await callWith(chunked.chunks[1]!.calldata)(signals({ ...chunkPub[1]!, previous: 0n }))).to.equal(
      false,
    );
  });
});
