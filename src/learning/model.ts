/**
 * The consortium's model: a TF.js Layers topology (a task's own `model.json`, or one of the built-in
 * presets written as one) run by TF.js, with parameters exchanged as one Float32Array in the canonical
 * order `topology.ts` states. A `ModelSpec` carries the pinned topology and what loading it revealed
 * (input shape, classes, parameter layout), so the layout is known without building the model.
 */
import { initBackend, tf } from "./backend.js";
import {
  drawInitialParams,
  InvalidModelSpecError,
  lstmLayerNames,
  runtimeTopology,
  withOffsets,
  type ActivityPenalty,
  type LayersTopology,
  type ParamTensorLayout,
} from "./topology.js";
import type { ModelSpec } from "./types.js";

export { InvalidModelSpecError, type ParamTensorLayout };

export class ParamsMismatchError extends Error {
  readonly code = "params-mismatch";
  constructor(message: string) {
    super(message);
    this.name = "ParamsMismatchError";
  }
}

type LayerVariable = tf.LayerVariable;

/** A built TF.js model's layers (the input layer has no weights and is not one of them). */
type NetworkLayer = tf.LayersModel["layers"][number];

function layersOf(network: tf.LayersModel): NetworkLayer[] {
  return network.layers.filter((l) => l.getClassName() !== "InputLayer");
}

/**
 * The built model's weights in canonical order, the order of TF.js's `model.weights` (and of what
 * `model.save` writes): the trainable weights layer by layer, then the non-trainable ones.
 */
function canonicalWeights(network: tf.LayersModel): LayerVariable[] {
  return [...network.trainableWeights, ...network.nonTrainableWeights];
}

async function build(topology: LayersTopology): Promise<tf.LayersModel> {
  await initBackend();
  try {
    return await tf.models.modelFromJSON({
      modelTopology: topology,
    } as unknown as Parameters<typeof tf.models.modelFromJSON>[0]);
  } catch (error) {
    throw new InvalidModelSpecError(`TF.js cannot build the model: ${(error as Error).message}`);
  }
}

/**
 * Reads a topology into a `ModelSpec`: checks its layers, builds it once in TF.js to learn its input
 * shape, classes and parameter layout, and disposes it again.
 */
export async function loadModelSpec({
  id,
  topology,
  source = "model",
}: {
  id: string;
  topology: LayersTopology;
  source?: string;
}): Promise<ModelSpec> {
  const runtime = runtimeTopology({ topology, source });
  const network = await build(runtime.topology);
  try {
    const input = network.inputs[0]?.shape ?? [];
    if (network.inputs.length !== 1 || input.slice(1).some((n) => n === null))
      throw new InvalidModelSpecError(
        `${source}: the model needs one input with a fixed shape, got [${input.join(", ")}]`,
      );
    const output = network.outputs[0]?.shape ?? [];
    if (network.outputs.length !== 1 || output.length !== 2 || !((output[1] ?? 0) >= 2))
      throw new InvalidModelSpecError(
        `${source}: the model must output one score per class (shape [batch, classes ≥ 2]), got [${output.join(", ")}]`,
      );
    const layout = withOffsets(
      canonicalWeights(network).map((w) => ({
        name: w.originalName,
        shape: w.shape as number[],
        trainable: w.trainable,
      })),
    );
    const names = new Set(layout.map((t) => t.name));
    if (names.size !== layout.length) throw new InvalidModelSpecError(`${source}: two weights share a name`);
    return validateModelSpec({
      id,
      topology,
      inputShape: input.slice(1) as number[],
      classes: output[1] as number,
      layout,
    });
  } finally {
    network.dispose();
  }
}

export function validateModelSpec(spec: ModelSpec): ModelSpec {
  if (typeof spec.id !== "string" || spec.id === "")
    throw new InvalidModelSpecError("model spec id must be non-empty");
  const where = `model "${spec.id}"`;
  if (spec.inputShape.length === 0 || !spec.inputShape.every((n) => Number.isInteger(n) && n > 0))
    throw new InvalidModelSpecError(`${where}: inputShape must be positive integers`);
  if (!Number.isInteger(spec.classes) || spec.classes < 2)
    throw new InvalidModelSpecError(`${where}: classes must be an integer >= 2`);
  if (spec.layout.length === 0) throw new InvalidModelSpecError(`${where}: the model has no parameters`);
  let offset = 0;
  for (const t of spec.layout) {
    if (t.offset !== offset || t.size !== t.shape.reduce((a, b) => a * b, 1))
      throw new InvalidModelSpecError(`${where}: the layout of "${t.name}" is inconsistent`);
    offset += t.size;
  }
  return spec;
}

/** The named tensors of a spec in canonical order, with offsets into the flat vector. */
export function paramLayout(spec: ModelSpec): readonly ParamTensorLayout[] {
  return validateModelSpec(spec).layout;
}

