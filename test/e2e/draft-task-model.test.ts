/**
 * `cfl governance draft-task` from the consortium's own files: the schema and a TF.js model.json. The
 * drafted policy pins both (modelId), the files are stored beside the initial model, and a model that
 * does not fit the schema or the circuit is refused with the numbers before anything is stored. Without
 * either, on the built-in AI4I data, the default is the histogram forest where the key's circuit reaches it.
 */
import { expect } from "chai";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Wallet } from "ethers";
import { schemaHash, type DataSchema } from "../../src/data/index.js";
import { ruleDefinitionByKind, ruleToPolicy } from "../../src/aggregation/index.js";
import {
  AI4I_FOREST_SPEC,
  AI4I_MODEL_SPEC,
  builtinDataHash,
  defaultModelForSchema,
  FOREST_FILE_FORMAT,
  forestDimension,
  forestSpecHash,
  taskModelId,
  topologyHash,
  type HistogramForestSpec,
} from "../../src/learning/index.js";
import { runCli } from "./helpers.js";

const SCHEMA: DataSchema = {
  version: 1,
  features: [
    { name: "temperature", type: "numeric", centre: 70, spread: 10 },
    { name: "pressure", type: "numeric", centre: 3, spread: 1 },
    { name: "line", type: "categorical", categories: ["A", "B"] },
  ],
  label: { column: "status", classes: ["ok", "scrap", "rework"] },
};

/** A Keras-style Sequential topology, written by hand as the TF.js converter would. */
function sequential(inputs: number, hidden: number, classes: number): Record<string, unknown> {
  return {
    format: "layers-model",
    modelTopology: {
      class_name: "Sequential",
      config: {
        name: "plant_model",
        layers: [
          {
            class_name: "Dense",
            config: { name: "hidden", units: hidden, activation: "relu", batch_input_shape: [null, inputs] },
          },
          { class_name: "Dense", config: { name: "out", units: classes, activation: "softmax" } },
        ],
      },
    },
  };
}

