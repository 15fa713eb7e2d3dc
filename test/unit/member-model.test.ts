/**
 * What `cfl member run` trains, from its configuration: on a built-in data set the preset the task pins
 * (forest or MLP; the data set's default when it pins none of them), the forest when `member.modelFile`
 * names it, and the modelId it then checks against the policy's.
 */
import { expect } from "chai";
import { memberTrainingData } from "../../src/cli/commands/member.js";
import { parseConfig } from "../../src/config/index.js";
import {
  AI4I_FOREST_SPEC,
  AI4I_MODEL_SPEC,
  builtinDataHash,
  forestSpecHash,
  taskLearner,
  taskModelId,
  topologyHash,
} from "../../src/learning/index.js";

const member = (extra: Record<string, unknown>) =>
  parseConfig({
    raw: { member: { dataset: "ai4i", partitions: 4, partitionIndex: 2, residualDir: "res", ...extra } },
    baseDir: "/tmp",
    env: {},
  }).member!;

describe("cfl member run: the task model from the configuration", function () {
  this.timeout(60_000);

  it("trains the built-in preset the task pins, the data set's default otherwise, and the forest member.modelFile names", async function () {
    const dataHash = builtinDataHash("ai4i");
    const mlpId = taskModelId({ topologyHash: topologyHash(AI4I_MODEL_SPEC.topology), dataHash });
    const forestId = taskModelId({ topologyHash: forestSpecHash(AI4I_FOREST_SPEC), dataHash });
    const byDefault = await memberTrainingData(member({}));
    // Whichever built-in model the task pins, on a circuit whose indices reach it.
    expect((await byDefault.model({ maxParams: 2 ** 20, modelId: forestId })).family).to.equal("forest");
    expect((await byDefault.model({ maxParams: 2 ** 20, modelId: mlpId })).modelId).to.equal(mlpId);
    // A task pinning none of them: the data set's default, which the member's check then refuses.
    const unknown = "0x" + "11".repeat(32);
    expect((await byDefault.model({ maxParams: 2 ** 20, modelId: unknown })).modelId).to.equal(forestId);
    expect((await byDefault.model({ maxParams: 2 ** 12, modelId: unknown })).modelId).to.equal(mlpId);
    // A forest id on a circuit whose indices do not reach its counts is not a candidate.
    expect((await byDefault.model({ maxParams: 2 ** 12, modelId: forestId })).modelId).to.equal(mlpId);
    const local = await memberTrainingData(member({ modelFile: "preset:ai4i-forest" }));
    const forest = await local.model({ maxParams: 2 ** 20, modelId: unknown });
    // The id a forest task's policy pins (draft-task --model preset:ai4i-forest): the member checks it first.
    expect(forest.modelId).to.equal(
      taskModelId({ topologyHash: forestSpecHash(AI4I_FOREST_SPEC), dataHash: builtinDataHash("ai4i") }),
    );
    const learner = taskLearner({
      model: forest,
      training: { epochs: 1, batchSize: 64, learningRate: 0.01 },
    });
    expect([learner.family, learner.errorFeedback]).to.deep.equal(["forest", false]);
    // Its first round: the roots' counts of its partition's rows, every tree and feature slot alike.
    const delta = await learner.localDelta({
      globalParams: new Float32Array(learner.dimension),
      data: local.data,
      seed: 1,
    });
    const total = delta.reduce((a, b) => a + b, 0);
    expect(total).to.equal(local.data.rows * AI4I_FOREST_SPEC.trees * AI4I_FOREST_SPEC.featuresPerNode);
  });
});
