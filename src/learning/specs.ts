/**
 * The built-in models, written as TF.js Layers topologies like any task's own `model.json`: they are
 * presets of the same mechanism (same loader, trainer, parameter order and pinning), not a separate
 * path. Sizes keep d in the low thousands for the circuits of today's instances (k ≤ 128 per proof).
 *
 * A preset's layout is stated here, so that it is known synchronously; `createModel` checks it against
 * what TF.js builds from the topology, and a test loads every preset through `loadModelSpec`.
 */
import { AI4I_FEATURE_NAMES } from "./ai4i.js";
import { InvalidModelSpecError, withOffsets, type LayersTopology } from "./topology.js";
import type { ModelSpec } from "./types.js";

/** The seed article's sparse encoder, optionally followed by an LSTM over time steps, then a classifier. */
export interface SparseEncoderPreset {
  readonly id: string;
  /** [F] for tabular input, [T, F] for sequences (the encoder is applied at every step, then the LSTM). */
  readonly inputShape: readonly number[];
  /** Hidden sizes of the encoder's dense ReLU layers. */
  readonly encoderUnits: readonly number[];
  /** LSTM state size; only for sequence input. */
  readonly recurrentUnits?: number;
  readonly classes: number;
  /** L1 penalty on the encoder's kernels (drives weights to zero). */
  readonly l1Kernel: number;
  /** L1 penalty on the last encoder layer's outputs (drives codes to zero). */
  readonly l1Activity: number;
}

const GLOROT = { class_name: "GlorotUniform", config: { seed: null } };
const ZEROS = { class_name: "Zeros", config: {} };
const l1 = (value: number) => (value > 0 ? { class_name: "L1L2", config: { l1: value, l2: 0 } } : null);

function dense({
  name,
  units,
  activation,
  kernelL1 = 0,
  activityL1 = 0,
  inputShape,
}: {
  name: string;
  units: number;
  activation: string;
  kernelL1?: number;
  activityL1?: number;
  inputShape?: readonly number[];
}) {
  return {
    class_name: "Dense",
    config: {
      name,
      units,
      activation,
      use_bias: true,
      kernel_initializer: GLOROT,
      bias_initializer: ZEROS,
      kernel_regularizer: l1(kernelL1),
      bias_regularizer: null,
      activity_regularizer: l1(activityL1),
      kernel_constraint: null,
      bias_constraint: null,
      trainable: true,
      dtype: "float32",
      ...(inputShape ? { batch_input_shape: [null, ...inputShape] } : {}),
    },
  };
}

/** A `ModelSpec` for the seed's architecture, as a Sequential topology. */
export function sparseEncoderSpec(preset: SparseEncoderPreset): ModelSpec {
  const { id, inputShape, encoderUnits, recurrentUnits, classes } = preset;
  const layers: unknown[] = [];
  const tensors: { name: string; shape: number[]; trainable: boolean }[] = [];
  let width = inputShape[inputShape.length - 1] as number;
  encoderUnits.forEach((units, i) => {
    const name = `encoder_${i}`;
    layers.push(
      dense({
        name,
        units,
        activation: "relu",
        kernelL1: preset.l1Kernel,
        activityL1: i === encoderUnits.length - 1 ? preset.l1Activity : 0,
        ...(i === 0 ? { inputShape } : {}),
      }),
    );
    tensors.push({ name: `${name}/kernel`, shape: [width, units], trainable: true });
    tensors.push({ name: `${name}/bias`, shape: [units], trainable: true });
    width = units;
  });
  if (recurrentUnits !== undefined) {
    const h = recurrentUnits;
    layers.push({
      class_name: "LSTM",
      config: {
        name: "lstm",
        units: h,
        activation: "tanh",
        recurrent_activation: "sigmoid",
        use_bias: true,
        kernel_initializer: GLOROT,
        recurrent_initializer: GLOROT,
        bias_initializer: ZEROS,
        unit_forget_bias: true,
        return_sequences: false,
        trainable: true,
        dtype: "float32",
      },
    });
    tensors.push({ name: "lstm/kernel", shape: [width, 4 * h], trainable: true });
    tensors.push({ name: "lstm/recurrent_kernel", shape: [h, 4 * h], trainable: true });
    tensors.push({ name: "lstm/bias", shape: [4 * h], trainable: true });
    width = h;
  }
  layers.push(dense({ name: "classifier", units: classes, activation: "softmax" }));
  tensors.push({ name: "classifier/kernel", shape: [width, classes], trainable: true });
  tensors.push({ name: "classifier/bias", shape: [classes], trainable: true });
  const topology: LayersTopology = { class_name: "Sequential", config: { name: id, layers } };
  return { id, topology, inputShape: [...inputShape], classes, layout: withOffsets(tensors) };
}

