/**
 * The TypeScript commitment equals the circuit's on the committed vectors (test and demo shapes), and on
 * random updates; the public-input packing round-trips and rejects out-of-range fields.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import fc from "fast-check";
import {
  BN254_SCALAR_FIELD,
  buildWitnessInput,
  computeCommitment,
  packBounds,
  packContext,
  packEntries,
  randomSalt,
  releaseZkWorkers,
  unpackBounds,
  unpackContext,
  type CircuitParams,
  type PolicyBounds,
} from "../../src/zk/index.js";
import { compileInstance, findInstance } from "../../src/zk/setup/index.js";
import type { SparseUpdate } from "../../src/sparse/types.js";
import { artifacts, computeWitness } from "./helpers.js";
import { generateVectors, readVectors, toSparseUpdate, type CommitmentVector } from "./vectors.js";

/** Loose bounds for a vector: everything it carries is allowed, so only the commitment is under test. */
function boundsFor(v: CommitmentVector): PolicyBounds {
  return { d: v.update.dimension, k: v.params.K, lInf: BigInt(v.lInf), l2Sq: (1n << 96n) - 1n };
}

describe("Poseidon commitment: TypeScript vs circuit", function () {
  const file = readVectors();
  const wasmByInstance = new Map<string, string>();
  let scratch: string;

  before(async function () {
    wasmByInstance.set("test", (await artifacts()).wasmPath);
    // The demo shape only needs its witness generator here: compile it (seconds), no keys.
    scratch = await mkdtemp(join(tmpdir(), "cfl-commitment-"));
    const demo = await compileInstance({
      instance: await findInstance({ instance: "demo" }),
      outDir: scratch,
    });
    wasmByInstance.set("demo", demo.wasmPath);
  });

  after(async function () {
    await releaseZkWorkers();
    if (scratch !== undefined) await rm(scratch, { recursive: true, force: true });
  });

  it("the committed vectors still match the TypeScript implementation", function () {
    expect(file.vectors.length).to.be.greaterThanOrEqual(6);
    expect(generateVectors()).to.deep.equal(file);
    for (const v of file.vectors) {
      const update = toSparseUpdate(v.update);
      expect(packContext(v.context).toString(), v.name).to.equal(v.packedContext);
      const entries = packEntries({
        update,
        lInf: BigInt(v.lInf),
        K: v.params.K,
        valBits: v.params.VAL_BITS,
      });
      expect(entries.map(String), v.name).to.deep.equal(v.entries);
      const commitment = computeCommitment({
        context: BigInt(v.packedContext),
        salt: BigInt(v.salt),
        update,
        lInf: BigInt(v.lInf),
        params: v.params,
      });
      expect(commitment.toString(), v.name).to.equal(v.commitment);
    }
  });

  it("the circuit accepts each vector's commitment and exposes it as public signal 0", async function () {
    for (const v of file.vectors) {
      const input = buildWitnessInput({
        update: toSparseUpdate(v.update),
        context: v.context,
        salt: BigInt(v.salt),
        policyBounds: boundsFor(v),
        params: v.params,
      });
      expect(input.commitment, v.name).to.equal(v.commitment);
      const result = await computeWitness(input, wasmByInstance.get(v.instance)!);
      expect(result.ok ? "ok" : result.error, v.name).to.equal("ok");
      // Witness layout: [1, public inputs in declaration order, ...]: the commitment is wire 1.
      if (result.ok) expect(result.witness[1]!.toString(), v.name).to.equal(v.commitment);
      // And the circuit rejects the vector's commitment plus one.
      const off = await computeWitness(
        { ...input, commitment: (BigInt(v.commitment) + 1n).toString() },
        wasmByInstance.get(v.instance)!,
      );
      expect(off.ok, v.name).to.equal(false);
    }
  });

  it("agrees with the circuit on random updates (property)", async function () {
    const params: CircuitParams = (await artifacts()).params;
    const wasm = wasmByInstance.get("test")!;
    const arbitrary = fc
      .record({
        d: fc.integer({ min: 1, max: 2 ** params.IDX_BITS }),
        lInf: fc.integer({ min: 0, max: 2 ** (params.VAL_BITS - 1) - 1 }),
        count: fc.integer({ min: 0, max: params.K }),
        seed: fc.integer(),
        task: fc.nat(),
        round: fc.nat(),
        member: fc.uint8Array({ minLength: 20, maxLength: 20 }),
      })
      .filter((r) => r.count <= r.d);
    await fc.assert(
      fc.asyncProperty(arbitrary, async (r) => {
        const [indices] = fc.sample(
          fc.uniqueArray(fc.integer({ min: 0, max: r.d - 1 }), { minLength: r.count, maxLength: r.count }),
          { numRuns: 1, seed: r.seed },
        );
        const [values] = fc.sample(
          fc.array(fc.integer({ min: -r.lInf, max: r.lInf }), { minLength: r.count, maxLength: r.count }),
          {
            numRuns: 1,
            seed: r.seed + 1,
          },
        );
        const update: SparseUpdate = {
          dimension: r.d,
          indices: Uint32Array.from(indices!.sort((a, b) => a - b)),
          values: Int32Array.from(values!),
        };
        const context = {
          task: r.task,
          round: r.round,
          member: `0x${Buffer.from(r.member).toString("hex")}`,
        };
        const bounds: PolicyBounds = { d: r.d, k: params.K, lInf: r.lInf, l2Sq: (1n << 96n) - 1n };
        const input = buildWitnessInput({
          update,
          context,
          salt: randomSalt(),
          policyBounds: bounds,
          params,
        });
        const result = await computeWitness(input, wasm);
        expect(result.ok ? "ok" : result.error).to.equal("ok");
      }),
      { numRuns: 25 },
    );
  });

  it("packContext and packBounds round-trip and place fields as the contract does", function () {
    fc.assert(
      fc.property(
        fc.nat({ max: 0xffff_ffff }),
        fc.nat({ max: 0xffff_ffff }),
        fc.uint8Array({ minLength: 20, maxLength: 20 }),
        (task, round, memberBytes) => {
          const member = `0x${Buffer.from(memberBytes).toString("hex")}`;
          const packed = packContext({ task, round, member });
          expect(packed < 1n << 224n).to.equal(true);
          expect(unpackContext(packed)).to.deep.equal({ task, round, member });
        },
      ),
    );
    fc.assert(
      fc.property(
        fc.nat({ max: 0xffff_ffff }),
        fc.nat({ max: 0xffff_ffff }),
        fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
        fc.bigInt({ min: 0n, max: (1n << 96n) - 1n }),
        (d, k, lInf, l2Sq) => {
          const packed = packBounds({ d, k, lInf, l2Sq });
          expect(packed).to.equal(BigInt(d) + (BigInt(k) << 32n) + (lInf << 64n) + (l2Sq << 128n));
          expect(unpackBounds(packed)).to.deep.equal({ d, k, lInf, l2Sq });
        },
      ),
    );
    expect(() => packContext({ task: 2 ** 32, round: 0, member: "0x" + "00".repeat(20) })).to.throw(/task/);
    expect(() => packContext({ task: 0, round: 0, member: "0x1234" })).to.throw(/member/);
    expect(() => packBounds({ d: 1, k: 1, lInf: 1n << 64n, l2Sq: 0n })).to.throw(/lInf/);
    expect(() => packBounds({ d: 1, k: 1, lInf: 0n, l2Sq: 1n << 96n })).to.throw(/l2Sq/);
  });

  it("randomSalt is a field element and does not repeat", function () {
    const salts = Array.from({ length: 200 }, () => randomSalt());
    for (const s of salts) expect(s >= 0n && s < BN254_SCALAR_FIELD).to.equal(true);
    expect(new Set(salts).size).to.equal(salts.length);
  });
});
