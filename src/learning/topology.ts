/**
 * A task's model as a TensorFlow.js Layers topology: the `modelTopology` of a `model.json` written by
 * `model.save` in TF.js or by the TF.js converter from Keras. The task pins the topology's hash; this
 * file reads and checks a topology, states the canonical order in which its parameters travel, draws
 * deterministic initial values and imports a weights file.
 *
 * Canonical parameter order (docs/own-data.md, "Parameters on the wire"): the order of the loaded
 * model's `model.weights` in TF.js, which is also the order `model.save` writes them in: first every
 * trainable weight, layer by layer in the model's layer order (the topology's order for a Sequential
 * model), each layer's in the order it creates them — Dense and Conv: kernel, bias; LSTM and GRU:
 * kernel, recurrent_kernel, bias; Embedding: embeddings; BatchNormalization: gamma, beta — then the
 * non-trainable ones the same way (BatchNormalization: moving_mean, moving_variance). Each tensor is
 * flattened row-major (TF.js's own layout).
 */
import { keccak256, toUtf8Bytes } from "ethers";
import { canonicalJson } from "../data/canonical-json.js";
import { createRng } from "../data/rng.js";

export class InvalidModelSpecError extends Error {
  readonly code = "invalid-model-spec";
  constructor(message: string) {
    super(message);
    this.name = "InvalidModelSpecError";
  }
}

/** A JSON object as read from a model file. */
export type JsonObject = { readonly [key: string]: unknown };

/** A TF.js Layers model topology (Keras configuration format, snake_case keys). */
export interface LayersTopology extends JsonObject {
  readonly class_name: string;
  readonly config: unknown;
}

/** Where one named tensor sits in the flattened parameter vector. */
export interface ParamTensorLayout {
  /** `<layer name>/<weight>`, as TF.js and Keras name it. */
  readonly name: string;
  readonly shape: readonly number[];
  readonly offset: number;
  readonly size: number;
  /** False for state a layer updates itself (BatchNormalization's moving statistics). */
  readonly trainable: boolean;
}

/** One layer's L1/L2 penalty on its output, applied by the training loop (TF.js Layers has none). */
export interface ActivityPenalty {
  readonly layer: string;
  readonly l1: number;
  readonly l2: number;
}

/** Layer classes a task's model may use. Anything else is refused when the model is read. */
export const SUPPORTED_LAYERS: ReadonlySet<string> = new Set([
  "InputLayer",
  "Dense",
  "Conv1D",
  "Conv2D",
  "MaxPooling1D",
  "MaxPooling2D",
  "AveragePooling1D",
  "AveragePooling2D",
  "GlobalAveragePooling1D",
  "GlobalAveragePooling2D",
  "GlobalMaxPooling1D",
  "GlobalMaxPooling2D",
  "LSTM",
  "GRU",
  "Embedding",
  "Dropout",
  "BatchNormalization",
  "Flatten",
  "Reshape",
  "Activation",
]);

const isObject = (v: unknown): v is JsonObject => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * The topology inside a model file: a whole `model.json` (`{ modelTopology, weightsManifest, … }`), a
 * Keras full-model JSON (`{ model_config }`) or a bare topology.
 */
export function topologyOf({ json, source = "model" }: { json: unknown; source?: string }): LayersTopology {
  let topology: unknown = isObject(json) && "modelTopology" in json ? json["modelTopology"] : json;
  if (isObject(topology) && isObject(topology["model_config"])) topology = topology["model_config"];
  if (!isObject(topology) || typeof topology["class_name"] !== "string" || !("config" in topology))
    throw new InvalidModelSpecError(
      `${source}: not a TF.js Layers model (expected model.json with modelTopology { class_name, config })`,
    );
  return topology as LayersTopology;
}

/** keccak256 of the topology's canonical JSON: what a task pins. */
export function topologyHash(topology: LayersTopology): string {
  return keccak256(toUtf8Bytes(canonicalJson(topology)));
}

interface LayerEntry {
  readonly class_name: string;
  readonly config: JsonObject;
}

