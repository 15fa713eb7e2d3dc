/** The proving pool (src/zk/prove-pool.ts): chunk proofs on worker threads, in order, failures named. */
import { expect } from "chai";
import {
  buildChunkWitnessInputs,
  proveInWorkers,
  releaseZkWorkers,
  verifyUpdateProof,
  ZkWitnessError,
} from "../../src/zk/index.js";
import type { CircuitArtifacts, UpdateWitnessInput } from "../../src/zk/types.js";
import { artifacts, BOUNDS, CONTEXT, SALT } from "./helpers.js";

/** k = 24 on the K = 16 circuit: the 20-entry update below is two chunks. */
const bounds = { ...BOUNDS, k: 24 };
const update = {
  dimension: BOUNDS.d,
  indices: Uint32Array.from({ length: 20 }, (_, i) => 5 + i * 40),
  values: Int32Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? 300 : -300)),
};

/** The test instance's artifacts and the two chunk inputs of the update above. */
async function chunkInputs(): Promise<{ art: CircuitArtifacts; inputs: UpdateWitnessInput[] }> {
  const art = await artifacts();
  const inputs = buildChunkWitnessInputs({
    update,
    context: CONTEXT,
    salt: SALT,
    policyBounds: bounds,
    params: art.params,
  });
  return { art, inputs };
}

describe("proveInWorkers: chunk proofs on worker threads", function () {
  // verifyUpdateProof starts snarkjs's curve threads in this process; stop them so mocha can exit.
  after(releaseZkWorkers);

  it("returns every chunk's proof in input order, each verifying, and nothing for no input", async function () {
    const { art, inputs } = await chunkInputs();
    expect(inputs).to.have.length(2);
    const proved = await proveInWorkers({ inputs, artifacts: art, threads: 2 });
    expect(proved.map((p) => p.publicSignals[0])).to.deep.equal(inputs.map((i) => i.commitment));
    for (const p of proved) {
      expect(
        await verifyUpdateProof({ vkey: art.vkey, proof: p.proof, publicInputs: p.publicSignals }),
      ).to.equal(true);
    }
    expect(await proveInWorkers({ inputs: [], artifacts: art })).to.deep.equal([]);
  });

  it("rejects with the failing chunk's number when one chunk's witness breaks a constraint", async function () {
    const { art, inputs } = await chunkInputs();
    const broken = [
      inputs[0]!,
      { ...inputs[1]!, commitment: (BigInt(inputs[1]!.commitment) + 1n).toString() },
    ];
    let error: unknown;
    try {
      await proveInWorkers({ inputs: broken, artifacts: art, threads: 2 });
    } catch (e) {
      error = e;
    }
    expect(error).to.be.instanceOf(ZkWitnessError);
    expect((error as Error).message).to.match(
      /^witness generation failed for chunk 2 of 2 \(the input breaks a circuit constraint\)/,
    );
  });
});
