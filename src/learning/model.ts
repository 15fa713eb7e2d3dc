/**
 * The consortium's model: the seed's sparse encoder (dense ReLU layers with L1 penalties on kernels
 * and activations), an optional LSTM over time steps, and a linear classifier; written with TF.js core
 * ops so that parameter names, order and initial values are fixed by the spec and the seed alone.
 *
 * Parameters travel as one Float32Array in canonical order: tensors sorted by name (code-unit order),
 * each flattened row-major. `paramLayout(spec)` states that order.
 */
import { tf } from "./backend.js";
import { createRng } from "../data/rng.js";
import type { ModelSpec } from "./types.js";

export class InvalidModelSpecError extends Error {
  readonly code = "invalid-model-spec";
  constructor(message: string) {
    super(message);
    this.name = "InvalidModelSpecError";
  }
}

export class ParamsMismatchError extends Error {
  readonly code = "params-mismatch";
  constructor(message: string) {
    super(message);
    this.name = "ParamsMismatchError";
  }
}

/** Where one named tensor sits in the flattened parameter vector. */
export interface ParamTensorLayout {
  readonly name: string;
  readonly shape: readonly number[];
  readonly offset: number;
  readonly size: number;
  readonly init: "glorot" | "zeros" | "lstm-bias";
}

const isPositiveInt = (x: unknown): x is number => Number.isInteger(x) && (x as number) > 0;

export function validateModelSpec(spec: ModelSpec): ModelSpec {
  const where = `model spec "${spec.id}"`;
  if (typeof spec.id !== "string" || spec.id === "")
    throw new InvalidModelSpecError("model spec id must be non-empty");
  if (
    !(spec.inputShape.length === 1 || spec.inputShape.length === 2) ||
    !spec.inputShape.every(isPositiveInt)
  ) {
    throw new InvalidModelSpecError(
      `${where}: inputShape must be [features] or [steps, features] of positive integers`,
    );
  }
  if (!spec.encoderUnits.every(isPositiveInt)) {
    throw new InvalidModelSpecError(`${where}: encoderUnits must be positive integers`);
  }
  if (spec.inputShape.length === 2 && !isPositiveInt(spec.recurrentUnits)) {
    throw new InvalidModelSpecError(
      `${where}: sequence input needs a positive recurrentUnits (the LSTM size)`,
    );
  }
  if (spec.inputShape.length === 1 && spec.recurrentUnits !== undefined) {
    throw new InvalidModelSpecError(`${where}: recurrentUnits is only for sequence input [steps, features]`);
  }
  if (!Number.isInteger(spec.classes) || spec.classes < 2) {
    throw new InvalidModelSpecError(`${where}: classes must be an integer >= 2`);
  }
  if (!(spec.l1Kernel >= 0) || !(spec.l1Activity >= 0)) {
    throw new InvalidModelSpecError(`${where}: L1 penalties must be non-negative numbers`);
  }
  return spec;
}

/** The named tensors of a spec in canonical (sorted-name) order, with offsets into the flat vector. */
export function paramLayout(spec: ModelSpec): ParamTensorLayout[] {
  validateModelSpec(spec);
  const features = spec.inputShape[spec.inputShape.length - 1] as number;
  const tensors: Omit<ParamTensorLayout, "offset" | "size">[] = [];
  let width = features;
  spec.encoderUnits.forEach((units, i) => {
    tensors.push({ name: `encoder_${i}/kernel`, shape: [width, units], init: "glorot" });
    tensors.push({ name: `encoder_${i}/bias`, shape: [units], init: "zeros" });
    width = units;
  });
  if (spec.recurrentUnits !== undefined) {
    const h = spec.recurrentUnits;
    tensors.push({ name: "lstm/kernel", shape: [width, 4 * h], init: "glorot" });
    tensors.push({ name: "lstm/recurrent_kernel", shape: [h, 4 * h], init: "glorot" });
    tensors.push({ name: "lstm/bias", shape: [4 * h], init: "lstm-bias" });
    width = h;
  }
  tensors.push({ name: "classifier/kernel", shape: [width, spec.classes], init: "glorot" });
  tensors.push({ name: "classifier/bias", shape: [spec.classes], init: "zeros" });
  tensors.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  let offset = 0;
  return tensors.map((t) => {
    const size = t.shape.reduce((a, b) => a * b, 1);
    const entry = { ...t, offset, size };
    offset += size;
    return entry;
  });
}

/** d, the length of the flattened parameter vector (the policy's dimension). */
export function paramCount(spec: ModelSpec): number {
  return paramLayout(spec).reduce((total, t) => total + t.size, 0);
}