function layersOf(topology: LayersTopology, source: string): { layers: LayerEntry[]; sequential: boolean } {
  const config = topology.config;
  const sequential = topology.class_name === "Sequential";
  if (!sequential && topology.class_name !== "Model" && topology.class_name !== "Functional")
    throw new InvalidModelSpecError(
      `${source}: the model is a ${topology.class_name}; only Sequential and functional (Model) topologies are supported`,
    );
  // Keras 2.2 wrote a Sequential's config as the bare list of layers.
  const list = Array.isArray(config) ? config : isObject(config) ? config["layers"] : undefined;
  if (!Array.isArray(list) || list.length === 0)
    throw new InvalidModelSpecError(`${source}: the topology lists no layers`);
  const layers = list.map((raw: unknown, i) => {
    if (!isObject(raw) || typeof raw["class_name"] !== "string" || !isObject(raw["config"]))
      throw new InvalidModelSpecError(`${source}: layer ${i} is not { class_name, config }`);
    return raw as unknown as LayerEntry;
  });
  return { layers, sequential };
}

/** Names of a topology's LSTM layers (their bias gets the forget-gate ones in `drawInitialParams`). */
export function lstmLayerNames(topology: LayersTopology): Set<string> {
  return new Set(
    layersOf(topology, "model")
      .layers.filter((l) => l.class_name === "LSTM")
      .map((l) => l.config["name"] as string),
  );
}

/** Keras writes `L1` and `L2` regularizer classes; TF.js knows only `L1L2`. */
function regularizerToTfjs(value: unknown): unknown {
  if (!isObject(value)) return value;
  const cls = value["class_name"];
  const cfg = isObject(value["config"]) ? value["config"] : {};
  if (cls === "L1") return { class_name: "L1L2", config: { l1: Number(cfg["l1"] ?? 0.01), l2: 0 } };
  if (cls === "L2") return { class_name: "L1L2", config: { l1: 0, l2: Number(cfg["l2"] ?? 0.01) } };
  return value;
}

function penaltyOf(value: unknown, where: string): { l1: number; l2: number } {
  const normalised = regularizerToTfjs(value);
  if (!isObject(normalised) || normalised["class_name"] !== "L1L2" || !isObject(normalised["config"]))
    throw new InvalidModelSpecError(`${where}: activity_regularizer must be L1, L2 or L1L2`);
  const l1 = Number(normalised["config"]["l1"] ?? 0);
  const l2 = Number(normalised["config"]["l2"] ?? 0);
  if (!(l1 >= 0) || !(l2 >= 0)) throw new InvalidModelSpecError(`${where}: penalties must be non-negative`);
  return { l1, l2 };
}

/** What the trainer builds from a pinned topology. */
export interface RuntimeTopology {
  /** The topology TF.js deserialises: activity regularizers lifted out, the output softmax made linear. */
  readonly topology: LayersTopology;
  readonly sequential: boolean;
  /** Output penalties the training loop adds (Sequential models only). */
  readonly activityPenalties: readonly ActivityPenalty[];
}

/**
 * Checks a topology's layers and derives what TF.js runs. The output layer must give one score per class
 * with a softmax or linear activation: the trainer works on logits (a softmax output is run linear and
 * the softmax applied in the loss and in `predict`, which is the same model, more stable).
 */