/** d, the length of the flattened parameter vector (the policy's dimension). */
export function paramCount(spec: ModelSpec): number {
  return paramLayout(spec).reduce((total, t) => total + t.size, 0);
}

/** Initial parameters drawn in plain JavaScript from the seed: identical on every backend. */
export function initialParams({ spec, seed }: { spec: ModelSpec; seed: number }): Float32Array {
  return drawInitialParams({ layout: paramLayout(spec), lstmLayers: lstmLayerNames(spec.topology), seed });
}

/** A model instance on the current TF.js backend; call `dispose()` when done. */
export interface Model {
  readonly spec: ModelSpec;
  readonly layout: readonly ParamTensorLayout[];
  readonly network: tf.LayersModel;
  /** The network's weights in canonical order (aligned with `layout`). */
  readonly weights: readonly LayerVariable[];
  /** Weights the optimiser updates. */
  readonly trainable: readonly tf.Variable[];
  readonly sequential: boolean;
  readonly activityPenalties: readonly ActivityPenalty[];
  dispose(): void;
}

/** Builds the spec's model with `initialParams({ spec, seed })`. */
export async function createModel({ spec, seed }: { spec: ModelSpec; seed: number }): Promise<Model> {
  const layout = paramLayout(spec);
  const runtime = runtimeTopology({ topology: spec.topology, source: `model "${spec.id}"` });
  const network = await build(runtime.topology);
  const weights = canonicalWeights(network);
  const built = weights.map((w) => `${w.originalName}[${w.shape.join(",")}]`).join(" ");
  const expected = layout.map((t) => `${t.name}[${t.shape.join(",")}]`).join(" ");
  if (built !== expected) {
    network.dispose();
    throw new InvalidModelSpecError(`model "${spec.id}": TF.js builds ${built}, the spec says ${expected}`);
  }
  const model: Model = {
    spec,
    layout,
    network,
    weights,
    // A LayerVariable holds a tf.Variable; the optimiser needs it as such.
    trainable: weights.filter((w) => w.trainable).map((w) => w.read() as tf.Variable),
    sequential: runtime.sequential,
    activityPenalties: runtime.activityPenalties,
    dispose: () => network.dispose(),
  };
  setParams(model, initialParams({ spec, seed }));
  return model;
}

export function getParams(model: Model): Float32Array {
  const out = new Float32Array(paramCount(model.spec));
  model.layout.forEach((t, i) => out.set(model.weights[i]!.read().dataSync(), t.offset));
  return out;
}

export function setParams(model: Model, params: Float32Array): void {
  const expected = paramCount(model.spec);
  if (!(params instanceof Float32Array) || params.length !== expected) {
    throw new ParamsMismatchError(
      `model "${model.spec.id}" has ${expected} parameters, got ${params instanceof Float32Array ? params.length : "a non-Float32Array"}`,
    );
  }
  for (let i = 0; i < params.length; i++) {
    if (!Number.isFinite(params[i])) throw new ParamsMismatchError(`parameter ${i} is ${params[i]}`);
  }
  tf.tidy(() => {
    model.layout.forEach((t, i) => {
      model.weights[i]!.write(tf.tensor(params.subarray(t.offset, t.offset + t.size), [...t.shape]));
    });
  });
}

/** Logits and the activity penalty of the output-regularised layers (zero when there are none). */
export interface ForwardResult {
  readonly logits: tf.Tensor2D;
  readonly activityPenalty: tf.Scalar;
}

/** The forward pass for a batch shaped [batch, ...inputShape]; call inside tf.tidy. */
export function forward({
  model,
  input,
  training = false,
}: {
  model: Model;
  input: tf.Tensor;
  training?: boolean;
}): ForwardResult {
  let penalty = tf.scalar(0);
  if (!model.sequential || model.activityPenalties.length === 0) {
    const logits = model.network.apply(input, { training }) as tf.Tensor2D;
    return { logits, activityPenalty: penalty };
  }
  // Layer by layer, so that the outputs a penalty applies to are at hand (Keras: sum over the batch
  // divided by the batch size).
  const batch = input.shape[0];
  let h: tf.Tensor = input;
  for (const layer of layersOf(model.network)) {
    h = layer.apply(h, { training }) as tf.Tensor;
    const p = model.activityPenalties.find((a) => a.layer === layer.name);
    if (p) {
      if (p.l1 > 0) penalty = tf.add(penalty, tf.mul(p.l1 / batch, tf.sum(tf.abs(h))));
      if (p.l2 > 0) penalty = tf.add(penalty, tf.mul(p.l2 / batch, tf.sum(tf.square(h))));
    }
  }
  return { logits: h as tf.Tensor2D, activityPenalty: penalty };
}
