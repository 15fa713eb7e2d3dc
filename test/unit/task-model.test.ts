/**
 * The built-in data sets' default models, and the refusals on the way from a consortium's files to a task
 * model and a demo federation, each fed the
 * bad input: an unknown preset, a model that does not read the built-in data set, a weights file of another
 * dtype, an unnamed layer, a functional model with two outputs, an input without a fixed shape, and demo
 * splits that leave a member without data.
 */
import { expect } from "chai";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  AI4I_FOREST_SPEC,
  AI4I_MODEL_SPEC,
  builtinDataHash,
  builtinTaskModelReference,
  forestDimension,
  forestSpecHash,
  InvalidModelSpecError,
  loadModelSpec,
  paramsFromWeights,
  resolveTaskModel,
  SUPPLYCHAIN_QUALITY_SPEC,
  taskModelId,
  topologyHash,
  type LayersTopology,
} from "../../src/learning/index.js";
import { loadDemoData } from "../../src/demo/data.js";
import type { DemoOptions } from "../../src/demo/types.js";
import { refusal } from "../support/refusal.js";

const dense = (config: Record<string, unknown>) => ({ class_name: "Dense", config });

describe("task models: resolving and refusing", function () {
  this.timeout(60_000);

  it("resolves a built-in data set's preset and pins it with the data set's hash", async function () {
    const task = await resolveTaskModel({ dataset: "ai4i", maxParams: 4096 });
    expect(task.family === "neural" && task.spec).to.equal(AI4I_MODEL_SPEC);
    expect(task.modelId).to.equal(
      taskModelId({
        topologyHash: topologyHash(AI4I_MODEL_SPEC.topology),
        dataHash: builtinDataHash("ai4i"),
      }),
    );
  });

  it("defaults AI4I to the histogram forest where the circuit's indices reach its counts, else to the MLP preset", async function () {
    const forest = await resolveTaskModel({ dataset: "ai4i", maxParams: 2 ** 20 });
    expect(forest.family === "forest" && forest.forest).to.equal(AI4I_FOREST_SPEC);
    expect(forest.modelId).to.equal(
      taskModelId({ topologyHash: forestSpecHash(AI4I_FOREST_SPEC), dataHash: builtinDataHash("ai4i") }),
    );
    // One index short of the forest's counts: the MLP.
    expect(
      builtinTaskModelReference({ dataset: "ai4i", maxParams: forestDimension(AI4I_FOREST_SPEC) }),
    ).to.equal("preset:ai4i-forest");
    expect(
      builtinTaskModelReference({ dataset: "ai4i", maxParams: forestDimension(AI4I_FOREST_SPEC) - 1 }),
    ).to.equal(`preset:${AI4I_MODEL_SPEC.id}`);
    // A rule the forest cannot take asks for the MLP; supplychain has no forest.
    expect(builtinTaskModelReference({ dataset: "ai4i", maxParams: 2 ** 20, neuralOnly: true })).to.equal(
      `preset:${AI4I_MODEL_SPEC.id}`,
    );
    expect(builtinTaskModelReference({ dataset: "supplychain", maxParams: 2 ** 20 })).to.equal(
      `preset:${SUPPLYCHAIN_QUALITY_SPEC.id}`,
    );
  });

  it("refuses an unknown preset, and a preset that does not read the data set's rows", async function () {
    expect(await refusal(() => resolveTaskModel({ modelFile: "preset:nope", maxParams: 4096 }))).to.match(
      /^unknown model preset "preset:nope" \(presets: preset:ai4i-sparse-mlp-v1, /,
    );
    expect(
      await refusal(() =>
        resolveTaskModel({
          modelFile: `preset:${SUPPLYCHAIN_QUALITY_SPEC.id}`,
          dataset: "ai4i",
          maxParams: 4096,
        }),
      ),
    ).to.equal(
      'model "supplychain-quality-lstm-v1" takes [6, 21] → 3 classes; the ai4i data set gives [10] → 2 (name the task\'s --schema)',
    );
  });

  it("refuses weights of another dtype", function () {
    expect(() =>
      paramsFromWeights({
        layout: AI4I_MODEL_SPEC.layout,
        specs: [{ name: "encoder_0/kernel", shape: [10, 64], dtype: "int32" }],
        data: new Uint8Array(4 * 640),
        source: "w.bin",
      }),
    ).to.throw(
      InvalidModelSpecError,
      'w.bin: weight "encoder_0/kernel" is int32; only float32 weights are read',
    );
  });

  it("refuses an unnamed layer, two outputs and an input without a fixed shape", async function () {
    const sequential = (layers: unknown[]): LayersTopology => ({
      class_name: "Sequential",
      config: { layers },
    });
    expect(
      await refusal(() =>
        loadModelSpec({
          id: "x",
          source: "m.json",
          topology: sequential([dense({ units: 2, batch_input_shape: [null, 3] })]),
        }),
      ),
    ).to.equal("m.json: layer 0 (Dense): every layer needs a name");
    const functional: LayersTopology = {
      class_name: "Model",
      config: {
        name: "two",
        layers: [
          {
            class_name: "InputLayer",
            config: { name: "x", batch_input_shape: [null, 3] },
            inbound_nodes: [],
          },
          dense({ name: "a", units: 2 }),
        ],
        output_layers: [
          ["a", 0, 0],
          ["a", 0, 0],
        ],
      },
    };
    expect(await refusal(() => loadModelSpec({ id: "x", source: "m.json", topology: functional }))).to.equal(
      "m.json: a functional model must have exactly one output",
    );
    expect(
      await refusal(() =>
        loadModelSpec({
          id: "x",
          source: "m.json",
          topology: sequential([
            { class_name: "LSTM", config: { name: "l", units: 2, batch_input_shape: [null, null, 3] } },
            dense({ name: "out", units: 2 }),
          ]),
        }),
      ),
    ).to.equal("m.json: the model needs one input with a fixed shape, got [, , 3]");
  });
});

describe("cfl demo --data: splits that leave a member without data are refused before any chain", function () {
  let dir: string;
  const options = (extra: Partial<DemoOptions>): DemoOptions => ({
    members: 3,
    rounds: 1,
    dataset: "ai4i",
    rule: "mean",
    attack: "none",
    malicious: 0,
    tamperAggregator: false,
    lyingAuditor: false,
    seed: 1,
    out: dir,
    circuit: "test",
    log: () => undefined,
    ...extra,
  });

  before(async function () {
    dir = await mkdtemp(join(tmpdir(), "cfl-demo-data-"));
    const rows = ["site,temperature,status"];
    for (let i = 0; i < 60; i++)
      rows.push(`${i % 2 ? "north" : "south"},${60 + (i % 7)},${i % 5 ? "ok" : "scrap"}`);
    await writeFile(join(dir, "parts.csv"), rows.join("\n") + "\n");
    await writeFile(join(dir, "tiny.csv"), "temperature,status\n61,ok\n64,scrap\n62,ok\n66,scrap\n63,ok\n");
  });

  it("refuses --split-by with fewer distinct values than members", async function () {
    const message = await refusal(() =>
      loadDemoData({
        options: options({ data: { path: join(dir, "parts.csv"), label: "status", splitBy: "site" } }),
        maxParams: 4096,
        log: () => undefined,
      }),
    );
    expect(message).to.equal("--split-by site: 2 distinct values (south, north) for 3 members");
  });

  it("refuses more members than the file has training rows for", async function () {
    const message = await refusal(() =>
      loadDemoData({
        options: options({ members: 8, data: { path: join(dir, "tiny.csv"), label: "status" } }),
        maxParams: 4096,
        log: () => undefined,
      }),
    );
    expect(message).to.match(/^member \d+ has no rows to train on: use fewer --members$/);
  });
});