/** Initial parameters drawn in plain JavaScript from the seed: identical on every backend. */
export function initialParams({ spec, seed }: { spec: ModelSpec; seed: number }): Float32Array {
  const layout = paramLayout(spec);
  const params = new Float32Array(paramCount(spec));
  const rng = createRng(seed);
  for (const t of layout) {
    if (t.init === "glorot") {
      const [fanIn, fanOut] = t.shape as [number, number];
      const limit = Math.sqrt(6 / (fanIn + fanOut));
      for (let i = 0; i < t.size; i++) params[t.offset + i] = (2 * rng.next() - 1) * limit;
    } else if (t.init === "lstm-bias") {
      // Forget-gate bias 1 (gate order i, f, c, o) so early training does not forget everything.
      const h = t.size / 4;
      for (let i = h; i < 2 * h; i++) params[t.offset + i] = 1;
    }
  }
  return params;
}

/** A model instance on the current TF.js backend; call `dispose()` when done. */
export interface Model {
  readonly spec: ModelSpec;
  readonly layout: readonly ParamTensorLayout[];
  /** Trainable variables by canonical name. */
  readonly variables: ReadonlyMap<string, tf.Variable>;
  dispose(): void;
}

export function createModel({ spec, seed }: { spec: ModelSpec; seed: number }): Model {
  const layout = paramLayout(spec);
  const params = initialParams({ spec, seed });
  const variables = new Map<string, tf.Variable>();
  for (const t of layout) {
    // Unnamed: TF.js variable names are global to the engine, and many models coexist in one process.
    const initial = tf.tensor(params.subarray(t.offset, t.offset + t.size), [...t.shape]);
    variables.set(t.name, tf.variable(initial));
    // The variable holds its own reference to the data; the initial tensor would otherwise leak.
    initial.dispose();
  }
  return {
    spec,
    layout,
    variables,
    dispose: () => variables.forEach((v) => v.dispose()),
  };
}

export function getParams(model: Model): Float32Array {
  const out = new Float32Array(paramCount(model.spec));
  for (const t of model.layout) out.set((model.variables.get(t.name) as tf.Variable).dataSync(), t.offset);
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
    for (const t of model.layout) {
      (model.variables.get(t.name) as tf.Variable).assign(
        tf.tensor(params.subarray(t.offset, t.offset + t.size), [...t.shape]),
      );
    }
  });
}

/** Logits and the encoder's output activations (for the L1 activity penalty). */
export interface ForwardResult {
  readonly logits: tf.Tensor2D;
  readonly codes: tf.Tensor2D;
}

/** The forward pass for a batch shaped [batch, ...inputShape]; call inside tf.tidy. */
export function forward({ model, input }: { model: Model; input: tf.Tensor }): ForwardResult {
  const { spec, variables } = model;
  const v = (name: string): tf.Variable => variables.get(name) as tf.Variable;
  const batch = input.shape[0];
  const features = spec.inputShape[spec.inputShape.length - 1] as number;
  let h = input.reshape<tf.Tensor2D>([-1, features]);
  spec.encoderUnits.forEach((_, i) => {
    h = tf.relu(tf.add<tf.Tensor2D>(tf.matMul(h, v(`encoder_${i}/kernel`)), v(`encoder_${i}/bias`)));
  });
  const codes = h;
  if (spec.recurrentUnits !== undefined) {
    const steps = spec.inputShape[0] as number;
    const units = spec.recurrentUnits;
    const encoded = h.reshape<tf.Tensor3D>([batch, steps, -1]);
    let state = tf.zeros<tf.Rank.R2>([batch, units]);
    let cell = tf.zeros<tf.Rank.R2>([batch, units]);
    for (let t = 0; t < steps; t++) {
      const x = encoded.slice([0, t, 0], [batch, 1, -1]).reshape<tf.Tensor2D>([batch, -1]);
      const z = tf.add<tf.Tensor2D>(
        tf.add<tf.Tensor2D>(tf.matMul(x, v("lstm/kernel")), tf.matMul(state, v("lstm/recurrent_kernel"))),
        v("lstm/bias"),
      );
      const [i, f, g, o] = tf.split<tf.Tensor2D>(z, 4, 1) as [
        tf.Tensor2D,
        tf.Tensor2D,
        tf.Tensor2D,
        tf.Tensor2D,
      ];
      cell = tf.add(tf.mul(tf.sigmoid(f), cell), tf.mul(tf.sigmoid(i), tf.tanh(g)));
      state = tf.mul(tf.sigmoid(o), tf.tanh(cell));
    }
    h = state;
  }
  const logits = tf.add<tf.Tensor2D>(tf.matMul(h, v("classifier/kernel")), v("classifier/bias"));
  return { logits, codes };
}
