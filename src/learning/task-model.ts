/**
 * What a task pins about its model and data: `modelId = keccak256(abi.encode(topologyHash, dataHash))`,
 * where `topologyHash` is the hash of the model's TF.js topology (or of a histogram forest's spec file,
 * `forestSpecHash`) and `dataHash` the hash of the task's data
 * schema (or the name of a built-in data set). A member computes the id from the files it was given and
 * trains only when it equals the policy's `modelId`, so no one can make members train a model or read
 * data under a schema the governors did not approve. The initial weights are pinned separately, by the
 * initial model's hash.
 */
import { readFile } from "node:fs/promises";
import { basename, dirname, resolve } from "node:path";
import { AbiCoder, keccak256, toUtf8Bytes } from "ethers";
import { schemaHash, schemaInputShape, type DataSchema } from "../data/schema.js";
import { initialParams, loadModelSpec, paramCount } from "./model.js";
import { AI4I_MODEL_SPEC, defaultModelForSchema, MODEL_PRESETS, SUPPLYCHAIN_QUALITY_SPEC } from "./specs.js";
import {
  InvalidModelSpecError,
  paramsFromWeights,
  topologyHash,
  topologyOf,
  type WeightSpec,
} from "./topology.js";
import type { ModelSpec } from "./types.js";
import {
  FOREST_FILE_FORMAT,
  FOREST_PRESETS,
  ForestError,
  forestDimension,
  forestSpecHash,
  forestSpecOf,
  type HistogramForestSpec,
} from "./forest/index.js";

/** The data hash of a built-in data set (its rows come from the project's own loader, not a schema). */
export function builtinDataHash(name: "ai4i" | "supplychain"): string {
  return keccak256(toUtf8Bytes(`circular-fl:builtin-data:${name}`));
}

/** The policy's `modelId` for a model topology read under a data schema (or built-in data set). */
export function taskModelId({ topologyHash, dataHash }: { topologyHash: string; dataHash: string }): string {
  return keccak256(AbiCoder.defaultAbiCoder().encode(["bytes32", "bytes32"], [topologyHash, dataHash]));
}

/** A TF.js model file as read: the spec, and the weights manifest when the file has one. */
export interface NeuralModelFile {
  readonly family: "neural";
  readonly spec: ModelSpec;
  readonly topologyHash: string;
  /** model.json's weightsManifest, flattened (the order the weights files hold the tensors in). */
  readonly weightSpecs?: readonly WeightSpec[];
  /** The manifest's weight files, resolved next to model.json. */
  readonly weightPaths?: readonly string[];
}

/** A histogram forest's spec file (`forest.json`, format `circular-fl/histogram-forest`) as read. */
export interface ForestModelFile {
  readonly family: "forest";
  readonly forest: HistogramForestSpec;
  /** `forestSpecHash(forest)`: what the task's modelId pins in place of a topology. */
  readonly topologyHash: string;
}

/** A task's model file: a TF.js model (trained by gradient steps) or a histogram forest (grown by counts). */
export type ModelFile = NeuralModelFile | ForestModelFile;

/** The model's name (its spec's id). */
export function modelName(model: ModelFile): string {
  return model.family === "neural" ? model.spec.id : model.forest.id;
}

/** The model's d: parameters of a TF.js model, count cells of a forest. */
export function modelDimension(model: ModelFile): number {
  return model.family === "neural" ? paramCount(model.spec) : forestDimension(model.forest);
}

/** Input shape and classes of a model (what a schema or data set must give it). */
function modelShape(model: ModelFile): { inputShape: readonly number[]; classes: number } {
  return model.family === "neural"
    ? model.spec
    : { inputShape: [model.forest.features], classes: model.forest.classes };
}

function forestFile(forest: HistogramForestSpec): ForestModelFile {
  try {
    return { family: "forest", forest, topologyHash: forestSpecHash(forest) };
  } catch (error) {
    if (error instanceof ForestError) throw new InvalidModelSpecError(error.message);
    throw error;
  }
}

const PRESET_PREFIX = "preset:";

/**
 * Reads `model.json` (TF.js `model.save` or the converter's output), a forest spec file (`forest.json`), or
 * `preset:<name>` for a built-in model.
 */