export function runtimeTopology({
  topology,
  source = "model",
}: {
  topology: LayersTopology;
  source?: string;
}): RuntimeTopology {
  const { layers, sequential } = layersOf(topology, source);
  const activityPenalties: ActivityPenalty[] = [];
  const names = new Set<string>();
  const rewritten = layers.map((layer, i) => {
    const name = layer.config["name"];
    const where = `${source}: layer ${i} (${layer.class_name}${typeof name === "string" ? ` "${name}"` : ""})`;
    if (!SUPPORTED_LAYERS.has(layer.class_name))
      throw new InvalidModelSpecError(
        `${where}: layer type ${layer.class_name} is not supported (supported: ${[...SUPPORTED_LAYERS].join(", ")})`,
      );
    // Parameters are named after their layer, so names must be given and unique.
    if (typeof name !== "string" || name === "")
      throw new InvalidModelSpecError(`${where}: every layer needs a name`);
    if (names.has(name)) throw new InvalidModelSpecError(`${where}: the layer name "${name}" appears twice`);
    names.add(name);
    const config: Record<string, unknown> = { ...layer.config };
    if (layer.class_name === "GRU" && config["reset_after"] === true)
      throw new InvalidModelSpecError(
        `${where}: GRU with reset_after=True (Keras 2's default) is not available in TF.js; set reset_after=False`,
      );
    for (const key of Object.keys(config)) {
      if (key.endsWith("_regularizer") && key !== "activity_regularizer")
        config[key] = regularizerToTfjs(config[key]);
    }
    if (config["activity_regularizer"] !== null && config["activity_regularizer"] !== undefined) {
      if (!sequential)
        throw new InvalidModelSpecError(
          `${where}: activity regularizers are supported in Sequential models only`,
        );
      const penalty = penaltyOf(config["activity_regularizer"], where);
      if (penalty.l1 > 0 || penalty.l2 > 0) activityPenalties.push({ layer: name, ...penalty });
      config["activity_regularizer"] = null;
    }
    return { ...layer, config };
  });
  const outputName = outputLayerName(topology, rewritten, sequential, source);
  const output = rewritten.find((l) => l.config["name"] === outputName);
  if (!output)
    throw new InvalidModelSpecError(`${source}: the output layer "${outputName}" is not in the topology`);
  const activation = output.config["activation"];
  if (activation !== "softmax" && activation !== "linear" && activation !== undefined && activation !== null)
    throw new InvalidModelSpecError(
      `${source}: the output layer "${outputName}" must end in softmax or linear (one score per class), not ${JSON.stringify(activation)}`,
    );
  if (activation === "softmax") output.config["activation"] = "linear";
  const config = isObject(topology.config)
    ? { ...topology.config, layers: rewritten }
    : { layers: rewritten };
  return { topology: { ...topology, config }, sequential, activityPenalties };
}

function outputLayerName(
  topology: LayersTopology,
  layers: readonly LayerEntry[],
  sequential: boolean,
  source: string,
): string {
  if (sequential) return layers[layers.length - 1]!.config["name"] as string;
  const outputs = isObject(topology.config) ? topology.config["output_layers"] : undefined;
  if (!Array.isArray(outputs) || outputs.length !== 1 || !Array.isArray(outputs[0]))
    throw new InvalidModelSpecError(`${source}: a functional model must have exactly one output`);
  return String(outputs[0][0]);
}

/** Assigns offsets to tensors in canonical order. */
export function withOffsets(
  tensors: readonly { name: string; shape: readonly number[]; trainable: boolean }[],
): ParamTensorLayout[] {
  let offset = 0;
  return tensors.map((t) => {
    const size = t.shape.reduce((a, b) => a * b, 1);
    const entry = { name: t.name, shape: [...t.shape], trainable: t.trainable, offset, size };
    offset += size;
    return entry;
  });
}

/** The weight's role within its layer: the last part of `<layer>/<weight>`. */
export function weightRole(name: string): string {
  return name.slice(name.lastIndexOf("/") + 1);
}

/**
 * Deterministic initial values drawn in plain JavaScript from the seed (the same on every backend and
 * machine), in canonical order: kernels Glorot-uniform (fans as Keras computes them, receptive field
 * included), embeddings uniform in ±0.05, gamma and moving variance 1, biases and the rest 0 except an
 * LSTM's forget-gate bias, which is 1 (Keras's `unit_forget_bias`). A task may instead ship trained
 * initial weights (`draft-task --weights`).
 */
