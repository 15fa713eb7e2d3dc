import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { generateReaderKeyPair, openPayload, sealPayload } from "../../src/seal/index.js";
import {
  BN254_FIELD_MODULUS,
  ResidualStore,
  decodeUpdate,
  encodeUpdate,
  fixedPointNorms,
  flattenParams,
  sparsifyUpdate,
} from "../../src/sparse/index.js";
import { createHeliaStore, type HeliaContentStore } from "../../src/storage/index.js";

describe("sparse pipeline: delta → top-k → fixed point → wire → seal → IPFS → open → decode", () => {
  let directory: string;
  let store: HeliaContentStore;
  before(async () => {
    directory = await mkdtemp(join(tmpdir(), "cfl-pipeline-"));
    store = await createHeliaStore({ path: join(directory, "ipfs") });
  });
  after(async () => {
    await store?.stop();
    await rm(directory, { recursive: true, force: true });
  });

  it("two rounds of one member, restarted in between, arrive intact and within the policy's bounds", async () => {
    const policy = { k: 50, scale: 4096, l2Bound: 4096, lInfBound: 1024 };
    const member = "0x" + "5a".repeat(20);
    const aggregator = { id: "0x" + "a1".repeat(20), ...generateReaderKeyPair() };
    const auditor = { id: "0x" + "a2".repeat(20), ...generateReaderKeyPair() };
    const readers = [aggregator, auditor].map(({ id, publicKey }) => ({ id, publicKey }));
    const task = 2;

    for (const round of [1, 2]) {
      const { vector: delta } = flattenParams({
        tensors: [
          {
            name: "dense/kernel",
            shape: [20, 20],
            values: Float32Array.from({ length: 400 }, (_, i) => Math.sin(i + round) / 10),
          },
          {
            name: "dense/bias",
            shape: [20],
            values: Float32Array.from({ length: 20 }, (_, i) => (i - 10) / 50),
          },
        ],
      });
      // A fresh store object each round stands for a restarted member process.
      const residuals = new ResidualStore({ directory: join(directory, "residuals") });
      const previous = await residuals.load({ task, member, dimension: delta.length });
      expect(previous === undefined).to.equal(round === 1);
      const { update, residual } = sparsifyUpdate({ delta, residual: previous?.residual, policy });
      await residuals.save({ task, member, round, residual });

      const salt = BigInt("0x" + randomBytes(32).toString("hex")) % BN254_FIELD_MODULUS;
      const wire = encodeUpdate({ header: { task, round, member, scale: policy.scale, salt }, update });
      const context = { task, round, member };
      const cid = await store.put(sealPayload({ payload: wire, readers, context }));

      for (const reader of [aggregator, auditor]) {
        const envelope = await store.get(cid, { maxBytes: 64 * 1024 });
        const opened = openPayload({ envelope, reader, context });
        const decoded = decodeUpdate({
          bytes: opened,
          limits: { maxCount: policy.k, maxDimension: delta.length },
          slot: { ...context, dimension: delta.length, scale: policy.scale },
        });
        expect(decoded.header).to.deep.equal({ task, round, member, scale: policy.scale, salt });
        expect([...decoded.update.indices]).to.deep.equal([...update.indices]);
        expect([...decoded.update.values]).to.deep.equal([...update.values]);
        const { sumOfSquares, maxAbs } = fixedPointNorms(decoded.update);
        expect(decoded.update.indices.length).to.be.within(1, policy.k);
        expect(maxAbs).to.be.at.most(policy.lInfBound);
        expect(sumOfSquares <= BigInt(policy.l2Bound) ** 2n).to.be.true;
      }
    }
  });
});