export async function readModelFile(reference: string): Promise<ModelFile> {
  if (reference.startsWith(PRESET_PREFIX)) {
    const name = reference.slice(PRESET_PREFIX.length);
    const forest = FOREST_PRESETS.get(name);
    if (forest) return forestFile(forest);
    const spec = MODEL_PRESETS.get(name);
    if (!spec)
      throw new InvalidModelSpecError(
        `unknown model preset "${reference}" (presets: ${[...MODEL_PRESETS.keys(), ...FOREST_PRESETS.keys()].map((k) => PRESET_PREFIX + k).join(", ")})`,
      );
    return neuralFile(spec);
  }
  const source = basename(reference);
  let json: unknown;
  try {
    json = JSON.parse(await readFile(reference, "utf8"));
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    throw new InvalidModelSpecError(
      e.code === "ENOENT" ? `${reference}: no such file` : `${source}: not valid JSON (${e.message})`,
    );
  }
  if ((json as { format?: unknown } | null)?.format === FOREST_FILE_FORMAT) {
    try {
      return forestFile(forestSpecOf({ json, source }));
    } catch (error) {
      if (error instanceof ForestError) throw new InvalidModelSpecError(error.message);
      throw error;
    }
  }
  const topology = topologyOf({ json, source });
  const spec = await loadModelSpec({ id: source.replace(/\.json$/, ""), topology, source });
  const manifest = (json as { weightsManifest?: unknown }).weightsManifest;
  if (!Array.isArray(manifest)) return { family: "neural", spec, topologyHash: topologyHash(topology) };
  const groups = manifest as { paths?: unknown; weights?: unknown }[];
  if (!groups.every((g) => Array.isArray(g.paths) && Array.isArray(g.weights)))
    throw new InvalidModelSpecError(`${source}: weightsManifest entries need paths and weights`);
  return {
    family: "neural",
    spec,
    topologyHash: topologyHash(topology),
    weightSpecs: groups.flatMap((g) => g.weights as WeightSpec[]),
    weightPaths: groups.flatMap((g) => (g.paths as string[]).map((p) => resolve(dirname(reference), p))),
  };
}

/**
 * Initial parameters from weights files (`--weights`, or the files model.json's manifest names), in the
 * manifest's order; each file is read whole (weights files are model-sized, not data-sized).
 */
export async function readInitialWeights({
  model,
  files,
}: {
  model: NeuralModelFile;
  files?: readonly string[];
}): Promise<Float32Array> {
  const paths = files && files.length > 0 ? files : model.weightPaths;
  if (!model.weightSpecs || !paths || paths.length === 0)
    throw new InvalidModelSpecError(
      `model "${model.spec.id}" has no weights manifest: save it with model.save (TF.js) or the TF.js converter`,
    );
  const chunks = await Promise.all(
    paths.map(async (p) => {
      try {
        return await readFile(p);
      } catch {
        throw new InvalidModelSpecError(`${p}: cannot read the weights file`);
      }
    }),
  );
  const data = Buffer.concat(chunks);
  return paramsFromWeights({
    layout: model.spec.layout,
    specs: model.weightSpecs,
    data,
    source: basename(paths[0]!),
  });
}

/**
 * Checks that a model reads rows of a schema: its input is the schema's feature vector and its output
 * one score per class. Refused with both sides' numbers.
 */
export function checkModelFitsSchema({ model, schema }: { model: ModelFile; schema: DataSchema }): void {
  const shape = schemaInputShape(schema);
  const spec = { id: modelName(model), ...modelShape(model) };
  if (spec.inputShape.join("x") !== shape.join("x"))
    throw new InvalidModelSpecError(
      `model "${spec.id}" takes input [${spec.inputShape.join(", ")}] but the schema gives ${shape.length === 1 ? `${shape[0]} features per row` : `sequences of ${shape[0]} steps × ${shape[1]} features`} ` +
        `(numeric and boolean columns count 1, categorical ones their number of categories)`,
    );
  if (spec.classes !== schema.label.classes.length)
    throw new InvalidModelSpecError(
      `model "${spec.id}" outputs ${spec.classes} classes but the schema's label has ${schema.label.classes.length}`,
    );
}

/** A task's model as every party resolves it: the model, what its data is, and the modelId they pin. */
export type TaskModel = ModelFile & {
  readonly dataHash: string;
  readonly modelId: string;
};

/** The MLP preset a built-in data set's tasks train where no forest is their default. */
const BUILTIN_PRESETS = { ai4i: AI4I_MODEL_SPEC, supplychain: SUPPLYCHAIN_QUALITY_SPEC } as const;

/** The forest a built-in data set's tasks grow by default where the circuit's indices reach its counts. */
const BUILTIN_FORESTS: { readonly [name in "ai4i" | "supplychain"]?: HistogramForestSpec } = {
  ai4i: FOREST_PRESETS.get("ai4i-forest")!,
};

/**
 * The model a built-in data set's task trains when none is named (`preset:<name>`): AI4I's histogram
 * forest where the circuit's indices (`maxParams`) reach its counts, since it is the model that reaches a
 * centralised random forest's quality (docs/learning.md); else, or when `neuralOnly` (a rule that is not
 * the forest's sum), the data set's MLP preset.
 */
