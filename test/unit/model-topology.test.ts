/**
 * A task's own TF.js Layers model: every supported layer type round-trips through `model.save` → the
 * project's loader → the canonical parameter vector → the global model format → back into TF.js, with
 * the same predictions; bad model files are refused with a reason.
 */
import { expect } from "chai";
import {
  createModel,
  getParams,
  initBackend,
  InvalidModelSpecError,
  loadModelSpec,
  modelArtifacts,
  paramsFromWeights,
  setParams,
  topologyHash,
  topologyOf,
  trainLocal,
  type LayersTopology,
  type ModelSpec,
  type WeightSpec,
} from "../../src/learning/index.js";
import { tf } from "../../src/learning/backend.js";
import {
  decodeGlobalModel,
  encodeGlobalModel,
  initialGlobalModel,
  toFloatParams,
} from "../../src/model/index.js";
import { createRng } from "../../src/data/rng.js";

interface Saved {
  readonly topology: LayersTopology;
  readonly specs: WeightSpec[];
  readonly data: Uint8Array;
}

/** What `model.save` writes (model.json's topology and manifest, the weights bytes). */
async function save(model: tf.LayersModel): Promise<Saved> {
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler((a) => {
      artifacts = a;
      return Promise.resolve({ modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } });
    }),
  );
  const weightData = artifacts!.weightData as ArrayBuffer;
  return {
    topology: topologyOf({ json: { modelTopology: artifacts!.modelTopology } }),
    specs: artifacts!.weightSpecs as WeightSpec[],
    data: new Uint8Array(weightData),
  };
}

function randomInput(shape: readonly number[], rows: number, integers = 0): tf.Tensor {
  const rng = createRng(11);
  const size = rows * shape.reduce((a, b) => a * b, 1);
  const values = Float32Array.from({ length: size }, () =>
    integers > 0 ? Math.floor(rng.next() * integers) : 2 * rng.next() - 1,
  );
  return tf.tensor(values, [rows, ...shape]);
}

const L = tf.layers;

/** One model per supported layer family, as a member would build it in TF.js. */
const CASES: { name: string; build: () => tf.LayersModel; integers?: number }[] = [
  {
    name: "Dense, Dropout, BatchNormalization, Activation",
    build: () =>
      tf.sequential({
        layers: [
          L.dense({ name: "hidden", units: 6, activation: "relu", inputShape: [5] }),
          L.dropout({ name: "drop", rate: 0.2 }),
          L.batchNormalization({ name: "bn" }),
          L.dense({ name: "logits", units: 3 }),
          L.activation({ name: "probs", activation: "softmax" }),
        ],
      }),
  },
  {
    name: "Conv1D, MaxPooling1D, AveragePooling1D, GlobalAveragePooling1D",
    build: () =>
      tf.sequential({
        layers: [
          L.conv1d({ name: "conv", filters: 4, kernelSize: 3, activation: "relu", inputShape: [12, 2] }),
          L.maxPooling1d({ name: "max", poolSize: 2 }),
          L.averagePooling1d({ name: "avg", poolSize: 2 }),
          L.globalAveragePooling1d({ name: "gap" }),
          L.dense({ name: "out", units: 2, activation: "softmax" }),
        ],
      }),
  },
  {
    name: "Reshape, Conv2D, MaxPooling2D, AveragePooling2D, GlobalMaxPooling2D",
    build: () =>
      tf.sequential({
        layers: [
          L.reshape({ name: "image", targetShape: [6, 6, 1], inputShape: [36] }),
          L.conv2d({ name: "conv", filters: 3, kernelSize: 2, activation: "relu" }),
          L.maxPooling2d({ name: "max", poolSize: 1 }),
          L.averagePooling2d({ name: "avg", poolSize: 2 }),
          L.globalMaxPooling2d({ name: "gmp" }),
          L.dense({ name: "out", units: 2, activation: "softmax" }),
        ],
      }),
  },
  {
    name: "Conv2D, GlobalAveragePooling2D, Flatten",
    build: () =>
      tf.sequential({
        layers: [
          L.conv2d({ name: "conv", filters: 2, kernelSize: 3, inputShape: [5, 5, 2] }),
          L.flatten({ name: "flat" }),
          L.reshape({ name: "again", targetShape: [3, 3, 2] }),
          L.globalAveragePooling2d({ name: "gap" }),
          L.dense({ name: "out", units: 2 }),
        ],
      }),
  },
  {
    name: "LSTM",
    build: () =>
      tf.sequential({
        layers: [
          L.lstm({ name: "lstm", units: 4, inputShape: [5, 3] }),
          L.dense({ name: "out", units: 3, activation: "softmax" }),
        ],
      }),
  },
  {
    name: "GRU, GlobalMaxPooling1D",
    build: () =>
      tf.sequential({
        layers: [
          L.gru({ name: "gru", units: 4, returnSequences: true, inputShape: [5, 3] }),
          L.globalMaxPooling1d({ name: "gmp" }),
          L.dense({ name: "out", units: 2, activation: "softmax" }),
        ],
      }),
  },
  {
    name: "Embedding",
    integers: 10,
    build: () =>
      tf.sequential({
        layers: [
          L.embedding({ name: "embed", inputDim: 10, outputDim: 4, inputLength: 6, inputShape: [6] }),
          L.flatten({ name: "flat" }),
          L.dense({ name: "out", units: 2, activation: "softmax" }),
        ],
      }),
  },
  {
    name: "a functional model",
    build: () => {
      const input = tf.input({ shape: [4], name: "x" });
      const hidden = L.dense({ name: "hidden", units: 5, activation: "tanh" }).apply(
        input,
      ) as tf.SymbolicTensor;
      const out = L.dense({ name: "out", units: 2, activation: "softmax" }).apply(
        hidden,
      ) as tf.SymbolicTensor;
      return tf.model({ inputs: input, outputs: out, name: "functional" });
    },
  },
];

