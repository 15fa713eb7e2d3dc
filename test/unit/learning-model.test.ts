import { expect } from "chai";
import {
  AI4I_MODEL_SPEC,
  classWeights,
  createModel,
  evaluate,
  getParams,
  initBackend,
  initialParams,
  InvalidModelSpecError,
  InvalidTrainingInputError,
  loadDataset,
  paramCount,
  paramLayout,
  ParamsMismatchError,
  setParams,
  SUPPLYCHAIN_QUALITY_SPEC,
  trainLocal,
  type FederatedDataset,
  type LabelledData,
  type ModelSpec,
} from "../../src/learning/index.js";

const POLICY = { epochs: 2, batchSize: 32, learningRate: 0.01 } as const;

function firstRows(data: LabelledData, rows: number): LabelledData {
  const width = data.featureShape.reduce((a, b) => a * b, 1);
  return {
    ...data,
    rows,
    features: data.features.slice(0, rows * width),
    labels: data.labels.slice(0, rows),
  };
}

describe("learning model and local training", function () {
  let ai4i: FederatedDataset;
  before(function () {
    ai4i = loadDataset({ name: "ai4i", members: 3, seed: 1 });
  });

  it("selects a backend that runs without downloads, the same one every call", async function () {
    const backend = await initBackend();
    expect(["tensorflow", "wasm", "cpu"]).to.include(backend);
    expect(await initBackend()).to.equal(backend);
  });

  it("lays parameters out layer by layer (kernel, bias) with d in the zk-friendly range", function () {
    const layout = paramLayout(AI4I_MODEL_SPEC);
    const names = layout.map((t) => t.name);
    expect(names).to.deep.equal([
      "encoder_0/kernel",
      "encoder_0/bias",
      "encoder_1/kernel",
      "encoder_1/bias",
      "classifier/kernel",
      "classifier/bias",
    ]);
    let offset = 0;
    for (const t of layout) {
      expect(t.offset).to.equal(offset);
      offset += t.size;
    }
    expect(paramCount(AI4I_MODEL_SPEC)).to.equal(offset).and.equal(1778);
    const lstm = paramLayout(SUPPLYCHAIN_QUALITY_SPEC).map((t) => t.name);
    expect(lstm).to.include.members(["lstm/kernel", "lstm/recurrent_kernel", "lstm/bias"]);
    expect(paramCount(SUPPLYCHAIN_QUALITY_SPEC)).to.be.within(300, 2000);
  });

  it("rejects inconsistent specs", async function () {
    const bad: ModelSpec = { ...AI4I_MODEL_SPEC, classes: 1 };
    expect(() => paramCount(bad)).to.throw(InvalidModelSpecError, /classes must be an integer >= 2/);
    const shifted: ModelSpec = {
      ...AI4I_MODEL_SPEC,
      layout: AI4I_MODEL_SPEC.layout.map((t) => ({ ...t, offset: t.offset + 1 })),
    };
    expect(() => paramCount(shifted)).to.throw(InvalidModelSpecError, /inconsistent/);
    // A stated layout that is not what TF.js builds from the topology is caught when the model is built.
    const swapped: ModelSpec = { ...SUPPLYCHAIN_QUALITY_SPEC, topology: AI4I_MODEL_SPEC.topology };
    await initBackend();
    let caught: unknown;
    await createModel({ spec: swapped, seed: 1 }).catch((e: unknown) => (caught = e));
    expect(caught).to.be.instanceOf(InvalidModelSpecError);
    expect((caught as Error).message).to.match(/TF\.js builds encoder_0\/kernel\[10,64\]/);
  });

  it("round-trips parameters through a model and seeds its initial values", async function () {
    await initBackend();
    const a = initialParams({ spec: AI4I_MODEL_SPEC, seed: 4 });
    expect(Array.from(initialParams({ spec: AI4I_MODEL_SPEC, seed: 4 }))).to.deep.equal(Array.from(a));
    expect(Array.from(initialParams({ spec: AI4I_MODEL_SPEC, seed: 5 }))).to.not.deep.equal(Array.from(a));
    const model = await createModel({ spec: AI4I_MODEL_SPEC, seed: 4 });
    try {
      expect(Array.from(getParams(model))).to.deep.equal(Array.from(a));
      const shifted = a.map((v, i) => v + i * 1e-3);
      setParams(model, shifted);
      expect(Array.from(getParams(model))).to.deep.equal(Array.from(shifted));
      expect(() => setParams(model, new Float32Array(3))).to.throw(
        ParamsMismatchError,
        /has 1778 parameters, got 3/,
      );
    } finally {
      model.dispose();
    }
  });

  it("trainLocal on a small partition changes the parameters and lowers the loss, deterministically", async function () {
    const data = firstRows(ai4i.members[2] as LabelledData, 400);
    const globalParams = initialParams({ spec: AI4I_MODEL_SPEC, seed: 1 });
    const before = await evaluate({ spec: AI4I_MODEL_SPEC, params: globalParams, data });
    const result = await trainLocal({ spec: AI4I_MODEL_SPEC, globalParams, data, policy: POLICY, seed: 9 });
    expect(result.delta).to.have.length(globalParams.length);
    expect(result.delta.some((v) => v !== 0)).to.equal(true);
    expect(result.metrics.samples).to.equal(400);
    expect(result.metrics.steps).to.equal(2 * Math.ceil(400 / 32));
    const local = globalParams.map((v, i) => v + (result.delta[i] as number));
    const after = await evaluate({ spec: AI4I_MODEL_SPEC, params: local, data });
    expect(after.loss).to.be.lessThan(before.loss);
    expect(result.metrics.loss).to.be.closeTo(after.loss, 1e-4);
    expect(result.metrics.initialLoss).to.be.closeTo(before.loss, 1e-4);
    const again = await trainLocal({ spec: AI4I_MODEL_SPEC, globalParams, data, policy: POLICY, seed: 9 });
    expect(Array.from(again.delta)).to.deep.equal(Array.from(result.delta));
  });

  it("leaves no tensors behind after training and evaluation", async function () {
    const { tf } = await import("../../src/learning/backend.js");
    const data = firstRows(ai4i.members[0] as LabelledData, 100);
    const globalParams = initialParams({ spec: AI4I_MODEL_SPEC, seed: 1 });
    await trainLocal({ spec: AI4I_MODEL_SPEC, globalParams, data, policy: POLICY, seed: 1 });
    const before = tf.memory().numTensors;
    await trainLocal({ spec: AI4I_MODEL_SPEC, globalParams, data, policy: POLICY, seed: 2 });
    await evaluate({ spec: AI4I_MODEL_SPEC, params: globalParams, data });
    expect(tf.memory().numTensors).to.equal(before);
  });

  it("trains with SGD momentum too, lowering the loss", async function () {
    const data = firstRows(ai4i.members[1] as LabelledData, 300);
    const globalParams = initialParams({ spec: AI4I_MODEL_SPEC, seed: 1 });
    const policy = { ...POLICY, learningRate: 0.05, optimizer: "momentum" } as const;
    const result = await trainLocal({ spec: AI4I_MODEL_SPEC, globalParams, data, policy, seed: 3 });
    expect(result.metrics.loss).to.be.lessThan(result.metrics.initialLoss);
  });

  it("trains the LSTM task on supply-chain sequences through the same trainLocal", async function () {
    const chain = loadDataset({ name: "supplychain", members: 4, seed: 3, supplyChain: { lots: 60 } });
    const data = chain.members[0] as LabelledData;
    expect(data.featureShape).to.deep.equal([6, 21]);
    const globalParams = initialParams({ spec: chain.spec, seed: 2 });
    const result = await trainLocal({ spec: chain.spec, globalParams, data, policy: POLICY, seed: 1 });
    expect(result.metrics.loss).to.be.lessThan(result.metrics.initialLoss);
  });

  it("validates its inputs with messages that say what is wrong", async function () {
    const data = firstRows(ai4i.members[0] as LabelledData, 10);
    const params = initialParams({ spec: AI4I_MODEL_SPEC, seed: 1 });
    const run = (overrides: Partial<Parameters<typeof trainLocal>[0]>): Promise<unknown> =>
      trainLocal({
        spec: AI4I_MODEL_SPEC,
        globalParams: params,
        data,
        policy: POLICY,
        seed: 1,
        ...overrides,
      });
    await expectRejection(
      run({ globalParams: new Float32Array(5) }),
      ParamsMismatchError,
      /1778 parameters, got 5/,
    );
    await expectRejection(
      run({
        spec: SUPPLYCHAIN_QUALITY_SPEC,
        globalParams: initialParams({ spec: SUPPLYCHAIN_QUALITY_SPEC, seed: 1 }),
      }),
      InvalidTrainingInputError,
      /shaped \[10\] but model/,
    );
    await expectRejection(
      run({ policy: { ...POLICY, epochs: 0 } }),
      InvalidTrainingInputError,
      /epochs must be a positive integer/,
    );
    await expectRejection(
      run({ policy: { ...POLICY, optimizer: "rmsprop" as "adam" } }),
      InvalidTrainingInputError,
      /optimizer must be "adam" or "momentum"/,
    );
    await expectRejection(
      run({ data: { ...data, rows: 0, features: new Float32Array(0), labels: new Uint8Array(0) } }),
      InvalidTrainingInputError,
      /no local data/,
    );
  });

  it("weighs rare classes up, more for 'balanced' than for 'sqrt'", function () {
    const data = ai4i.train;
    const balanced = classWeights({ data, weighting: "balanced" });
    const sqrt = classWeights({ data, weighting: "sqrt" });
    expect(balanced[1]).to.be.greaterThan(sqrt[1] as number);
    expect(sqrt[1]).to.be.greaterThan(1);
    expect(Array.from(classWeights({ data, weighting: "none" }))).to.deep.equal([1, 1]);
  });
});

async function expectRejection(
  promise: Promise<unknown>,
  type: new (...args: never[]) => Error,
  pattern: RegExp,
): Promise<void> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  expect(caught).to.be.instanceOf(type);
  expect((caught as Error).message).to.match(pattern);
}