export function drawInitialParams({
  layout,
  lstmLayers,
  seed,
}: {
  layout: readonly ParamTensorLayout[];
  /** Names of LSTM layers (their bias gets the forget-gate ones). */
  lstmLayers: ReadonlySet<string>;
  seed: number;
}): Float32Array {
  const total = layout.reduce((n, t) => n + t.size, 0);
  const params = new Float32Array(total);
  const rng = createRng(seed);
  for (const t of layout) {
    const role = weightRole(t.name);
    const layer = t.name.slice(0, t.name.lastIndexOf("/"));
    if (role.endsWith("kernel") && t.shape.length >= 2) {
      const receptive = t.shape.slice(0, -2).reduce((a, b) => a * b, 1);
      const fanIn = (t.shape[t.shape.length - 2] as number) * receptive;
      const fanOut = (t.shape[t.shape.length - 1] as number) * receptive;
      const limit = Math.sqrt(6 / (fanIn + fanOut));
      for (let i = 0; i < t.size; i++) params[t.offset + i] = (2 * rng.next() - 1) * limit;
    } else if (role === "embeddings") {
      for (let i = 0; i < t.size; i++) params[t.offset + i] = (2 * rng.next() - 1) * 0.05;
    } else if (role === "gamma" || role === "moving_variance") {
      params.fill(1, t.offset, t.offset + t.size);
    } else if (role === "bias" && lstmLayers.has(layer)) {
      // Gate order i, f, c, o: forget-gate bias 1 so early training does not forget everything.
      const h = t.size / 4;
      params.fill(1, t.offset + h, t.offset + 2 * h);
    }
  }
  return params;
}

/** One entry of a model.json `weightsManifest[].weights`. */
export interface WeightSpec {
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype?: string;
}

/**
 * Parameters in canonical order from a TF.js weights file: `specs` in the order the bytes hold them (the
 * manifest's order, shards concatenated), float32 little-endian. Every tensor of the layout must be there
 * with its shape, and nothing else.
 */
export function paramsFromWeights({
  layout,
  specs,
  data,
  source = "weights",
}: {
  layout: readonly ParamTensorLayout[];
  specs: readonly WeightSpec[];
  data: Uint8Array;
  source?: string;
}): Float32Array {
  const byName = new Map<string, { offset: number; spec: WeightSpec }>();
  let offset = 0;
  for (const spec of specs) {
    if (spec.dtype !== undefined && spec.dtype !== "float32")
      throw new InvalidModelSpecError(
        `${source}: weight "${spec.name}" is ${spec.dtype}; only float32 weights are read`,
      );
    byName.set(spec.name, { offset, spec });
    offset += 4 * spec.shape.reduce((a, b) => a * b, 1);
  }
  if (offset !== data.length)
    throw new InvalidModelSpecError(
      `${source}: the manifest describes ${offset} bytes of weights but the file has ${data.length}`,
    );
  const unknown = specs.filter((s) => !layout.some((t) => t.name === s.name)).map((s) => s.name);
  if (unknown.length > 0)
    throw new InvalidModelSpecError(`${source}: weights not in the model: ${unknown.join(", ")}`);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const params = new Float32Array(layout.reduce((n, t) => n + t.size, 0));
  for (const t of layout) {
    const entry = byName.get(t.name);
    if (!entry) throw new InvalidModelSpecError(`${source}: the weight "${t.name}" is missing`);
    if (entry.spec.shape.join("x") !== t.shape.join("x"))
      throw new InvalidModelSpecError(
        `${source}: "${t.name}" is shaped [${entry.spec.shape.join(", ")}], the model needs [${t.shape.join(", ")}]`,
      );
    for (let i = 0; i < t.size; i++) {
      const value = view.getFloat32(entry.offset + 4 * i, true);
      if (!Number.isFinite(value))
        throw new InvalidModelSpecError(`${source}: "${t.name}"[${i}] is ${value}`);
      params[t.offset + i] = value;
    }
  }
  return params;
}

/**
 * A TF.js `model.json` and weights file for a spec's topology with the given parameters: what the
 * consortium's trained model looks like to TF.js (`tf.loadLayersModel`) or, converted, to Keras.
 */
export function modelArtifacts({
  topology,
  layout,
  params,
}: {
  topology: LayersTopology;
  layout: readonly ParamTensorLayout[];
  params: Float32Array;
}): { modelJson: JsonObject; weightData: Uint8Array } {
  const weightData = new Uint8Array(4 * params.length);
  const view = new DataView(weightData.buffer);
  params.forEach((v, i) => view.setFloat32(4 * i, v, true));
  return {
    modelJson: {
      format: "layers-model",
      generatedBy: "circular-fl",
      modelTopology: topology,
      weightsManifest: [
        {
          paths: ["weights.bin"],
          weights: layout.map((t) => ({ name: t.name, shape: [...t.shape], dtype: "float32" })),
        },
      ],
    },
    weightData,
  };
}
