/**
 * What `cfl member run` trains, from its configuration: a built-in data set's preset by default, the
 * forest when `member.modelFile` names it, and the modelId it then checks against the policy's.
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

  it("trains the data set's preset by default and grows the forest when member.modelFile names it", async function () {
    const neural = await (await memberTrainingData(member({}))).model(2 ** 12);
    expect(neural.modelId).to.equal(
      taskModelId({
        topologyHash: topologyHash(AI4I_MODEL_SPEC.topology),
        dataHash: builtinDataHash("ai4i"),
      }),
    );
    const local = await memberTrainingData(member({ modelFile: "preset:ai4i-forest" }));
    const forest = await local.model(2 ** 20);
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