/** Predictive maintenance on AI4I 2020: 10 features → sparse encoder 64 → 16 → failure / no failure (d = 1778). */
export const AI4I_MODEL_SPEC: ModelSpec = sparseEncoderSpec({
  id: "ai4i-sparse-mlp-v1",
  inputShape: [AI4I_FEATURE_NAMES.length],
  encoderUnits: [64, 16],
  classes: 2,
  l1Kernel: 1e-5,
  l1Activity: 1e-4,
});

/**
 * AI4I on a circuit that proves few entries per update (the `test` circuit, k ≤ 16): the same features into
 * a narrow encoder (10 → 4 → 2, d = 54), so that 16 entries a round are a real share of the model and the
 * quick demo visibly learns.
 */
export const AI4I_COMPACT_MODEL_SPEC: ModelSpec = sparseEncoderSpec({
  id: "ai4i-compact-mlp-v1",
  inputShape: [AI4I_FEATURE_NAMES.length],
  encoderUnits: [4],
  classes: 2,
  l1Kernel: 0,
  l1Activity: 0,
});

/**
 * AI4I on a model of real size (10 → 384 → 256 → 2, d = 103,298), for watching the whole protocol on the
 * `large` circuit instance (d ≤ 2^20): `cfl demo --circuit large --model preset:ai4i-large-mlp-v1`. Not a
 * better model for AI4I's ten features; a realistic parameter count.
 */
export const AI4I_LARGE_MODEL_SPEC: ModelSpec = sparseEncoderSpec({
  id: "ai4i-large-mlp-v1",
  inputShape: [AI4I_FEATURE_NAMES.length],
  encoderUnits: [384, 256],
  classes: 2,
  l1Kernel: 1e-5,
  l1Activity: 0,
});

/**
 * Next-stage quality class of a lot from its last 6 stages: the seed's sparse encoder at every stage
 * (21 → 8), an LSTM (8 units), a classifier over normal / warning / critical (d = 747).
 */
export const SUPPLYCHAIN_QUALITY_SPEC: ModelSpec = sparseEncoderSpec({
  id: "supplychain-quality-lstm-v1",
  inputShape: [6, 21],
  encoderUnits: [8],
  recurrentUnits: 8,
  classes: 3,
  l1Kernel: 1e-5,
  l1Activity: 1e-4,
});

/** Recovery route at collection: 13 features → sparse encoder 32 → 16 → reuse / remanufacture / recycle / dispose (d = 1044). */
export const SUPPLYCHAIN_ROUTE_SPEC: ModelSpec = sparseEncoderSpec({
  id: "supplychain-route-mlp-v1",
  inputShape: [13],
  encoderUnits: [32, 16],
  classes: 4,
  l1Kernel: 1e-5,
  l1Activity: 1e-4,
});

/** Every preset by name (`--model preset:<name>`). */
export const MODEL_PRESETS: ReadonlyMap<string, ModelSpec> = new Map(
  [
    AI4I_MODEL_SPEC,
    AI4I_COMPACT_MODEL_SPEC,
    AI4I_LARGE_MODEL_SPEC,
    SUPPLYCHAIN_QUALITY_SPEC,
    SUPPLYCHAIN_ROUTE_SPEC,
  ].map((s) => [s.id, s]),
);

/**
 * The model proposed for a schema when a task names none: the AI4I preset's architecture (sparse encoder
 * 64 → 16, a classifier) on the schema's features — for a time series the quality preset's (an encoder
 * at every step, an LSTM, a classifier) — narrowed until d fits `maxParams` (the circuit's index range),
 * so that the proposal can always be proven.
 */
export function defaultModelForSchema({
  inputShape,
  classes,
  maxParams,
}: {
  /** [features], or [steps, features] for a time series (`schemaInputShape`). */
  inputShape: readonly number[];
  classes: number;
  maxParams: number;
}): ModelSpec {
  const sequence = inputShape.length === 2;
  const name = inputShape.join("x");
  const candidates: { encoderUnits: number[]; recurrentUnits?: number }[] = sequence
    ? [16, 12, 8, 4].map((u) => ({ encoderUnits: [u], recurrentUnits: u }))
    : [64, 48, 32, 24, 16, 8].map((u) => ({ encoderUnits: [u, 16] }));
  for (const c of candidates) {
    const spec = sparseEncoderSpec({
      id: `default-sparse-${sequence ? "lstm" : "mlp"}-${name}x${c.encoderUnits.join("x")}x${classes}`,
      inputShape,
      ...c,
      classes,
      l1Kernel: 1e-5,
      l1Activity: 1e-4,
    });
    if (spec.layout.reduce((n, t) => n + t.size, 0) <= maxParams) return spec;
  }
  throw new InvalidModelSpecError(
    `no default model for input [${inputShape.join(", ")}] and ${classes} classes fits ${maxParams} parameters: ` +
      "name a smaller model or a circuit with more indices",
  );
}