describe("cfl governance draft-task --schema --model", function () {
  this.timeout(120_000);
  let dir: string;
  let base: string[];

  before(async function () {
    dir = await mkdtemp(join(tmpdir(), "cfl-draft-model-"));
    await writeFile(join(dir, "schema.json"), JSON.stringify(SCHEMA));
    await writeFile(
      join(dir, "cfl.json"),
      JSON.stringify({ ipfs: { mode: "embedded", path: join(dir, "ipfs") } }),
    );
    base = [
      "governance",
      "draft-task",
      "--config",
      join(dir, "cfl.json"),
      "--task-id",
      "1",
      "--instance",
      "test",
      "--reader-key",
      "0x" + "11".repeat(32),
      "--readers",
      Wallet.createRandom().address,
      "--schema",
      join(dir, "schema.json"),
    ];
  });

  it("pins the model file and the schema in modelId and stores both beside the initial model", async function () {
    await writeFile(join(dir, "model.json"), JSON.stringify(sequential(4, 8, 3)));
    const run = await runCli([...base, "--model", join(dir, "model.json")]);
    expect(run.code, run.stderr).to.equal(0);
    const { policy } = JSON.parse(run.stdout) as { policy: { modelId: string; dimension: number } };
    const topology = (JSON.parse(await readFile(join(dir, "model.json"), "utf8")) as { modelTopology: never })
      .modelTopology;
    expect(policy.modelId).to.equal(
      taskModelId({ topologyHash: topologyHash(topology), dataHash: schemaHash(SCHEMA) }),
    );
    expect(policy.dimension).to.equal(4 * 8 + 8 + 8 * 3 + 3);
    const event = run.stderr
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((e) => e["event"] === "task-model")!;
    expect(event).to.include({ initialWeights: "drawn from seed 7", parameters: policy.dimension });
    expect(Object.keys(event["files"] as object)).to.deep.equal(["model.json", "schema.json"]);
  });

  it("drafts a histogram forest: its spec file pinned, counts at scale 1 under rule sum, no weights drawn", async function () {
    const forest: HistogramForestSpec = {
      id: "plant-forest",
      features: 4,
      classes: 3,
      trees: 2,
      depth: 3,
      featuresPerNode: 2,
      bins: 8,
      ranges: [
        [-3, 3],
        [-3, 3],
        [0, 1],
        [0, 1],
      ],
      classWeights: [1, 4, 4],
      minSplitRows: 2,
      seed: 3,
    };
    await writeFile(join(dir, "forest.json"), JSON.stringify({ format: FOREST_FILE_FORMAT, forest }));
    const run = await runCli([...base, "--model", join(dir, "forest.json")]);
    expect(run.code, run.stderr).to.equal(0);
    const { policy } = JSON.parse(run.stdout) as {
      policy: {
        modelId: string;
        dimension: number;
        scale: number;
        aggregationRule: number;
        lInfBound: string;
        ruleParameter: unknown;
      };
    };
    expect(policy.modelId).to.equal(
      taskModelId({ topologyHash: forestSpecHash(forest), dataHash: schemaHash(SCHEMA) }),
    );
    expect(policy.dimension).to.equal(forestDimension(forest));
    expect(policy.scale).to.equal(1);
    expect(policy.aggregationRule).to.equal(ruleDefinitionByKind("sum")!.id);
    const event = run.stderr
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((e) => e["event"] === "task-model")!;
    expect(event).to.include({ name: "plant-forest", initialWeights: "no counts (a forest starts empty)" });
    expect(Object.keys(event["files"] as object)).to.deep.equal(["forest.json", "schema.json"]);
    // The backdoor defense is on by default: q = max(2, floor(3 min-participants / 3) + 1) = 2, over the
    // forest's 8 bins × 3 classes; --support-members 0 drafts the plain sum.
    const veto = (members: number) =>
      ruleToPolicy({ kind: "sum", support: { members, slots: 2, bins: 8, classes: 3 } }).param.toString();
    expect(String(policy.ruleParameter)).to.equal(veto(2));
    const plain = await runCli([...base, "--model", join(dir, "forest.json"), "--support-members", "0"]);
    expect(plain.code, plain.stderr).to.equal(0);
    expect(
      String((JSON.parse(plain.stdout) as { policy: { ruleParameter: unknown } }).policy.ruleParameter),
    ).to.equal("0");
    const one = await runCli([...base, "--model", join(dir, "forest.json"), "--support-members", "1"]);
    expect(one.code).to.not.equal(0);
    expect(one.stderr.trim().split("\n").at(-1)).to.equal(
      "error: --support-members must be 0 (no veto) or at least 2: one member always varies alone",
    );
    const supported = await runCli([...base, "--model", join(dir, "forest.json"), "--support-members", "3"]);
    expect(supported.code, supported.stderr).to.equal(0);
    const withSupport = (JSON.parse(supported.stdout) as { policy: { ruleParameter: unknown } }).policy;
    expect(String(withSupport.ruleParameter)).to.equal(veto(3));
    const neural = await runCli([...base, "--support-members", "3"]);
    expect(neural.code).to.not.equal(0);
    expect(neural.stderr.trim().split("\n").at(-1)).to.match(
      /^error: --support-members vetoes splits of a histogram forest's counts: name a forest with --model$/,
    );
    // Another rule would average counts away: refused before anything is stored.
    const mean = await runCli([...base, "--model", join(dir, "forest.json"), "--rule", "mean"]);
    expect(mean.code).to.not.equal(0);
    expect(mean.stderr.trim().split("\n").at(-1)).to.match(
      /^error: .*model "plant-forest" needs rule sum \(its parameters are counts\), not mean$/,
    );
  });

  it("proposes a model for the schema when none is named", async function () {
    const run = await runCli(base);
    expect(run.code, run.stderr).to.equal(0);
    const { policy } = JSON.parse(run.stdout) as { policy: { modelId: string } };
    const spec = defaultModelForSchema({ inputShape: [4], classes: 3, maxParams: 4096 });
    expect(policy.modelId).to.equal(
      taskModelId({ topologyHash: topologyHash(spec.topology), dataHash: schemaHash(SCHEMA) }),
    );
  });

  it("drafts AI4I's forest by default on a key whose circuit reaches its counts, and the MLP below it or under a neural rule", async function () {
    // The built-in data set instead of a schema: base without --schema and its file, on the large instance.
    const ai4i = base.slice(0, -2).map((a) => (a === "test" ? "large" : a));
    const dataHash = builtinDataHash("ai4i");
    const modelIdOf = async (args: string[]) => {
      const run = await runCli(args);
      expect(run.code, run.stderr).to.equal(0);
      return (JSON.parse(run.stdout) as { policy: { modelId: string; aggregationRule: number } }).policy;
    };
    const forest = await modelIdOf(ai4i);
    expect(forest.modelId).to.equal(
      taskModelId({ topologyHash: forestSpecHash(AI4I_FOREST_SPEC), dataHash }),
    );
    expect(forest.aggregationRule).to.equal(ruleDefinitionByKind("sum")!.id);
    const mlpId = taskModelId({ topologyHash: topologyHash(AI4I_MODEL_SPEC.topology), dataHash });
    expect((await modelIdOf([...ai4i, "--rule", "median"])).modelId).to.equal(mlpId);
    expect((await modelIdOf(ai4i.map((a) => (a === "large" ? "demo" : a)))).modelId).to.equal(mlpId);
  });

  it("refuses a model that does not read the schema's rows, or is too large for the circuit", async function () {
    await writeFile(join(dir, "wide.json"), JSON.stringify(sequential(5, 8, 3)));
    const wide = await runCli([...base, "--model", join(dir, "wide.json")]);
    expect(wide.code).to.equal(2);
    expect(wide.stderr.trim().split("\n").at(-1)).to.match(
      /^error: model "wide" takes input \[5\] but the schema gives 4 features per row/,
    );
    await writeFile(join(dir, "big.json"), JSON.stringify(sequential(4, 2000, 3)));
    const big = await runCli([...base, "--model", join(dir, "big.json")]);
    expect(big.code).to.equal(2);
    expect(big.stderr.trim().split("\n").at(-1)).to.match(
      /^error: .*dimension 16003 exceeds the circuit's 2\^12 indices: the model has 16003 parameters, this verifying key's circuit proves updates of models of at most 4096/,
    );
    const missing = await runCli([...base, "--model", join(dir, "absent.json")]);
    expect(missing.stderr.trim().split("\n").at(-1)).to.match(/absent\.json: no such file$/);
  });
});
