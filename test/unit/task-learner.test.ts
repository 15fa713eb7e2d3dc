/**
 * The model-family seam (`taskLearner`) and the forest as a task's model: the preset and a forest.json
 * resolve to a modelId that pins the spec's hash and the data; a member's delta is its counts at the level
 * the model has reached; nothing is carried over between rounds; the files a demo writes read back as the
 * same model. And the refusals: a forest that does not read the data set, weights for a forest.
 */
import { expect } from "chai";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  AI4I_FOREST_SPEC,
  AI4I_MODEL_SPEC,
  builtinDataHash,
  deriveForest,
  FOREST_FILE_FORMAT,
  forestDimension,
  forestMemberUpdate,
  forestSpecHash,
  loadDataset,
  readModelFile,
  resolveTaskModel,
  taskInitialParams,
  taskLearner,
  taskModelId,
  topologyHash,
  type HistogramForestSpec,
} from "../../src/learning/index.js";
import { ruleData, ruleForestSpec } from "../support/forest-data.js";
import { refusal } from "../support/refusal.js";

const TRAINING = { epochs: 1, batchSize: 64, learningRate: 0.01 } as const;

const SMALL: HistogramForestSpec = ruleForestSpec({
  id: "three-features",
  trees: 2,
  depth: 3,
  bins: 8,
  seed: 5,
});

async function forestFile(spec: unknown): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "cfl-forest-"));
  const path = join(dir, "forest.json");
  await writeFile(path, JSON.stringify({ format: FOREST_FILE_FORMAT, forest: spec }));
  return path;
}

describe("task learners: the forest as a task's model", function () {
  this.timeout(60_000);

  it("resolves preset:ai4i-forest and pins its spec's hash with the data set's", async function () {
    const task = await resolveTaskModel({
      modelFile: "preset:ai4i-forest",
      dataset: "ai4i",
      maxParams: 2 ** 20,
    });
    expect(task.family).to.equal("forest");
    expect(task.topologyHash).to.equal(forestSpecHash(AI4I_FOREST_SPEC));
    expect(task.modelId).to.equal(
      taskModelId({ topologyHash: forestSpecHash(AI4I_FOREST_SPEC), dataHash: builtinDataHash("ai4i") }),
    );
    // Another model of the same data is another modelId: a member cannot grow a forest for an MLP task.
    const mlp = await resolveTaskModel({ dataset: "ai4i", maxParams: 4096 });
    expect(mlp.modelId).to.not.equal(task.modelId);
    expect(mlp.topologyHash).to.equal(topologyHash(AI4I_MODEL_SPEC.topology));
    const initial = await taskInitialParams({ model: task, seed: 3 });
    expect(initial.params.length).to.equal(forestDimension(AI4I_FOREST_SPEC));
    expect(initial.params.every((v) => v === 0)).to.equal(true);
  });

  it("has ranges that hold every row of the built-in AI4I data set", function () {
    const data = loadDataset({ name: "ai4i", members: 4, seed: 1 });
    for (const part of [data.train, data.test]) {
      const width = part.featureShape[0]!;
      for (let i = 0; i < part.features.length; i++) {
        const [low, high] = AI4I_FOREST_SPEC.ranges[i % width]!;
        expect(part.features[i]!).to.be.within(low, high);
      }
    }
  });

  it("reads a forest.json like a model.json, and refuses one that does not fit, or weights for it", async function () {
    const path = await forestFile(SMALL);
    const model = await readModelFile(path);
    expect(model.family === "forest" && model.forest).to.deep.equal(SMALL);
    expect(
      await refusal(() => resolveTaskModel({ modelFile: path, dataset: "ai4i", maxParams: 4096 })),
    ).to.equal(
      'model "three-features" takes [3] → 2 classes; the ai4i data set gives [10] → 2 (name the task\'s --schema)',
    );
    expect(await refusal(async () => readModelFile(await forestFile({ ...SMALL, bins: 1 })))).to.match(
      /^forest "three-features": bins must be at least 2/,
    );
    expect(await refusal(() => taskInitialParams({ model, files: ["w.bin"], seed: 1 }))).to.equal(
      'forest "three-features" takes no weights: it starts with no counts',
    );
  });

  it("a forest member's delta is its counts at the model's level; no error feedback; sum at scale 1", async function () {
    const model = await readModelFile(await forestFile(SMALL));
    const learner = taskLearner({ model, training: TRAINING });
    expect([
      learner.family,
      learner.errorFeedback,
      learner.policy?.rule,
      learner.policy?.scale,
    ]).to.deep.equal(["forest", false, "sum", 1]);
    const data = ruleData(200, 3);
    const empty = new Float32Array(learner.dimension);
    const delta = await learner.localDelta({ globalParams: empty, data, seed: 1 });
    const expected = forestMemberUpdate({
      forest: deriveForest({ spec: SMALL, counts: new Int32Array(learner.dimension) }),
      data,
      level: 0,
    });
    const sent = [...delta.keys()].filter((i) => delta[i] !== 0);
    expect(sent).to.deep.equal(Array.from(expected.indices));
    expect(sent.map((i) => delta[i])).to.deep.equal(Array.from(expected.values));
    // With the roots counted, the next delta grows level 1: other cells, no root counted twice.
    const next = await learner.localDelta({ globalParams: delta, data, seed: 2 });
    const nextSent = [...next.keys()].filter((i) => next[i] !== 0);
    expect(nextSent.length).to.be.greaterThan(0);
    expect(nextSent.some((i) => delta[i] !== 0)).to.equal(false);
    // A model that is not counts is refused rather than truncated.
    const fractional = new Float32Array(learner.dimension);
    fractional[0] = 0.5;
    expect(await refusal(() => learner.evaluate({ params: fractional, data }))).to.match(/is not a count/);
  });

  it("writes the final forest as files that read back as the task's model", async function () {
    const model = await readModelFile(await forestFile(SMALL));
    const learner = taskLearner({ model, training: TRAINING });
    const data = ruleData(200, 4);
    const counts = await learner.localDelta({
      globalParams: new Float32Array(learner.dimension),
      data,
      seed: 1,
    });
    const files = learner.modelFiles({ params: counts });
    expect(files.map((f) => f.name)).to.deep.equal(["forest.json", "forest-trees.json"]);
    const path = join(await mkdtemp(join(tmpdir(), "cfl-forest-out-")), "forest.json");
    await writeFile(path, files[0]!.bytes);
    expect((await readModelFile(path)).topologyHash).to.equal(model.topologyHash);
    const trees = JSON.parse(new TextDecoder().decode(files[1]!.bytes)) as { roots: { kind: string }[] };
    expect(trees.roots).to.have.length(SMALL.trees);
    expect(trees.roots.every((r) => r.kind === "split")).to.equal(true);
    const metrics = await learner.evaluate({ params: counts, data });
    expect(metrics.macroF1).to.be.greaterThan(0.5);
  });

  it("the neural learner trains by gradient steps and keeps error feedback", async function () {
    const model = await readModelFile(`preset:${AI4I_MODEL_SPEC.id}`);
    const learner = taskLearner({ model, training: TRAINING });
    expect([learner.family, learner.errorFeedback, learner.policy]).to.deep.equal([
      "neural",
      true,
      undefined,
    ]);
    expect(
      learner.modelFiles({ params: new Float32Array(learner.dimension) }).map((f) => f.name),
    ).to.deep.equal(["model.json", "weights.bin"]);
  });
});