describe("task models as TF.js Layers topologies", function () {
  this.timeout(60_000);
  before(async function () {
    await initBackend();
  });

  for (const c of CASES) {
    it(`round-trips ${c.name}: model.save → canonical parameters → global model → TF.js`, async function () {
      const original = c.build();
      const saved = await save(original);
      const spec = await loadModelSpec({ id: "case", topology: saved.topology });
      // Canonical order = the model's weights layer by layer, as TF.js holds them.
      expect(spec.layout.map((t) => t.name)).to.deep.equal(original.weights.map((w) => w.originalName));
      const params = paramsFromWeights({ layout: spec.layout, specs: saved.specs, data: saved.data });
      const expected = Float32Array.from(original.getWeights().flatMap((w) => Array.from(w.dataSync())));
      expect(Array.from(params)).to.deep.equal(Array.from(expected));

      const input = randomInput(spec.inputShape, 7, c.integers);
      const reference = original.predict(input) as tf.Tensor;
      const outputsOf = async (p: Float32Array): Promise<Float32Array> => {
        const model = await createModel({ spec, seed: 1 });
        try {
          setParams(model, p);
          expect(Array.from(getParams(model))).to.deep.equal(Array.from(p));
          // The project runs the output layer linear and applies the softmax itself.
          return tf
            .tidy(() => tf.softmax(model.network.predict(input) as tf.Tensor))
            .dataSync() as Float32Array;
        } finally {
          model.dispose();
        }
      };
      const softmaxed =
        c.name === "Conv2D, GlobalAveragePooling2D, Flatten"
          ? (tf.softmax(reference).dataSync() as Float32Array)
          : (reference.dataSync() as Float32Array);
      const direct = await outputsOf(params);
      direct.forEach((v, i) => expect(v).to.be.closeTo(softmaxed[i]!, 1e-5));

      // Through the global model format: fixed point at scale 2^16, then back to floats.
      const scale = 65536;
      const bytes = encodeGlobalModel(
        initialGlobalModel({ task: 1, dimension: params.length, scale, params }),
      );
      const restored = toFloatParams(decodeGlobalModel(bytes));
      restored.forEach((v, i) => expect(v).to.be.closeTo(params[i]!, 1 / scale));
      const viaFormat = await outputsOf(restored);
      viaFormat.forEach((v, i) => expect(v).to.be.closeTo(softmaxed[i]!, 2e-3));

      // And back out as a model.json TF.js loads, with the pinned topology (softmax included).
      const artifacts = modelArtifacts({ topology: spec.topology, layout: spec.layout, params });
      const manifest = (artifacts.modelJson["weightsManifest"] as { weights: WeightSpec[] }[])[0]!;
      const reloaded = await tf.loadLayersModel(
        tf.io.fromMemory({
          modelTopology: artifacts.modelJson["modelTopology"] as object,
          weightSpecs: manifest.weights as tf.io.WeightsManifestEntry[],
          weightData: artifacts.weightData.buffer as ArrayBuffer,
        }),
      );
      const again = (reloaded.predict(input) as tf.Tensor).dataSync();
      again.forEach((v, i) => expect(v).to.be.closeTo((reference.dataSync() as Float32Array)[i]!, 1e-6));
      tf.dispose([input, reference]);
      original.dispose();
      reloaded.dispose();
    });
  }

  it("carries BatchNormalization's moving statistics with the parameters and updates them in training", async function () {
    const saved = await save(CASES[0]!.build());
    const spec = await loadModelSpec({ id: "bn", topology: saved.topology });
    const moving = spec.layout.filter((t) => !t.trainable).map((t) => t.name);
    expect(moving).to.deep.equal(["bn/moving_mean", "bn/moving_variance"]);
    expect(spec.layout.slice(-2).map((t) => t.name)).to.deep.equal(moving);
    const rows = 64;
    const rng = createRng(3);
    const features = Float32Array.from({ length: rows * 5 }, () => 3 + rng.next());
    const labels = Uint8Array.from({ length: rows }, (_, i) => i % 3);
    const params = paramsFromWeights({ layout: spec.layout, specs: saved.specs, data: saved.data });
    // TF.js draws the hidden kernel unseeded: about one draw in 64 leaves every ReLU dead on these positive
    // inputs, so the statistics would see only zeros and stay at 0. A positive kernel keeps them alive.
    const kernel = spec.layout.find((t) => t.name === "hidden/kernel")!;
    params.fill(0.1, kernel.offset, kernel.offset + kernel.size);
    const { delta } = await trainLocal({
      spec,
      globalParams: params,
      data: { features, labels, rows, featureShape: [5], classes: 3 },
      policy: { epochs: 1, batchSize: 16, learningRate: 0.01 },
      seed: 1,
    });
    const mean = spec.layout.find((t) => t.name === "bn/moving_mean")!;
    expect(Array.from(delta.subarray(mean.offset, mean.offset + mean.size)).some((v) => v !== 0)).to.equal(
      true,
    );
  });

  it("hashes a topology over its canonical JSON (key order and whitespace do not matter)", async function () {
    const saved = await save(CASES[4]!.build());
    const reverseKeys = (v: unknown): unknown =>
      Array.isArray(v)
        ? v.map(reverseKeys)
        : v !== null && typeof v === "object"
          ? Object.fromEntries(
              Object.entries(v)
                .reverse()
                .map(([k, x]) => [k, reverseKeys(x)]),
            )
          : v;
    const reordered = reverseKeys(saved.topology) as LayersTopology;
    expect(JSON.stringify(reordered)).to.not.equal(JSON.stringify(saved.topology));
    expect(topologyHash(reordered)).to.equal(topologyHash(saved.topology));
    const wider = JSON.parse(
      JSON.stringify(saved.topology).replace('"units":4', '"units":5'),
    ) as LayersTopology;
    expect(topologyHash(wider)).to.not.equal(topologyHash(saved.topology));
  });

  describe("refuses a model it cannot federate, saying why", function () {
    async function refusal(
      mutate: (t: Record<string, unknown>) => void,
      build = CASES[0]!.build,
    ): Promise<string> {
      const saved = await save(build());
      const topology = JSON.parse(JSON.stringify(saved.topology)) as Record<string, unknown>;
      mutate(topology);
      let caught: unknown;
      await loadModelSpec({ id: "bad", topology: topology as LayersTopology, source: "model.json" }).catch(
        (e: unknown) => (caught = e),
      );
      expect(caught).to.be.instanceOf(InvalidModelSpecError);
      return (caught as Error).message;
    }
    const layers = (t: Record<string, unknown>) =>
      (t["config"] as { layers: { class_name: string; config: Record<string, unknown> }[] }).layers;

    it("an unsupported layer type", async function () {
      expect(await refusal((t) => (layers(t)[1]!.class_name = "SimpleRNN"))).to.match(
        /model\.json: layer 1 \(SimpleRNN "drop"\): layer type SimpleRNN is not supported/,
      );
    });
    it("two layers with one name", async function () {
      expect(await refusal((t) => (layers(t)[1]!.config["name"] = "hidden"))).to.match(
        /"hidden" appears twice/,
      );
    });
    it("an output that is not one score per class", async function () {
      expect(await refusal((t) => (layers(t)[4]!.config["activation"] = "sigmoid"))).to.match(
        /must end in softmax or linear/,
      );
      expect(
        await refusal((t) => {
          layers(t)[3]!.config["units"] = 1;
          layers(t)[4]!.config["activation"] = "linear";
        }),
      ).to.match(
        /one score per class \(shape \[batch, classes ≥ 2\]\), got \[,1\]|got \[null, 1\]|got \[, 1\]/,
      );
    });
    it("an activity regularizer outside a Sequential model, and a GRU TF.js cannot run", async function () {
      expect(
        await refusal((t) => {
          layers(t)[1]!.config["activity_regularizer"] = { class_name: "L1", config: { l1: 0.01 } };
        }, CASES[7]!.build),
      ).to.match(/Sequential models only/);
      expect(await refusal((t) => (layers(t)[0]!.config["reset_after"] = true), CASES[5]!.build)).to.match(
        /reset_after/,
      );
    });
    it("a file that is not a Layers model", function () {
      expect(() =>
        topologyOf({ json: { format: "graph-model", modelTopology: { node: [] } }, source: "m.json" }),
      ).to.throw(InvalidModelSpecError, /m\.json: not a TF\.js Layers model/);
    });
  });

  it("reads Keras's L1 regularizer class and trains with the kernel penalty", async function () {
    const saved = await save(CASES[7]!.build());
    const topology = JSON.parse(JSON.stringify(saved.topology)) as {
      config: { layers: { config: Record<string, unknown> }[] };
    };
    topology.config.layers[1]!.config["kernel_regularizer"] = { class_name: "L1", config: { l1: 0.5 } };
    const spec: ModelSpec = await loadModelSpec({
      id: "l1",
      topology: topology as unknown as LayersTopology,
    });
    const model = await createModel({ spec, seed: 1 });
    try {
      const penalties = model.network.calculateLosses();
      expect(penalties).to.have.length(1);
      const kernel = spec.layout.find((t) => t.name === "hidden/kernel")!;
      const l1 = getParams(model)
        .subarray(kernel.offset, kernel.offset + kernel.size)
        .reduce((a, v) => a + Math.abs(v), 0);
      expect(penalties[0]!.dataSync()[0]).to.be.closeTo(0.5 * l1, 1e-4);
      tf.dispose(penalties);
    } finally {
      model.dispose();
    }
  });

  it("refuses a weights file that does not fit the model", async function () {
    const saved = await save(CASES[4]!.build());
    const spec = await loadModelSpec({ id: "w", topology: saved.topology });
    const call = (specs: WeightSpec[], data: Uint8Array) => () =>
      paramsFromWeights({ layout: spec.layout, specs, data, source: "w.bin" });
    expect(call(saved.specs, saved.data.subarray(4))).to.throw(
      /describes \d+ bytes of weights but the file has/,
    );
    expect(call(saved.specs.slice(1), saved.data.subarray(4 * 3 * 16))).to.throw(/"lstm\/kernel" is missing/);
    const renamed = saved.specs.map((s, i) => (i === 0 ? { ...s, name: "other/kernel" } : s));
    expect(call(renamed, saved.data)).to.throw(/weights not in the model: other\/kernel/);
    const nan = saved.data.slice();
    new DataView(nan.buffer).setFloat32(0, Number.NaN, true);
    expect(call(saved.specs, nan)).to.throw(/"lstm\/kernel"\[0\] is NaN/);
  });
});
