import { mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import fc from "fast-check";
import {
  ResidualStore,
  SparseInputError,
  dequantize,
  fixedPointNorms,
  flattenParams,
  quantizeUpdate,
  roundHalfAwayFromZero,
  sparsifyUpdate,
  topKWithErrorFeedback,
  unflattenParams,
} from "../../src/sparse/index.js";

function expectSparseError(fn: () => unknown, code: string): void {
  try {
    fn();
  } catch (error) {
    expect(error).to.be.instanceOf(SparseInputError);
    expect((error as SparseInputError).code).to.equal(code);
    return;
  }
  expect.fail(`expected SparseInputError ${code}`);
}

const float32Array = (minLength: number, maxLength: number) =>
  fc
    .array(fc.float({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }), { minLength, maxLength })
    .map((xs) => Float32Array.from(xs));

describe("sparse: topKWithErrorFeedback", () => {
  it("keeps the k largest magnitudes and leaves the rest as residual", () => {
    const { indices, values, residual } = topKWithErrorFeedback({
      delta: Float32Array.from([0.5, -4, 2, 3, 0, -1]),
      residual: Float32Array.from([0, 0, 0, 0, 0, 0.25]),
      k: 3,
    });
    expect([...indices]).to.deep.equal([1, 2, 3]);
    expect([...values]).to.deep.equal([-4, 2, 3]);
    expect([...residual]).to.deep.equal([0.5, 0, 0, 0, 0, -0.75]);
  });

  it("breaks ties by the lower index", () => {
    const { indices } = topKWithErrorFeedback({ delta: Float32Array.from([1, -2, 2, -2, 2]), k: 2 });
    expect([...indices]).to.deep.equal([1, 2]);
  });

  it("never keeps exact zeros, so fewer than k entries can come back", () => {
    const { indices } = topKWithErrorFeedback({ delta: Float32Array.from([0, 3, 0, 0]), k: 3 });
    expect([...indices]).to.deep.equal([1]);
  });

  it("small coordinates accumulate in the residual until they are sent", () => {
    let residual: Float32Array | undefined;
    const sent: number[] = [];
    for (let round = 0; round < 4; round++) {
      const out = topKWithErrorFeedback({ delta: Float32Array.from([1, 0.3]), residual, k: 1 });
      sent.push(...out.indices);
      residual = out.residual;
    }
    expect(sent).to.include(1);
  });

  it("rejects bad k, mismatched residual and non-finite input", () => {
    expectSparseError(() => topKWithErrorFeedback({ delta: new Float32Array(3), k: -1 }), "invalid-k");
    expectSparseError(() => topKWithErrorFeedback({ delta: new Float32Array(3), k: 1.5 }), "invalid-k");
    expectSparseError(
      () => topKWithErrorFeedback({ delta: new Float32Array(3), residual: new Float32Array(2), k: 1 }),
      "length-mismatch",
    );
    expectSparseError(
      () => topKWithErrorFeedback({ delta: Float32Array.from([1, Number.NaN]), k: 1 }),
      "non-finite",
    );
  });

  it("property: matches a reference sort, conserves delta + residual, indices strictly increase", () => {
    fc.assert(
      fc.property(
        float32Array(1, 200).chain((delta) =>
          fc.tuple(
            fc.constant(delta),
            fc.option(float32Array(delta.length, delta.length)),
            fc.integer({ min: 0, max: delta.length + 3 }),
          ),
        ),
        ([delta, residualOrNull, k]) => {
          const residual = residualOrNull ?? undefined;
          const out = topKWithErrorFeedback({ delta, residual, k });
          const accumulated = Float32Array.from(delta, (v, i) => v + (residual?.[i] ?? 0));
          const reference = [...accumulated.keys()]
            .filter((i) => accumulated[i] !== 0)
            .sort((a, b) => Math.abs(accumulated[b]!) - Math.abs(accumulated[a]!) || a - b)
            .slice(0, k)
            .sort((a, b) => a - b);
          expect([...out.indices]).to.deep.equal(reference);
          for (let i = 1; i < out.indices.length; i++)
            expect(out.indices[i]!).to.be.greaterThan(out.indices[i - 1]!);
          const rebuilt = out.residual.slice();
          out.indices.forEach((index, j) => {
            expect(out.residual[index]).to.equal(0);
            rebuilt[index] = out.values[j]!;
          });
          expect([...rebuilt]).to.deep.equal([...accumulated]);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("sparse: flattenParams / unflattenParams", () => {
  it("orders tensors byte-wise by name whatever the input order", () => {
    const tensors = [
      { name: "dense_1/kernel", shape: [2, 2], values: Float32Array.from([1, 2, 3, 4]) },
      { name: "Dense_0/bias", shape: [1], values: Float32Array.from([5]) },
      { name: "dense_1/bias", shape: [2], values: Float32Array.from([6, 7]) },
    ];
    const a = flattenParams({ tensors });
    const b = flattenParams({ tensors: [...tensors].reverse() });
    expect(a.layout.map((l) => l.name)).to.deep.equal(["Dense_0/bias", "dense_1/bias", "dense_1/kernel"]);
    expect([...a.vector]).to.deep.equal([5, 6, 7, 1, 2, 3, 4]);
    expect([...b.vector]).to.deep.equal([...a.vector]);
    expect(a.layout[2]).to.deep.include({ offset: 3, size: 4 });
    const back = unflattenParams(a);
    expect(back.map((t) => [t.name, [...t.values]])).to.deep.equal([
      ["Dense_0/bias", [5]],
      ["dense_1/bias", [6, 7]],
      ["dense_1/kernel", [1, 2, 3, 4]],
    ]);
  });

  it("rejects duplicate names, shape/value mismatch and a layout that does not cover the vector", () => {
    const t = { name: "w", shape: [2], values: new Float32Array(2) };
    expectSparseError(() => flattenParams({ tensors: [t, t] }), "invalid-tensor");
    expectSparseError(
      () => flattenParams({ tensors: [{ name: "w", shape: [3], values: new Float32Array(2) }] }),
      "invalid-tensor",
    );
    const { vector, layout } = flattenParams({ tensors: [t] });
    expectSparseError(
      () => unflattenParams({ vector: Float32Array.from([...vector, 1]), layout }),
      "invalid-layout",
    );
    expectSparseError(
      () => unflattenParams({ vector, layout: [{ ...layout[0]!, offset: 1 }] }),
      "invalid-layout",
    );
  });
});

describe("sparse: quantizeUpdate", () => {
  const policy = { scale: 4096, l2Bound: 4096, lInfBound: 2048 };

  it("rounds half away from zero", () => {
    expect([2.5, -2.5, 0.5, -0.5, 1.4999, 0.49999999999999994].map(roundHalfAwayFromZero)).to.deep.equal([
      3, -3, 1, -1, 1, 0,
    ]);
  });

  it("quantizes, clips to L-infinity and drops zeros", () => {
    const update = quantizeUpdate({
      indices: Uint32Array.from([0, 3, 7, 9]),
      values: Float32Array.from([0.25, -0.75, 0.00001, 0.1]),
      dimension: 10,
      policy,
    });
    expect([...update.indices]).to.deep.equal([0, 3, 9]);
    expect([...update.values]).to.deep.equal([1024, -2048, 410]);
    expect(update.dimension).to.equal(10);
  });

  it("clips to the L2 bound in real units before quantizing", () => {
    const update = quantizeUpdate({
      indices: Uint32Array.from([1, 2]),
      values: Float32Array.from([3, 4]),
      dimension: 3,
      policy: { scale: 100, l2Bound: 100, lInfBound: 1000 },
    });
    expect([...update.values]).to.deep.equal([60, 80]);
  });

  it("shrinks deterministically when rounding alone would break the integer L2 bound", () => {
    // 0.5 per entry rounds up to 1 everywhere: sum of squares 4 > 1^2.
    const update = quantizeUpdate({
      indices: Uint32Array.from([0, 1, 2, 3]),
      values: Float32Array.from([0.5, 0.5, 0.5, 0.5]),
      dimension: 4,
      policy: { scale: 1, l2Bound: 1, lInfBound: 10 },
    });
    expect(fixedPointNorms(update).sumOfSquares <= 1n).to.be.true;
  });

  it("rejects invalid policies and indices", () => {
    const base = { indices: Uint32Array.from([1]), values: Float32Array.from([1]), dimension: 2, policy };
    expectSparseError(() => quantizeUpdate({ ...base, policy: { ...policy, scale: 0 } }), "invalid-policy");
    expectSparseError(
      () => quantizeUpdate({ ...base, policy: { ...policy, lInfBound: 2 ** 31 } }),
      "invalid-policy",
    );
    expectSparseError(
      () => quantizeUpdate({ ...base, policy: { ...policy, l2Bound: -1 } }),
      "invalid-policy",
    );
    expectSparseError(() => quantizeUpdate({ ...base, dimension: 1 }), "invalid-indices");
    expectSparseError(
      () => quantizeUpdate({ ...base, indices: Uint32Array.from([1, 1]), values: new Float32Array(2) }),
      "invalid-indices",
    );
    expectSparseError(() => quantizeUpdate({ ...base, values: Float32Array.from([Infinity]) }), "non-finite");
    expectSparseError(() => quantizeUpdate({ ...base, maxCount: 0 }), "invalid-k");
  });

  it("property: the output ALWAYS satisfies the bounds the proof checks", () => {
    fc.assert(
      fc.property(
        fc.record({
          dimension: fc.integer({ min: 1, max: 5000 }),
          scale: fc.integer({ min: 1, max: 2 ** 20 }),
          l2Bound: fc.integer({ min: 0, max: 2 ** 40 }),
          lInfBound: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
          entries: fc.array(fc.tuple(fc.nat(), fc.float({ noNaN: true, noDefaultInfinity: true })), {
            maxLength: 64,
          }),
        }),
        ({ dimension, scale, l2Bound, lInfBound, entries }) => {
          const byIndex = new Map(entries.map(([i, v]) => [i % dimension, v]));
          const indices = Uint32Array.from([...byIndex.keys()].sort((a, b) => a - b));
          const values = Float32Array.from(indices, (i) => byIndex.get(i)!);
          const update = quantizeUpdate({
            indices,
            values,
            dimension,
            policy: { scale, l2Bound, lInfBound },
          });
          const { sumOfSquares, maxAbs } = fixedPointNorms(update);
          expect(maxAbs).to.be.at.most(lInfBound);
          expect(sumOfSquares <= BigInt(l2Bound) ** 2n, `sum ${sumOfSquares} > ${l2Bound}^2`).to.be.true;
          expect(update.indices.length).to.be.at.most(indices.length);
          expect(update.values.every((v) => v !== 0)).to.be.true;
          for (let i = 0; i < update.indices.length; i++) {
            expect(update.indices[i]!).to.be.below(dimension);
            if (i > 0) expect(update.indices[i]!).to.be.greaterThan(update.indices[i - 1]!);
          }
        },
      ),
      { numRuns: 1000 },
    );
  });

  it("property: within the bounds, dequantize(quantize(x)) is within half a unit of x", () => {
    fc.assert(
      fc.property(float32Array(1, 50), (raw) => {
        const values = raw.map((v) => v / 1e7); // |v| <= 0.1
        const indices = Uint32Array.from(values, (_, i) => i);
        const scale = 1 << 16;
        const update = quantizeUpdate({
          indices,
          values,
          dimension: values.length,
          policy: { scale, l2Bound: 2 ** 40, lInfBound: 2 ** 31 - 1 },
        });
        const back = dequantize({ update, scale });
        const sent = new Map([...update.indices].map((index, j) => [index, back[j]!]));
        values.forEach((v, i) => expect(Math.abs((sent.get(i) ?? 0) - v)).to.be.at.most(0.5 / scale + 1e-12));
      }),
    );
  });
});

describe("sparse: sparsifyUpdate", () => {
  it("sends at most k bounded entries and keeps everything unsent in the residual", () => {
    const policy = { k: 3, scale: 1000, l2Bound: 1000, lInfBound: 600 };
    const delta = Float32Array.from([0.1, -0.9, 0.05, 0.8, 0.2, 0.0004]);
    const { update, residual } = sparsifyUpdate({ delta, policy });
    expect(update.indices.length).to.be.at.most(3);
    const { sumOfSquares, maxAbs } = fixedPointNorms(update);
    expect(maxAbs).to.be.at.most(600);
    expect(sumOfSquares <= 1000n ** 2n).to.be.true;
    const sent = new Float32Array(delta.length);
    update.indices.forEach((index, j) => (sent[index] = update.values[j]! / 1000));
    delta.forEach((v, i) => expect(sent[i]! + residual[i]!).to.be.closeTo(v, 1e-6));
  });
});

describe("sparse: ResidualStore", () => {
  let directory: string;
  before(async () => {
    directory = await mkdtemp(join(tmpdir(), "cfl-residual-"));
  });
  after(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  const member = "0x00000000000000000000000000000000000000Ab";

  it("returns undefined before the first save, then what was saved (a restarted member continues)", async () => {
    const store = new ResidualStore({ directory });
    expect(await store.load({ task: 7, member })).to.equal(undefined);
    const residual = Float32Array.from([0.5, -1.25, 0, 3e-8]);
    await store.save({ task: 7, member, round: 3, residual });
    const again = new ResidualStore({ directory });
    const loaded = await again.load({ task: 7, member: member.toLowerCase(), dimension: 4 });
    expect(loaded?.round).to.equal(3);
    expect([...loaded!.residual]).to.deep.equal([...residual]);
    expect(await again.load({ task: 8, member })).to.equal(undefined);
    await again.save({ task: 7, member, round: 4, residual: Float32Array.from([1, 2, 3, 4]) });
    expect([...(await again.load({ task: 7, member }))!.residual]).to.deep.equal([1, 2, 3, 4]);
    const files = await readdir(join(directory, "task-7"));
    expect(files.filter((f) => f.endsWith(".tmp"))).to.deep.equal([]);
  });

  it("detects a corrupted file and a dimension that does not match the model", async () => {
    const store = new ResidualStore({ directory });
    await store.save({ task: 9, member, round: 1, residual: Float32Array.from([1, 2]) });
    await expectRejects(store.load({ task: 9, member, dimension: 3 }), "residual-corrupt");
    const path = join(directory, "task-9", `${member.toLowerCase()}.residual`);
    const bytes = await readFile(path);
    bytes[20] = bytes[20]! ^ 1;
    await writeFile(path, bytes);
    await expectRejects(store.load({ task: 9, member }), "residual-corrupt");
  });

  it("rejects a malformed member address", async () => {
    const store = new ResidualStore({ directory });
    await expectRejects(store.load({ task: 1, member: "../../etc/passwd" }), "invalid-context");
  });
});

async function expectRejects(promise: Promise<unknown>, code: string): Promise<void> {
  try {
    await promise;
  } catch (error) {
    expect(error).to.be.instanceOf(SparseInputError);
    expect((error as SparseInputError).code).to.equal(code);
    return;
  }
  expect.fail(`expected rejection with ${code}`);
}