export function builtinTaskModelReference({
  dataset,
  maxParams,
  neuralOnly = false,
}: {
  dataset: "ai4i" | "supplychain";
  maxParams: number;
  neuralOnly?: boolean;
}): string {
  const forest = BUILTIN_FORESTS[dataset];
  if (forest && !neuralOnly && forestDimension(forest) <= maxParams) return PRESET_PREFIX + forest.id;
  return PRESET_PREFIX + BUILTIN_PRESETS[dataset].id;
}

/**
 * The task model of a drafter, a member or the demo, from the same inputs: `modelFile` (model.json or
 * `preset:<name>`), else the model proposed for `schema` (sized to `maxParams`, the circuit's indices),
 * else for a built-in data set the preset whose id is `modelId` (a member trains whichever built-in
 * model the task pins) or the data set's default (`builtinTaskModelReference`). The model must read the
 * schema's rows (or the data set's), and `modelId` pins both.
 */
export async function resolveTaskModel({
  modelFile,
  schema,
  dataset = "ai4i",
  maxParams,
  modelId,
}: {
  modelFile?: string;
  schema?: DataSchema;
  dataset?: "ai4i" | "supplychain";
  maxParams: number;
  /** The id the task pins, when known: picks among a built-in data set's presets. */
  modelId?: string;
}): Promise<TaskModel> {
  let model: ModelFile;
  if (modelFile !== undefined) model = await readModelFile(modelFile);
  else if (schema)
    model = neuralFile(
      defaultModelForSchema({
        inputShape: schemaInputShape(schema),
        classes: schema.label.classes.length,
        maxParams,
      }),
    );
  else {
    const pinned = modelId === undefined ? undefined : builtinPresetWithId({ dataset, modelId, maxParams });
    model = pinned ?? (await readModelFile(builtinTaskModelReference({ dataset, maxParams })));
  }
  let dataHash: string;
  if (schema) {
    checkModelFitsSchema({ model, schema });
    dataHash = schemaHash(schema);
  } else {
    const builtin = BUILTIN_PRESETS[dataset];
    const shape = modelShape(model);
    if (shape.inputShape.join("x") !== builtin.inputShape.join("x") || shape.classes !== builtin.classes)
      throw new InvalidModelSpecError(
        `model "${modelName(model)}" takes [${shape.inputShape.join(", ")}] → ${shape.classes} classes; ` +
          `the ${dataset} data set gives [${builtin.inputShape.join(", ")}] → ${builtin.classes} (name the task's --schema)`,
      );
    dataHash = builtinDataHash(dataset);
  }
  return { ...model, dataHash, modelId: taskModelId({ topologyHash: model.topologyHash, dataHash }) };
}

function neuralFile(spec: ModelSpec): ModelFile {
  return { family: "neural", spec, topologyHash: topologyHash(spec.topology) };
}

/** The built-in preset (MLP or forest) that reads `dataset`'s rows, fits `maxParams` and has `modelId`. */
function builtinPresetWithId({
  dataset,
  modelId,
  maxParams,
}: {
  dataset: "ai4i" | "supplychain";
  modelId: string;
  maxParams: number;
}): ModelFile | undefined {
  const dataHash = builtinDataHash(dataset);
  const candidates: ModelFile[] = [
    ...[...MODEL_PRESETS.values()].map(neuralFile),
    ...[...FOREST_PRESETS.values()].map(forestFile),
  ];
  return candidates.find(
    (m) =>
      modelDimension(m) <= maxParams && taskModelId({ topologyHash: m.topologyHash, dataHash }) === modelId,
  );
}

/**
 * A task's initial parameters: the weights files given (`--weights`) or those model.json's manifest
 * names, else drawn from `seed`; with a line saying which.
 */
export async function taskInitialParams({
  model,
  files,
  seed,
}: {
  model: ModelFile;
  files?: readonly string[];
  seed: number;
}): Promise<{ params: Float32Array; from: string }> {
  if (model.family === "forest") {
    if ((files?.length ?? 0) > 0)
      throw new InvalidModelSpecError(
        `forest "${model.forest.id}" takes no weights: it starts with no counts`,
      );
    return {
      params: new Float32Array(forestDimension(model.forest)),
      from: "no counts (a forest starts empty)",
    };
  }
  if ((files?.length ?? 0) > 0 || (model.weightPaths?.length ?? 0) > 0)
    return { params: await readInitialWeights({ model, ...(files ? { files } : {}) }), from: "weights file" };
  return { params: initialParams({ spec: model.spec, seed }), from: `drawn from seed ${seed}` };
}
