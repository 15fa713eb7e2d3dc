/**
 * Learning data drawn from a generated chain, in the same shape as AI4I's (`LabelledData`), so the
 * same `trainLocal` trains on both; plus each entity's masked measurements for dictionary learning.
 * Train and test are split by lot, so no lot has windows on both sides.
 */
import { createRng, permutation } from "../data/rng.js";
import type { LabelledData } from "../data/types.js";
import { FEATURE_COUNT, featureIndex, PROCESS_IDS, PROCESSES } from "./graph.js";
import type { GeneratedSupplyChain, LotStep } from "./generator.js";
import { qualityClass } from "./generator.js";
import { ENTITY_KINDS, MATERIAL_KINDS, QUALITY_CLASSES, RECOVERY_ROUTES } from "./types.js";

/** Per time step: passport (4), entity kind one-hot (4), the owner's own measurement folded per process (13). */
export const STEP_FEATURE_NAMES: readonly string[] = [
  "quality",
  "carbon_kg_per_kg",
  "energy_kwh_per_kg",
  "value_per_kg",
  ...ENTITY_KINDS.map((k) => `at_${k}`),
  ...PROCESS_IDS.map((p) => `signal_${p}`),
];

/** Route features: passport (5), material one-hot (4), the collection channel per material (4). */
export const ROUTE_FEATURE_NAMES: readonly string[] = [
  "quality",
  "cycle",
  "carbon_kg_per_kg",
  "energy_kwh_per_kg",
  "value_per_kg",
  ...MATERIAL_KINDS.map((m) => `material_${m}`),
  ...MATERIAL_KINDS.map((m) => `collection_signal_${m}`),
];

export interface SplitLabelledData {
  /** All training rows. */
  readonly train: LabelledData;
  /** Training rows per member (the owner of the entity where the sample was taken). */
  readonly members: readonly LabelledData[];
  readonly test: LabelledData;
}

interface Sample {
  readonly owner: number;
  readonly lot: number;
  readonly features: readonly number[];
  readonly label: number;
}

function testLots({
  chain,
  testFraction,
  seed,
}: {
  chain: GeneratedSupplyChain;
  testFraction: number;
  seed: number;
}): Set<number> {
  const order = permutation({ n: chain.lots.length, rng: createRng(seed) });
  return new Set(Array.from(order.subarray(0, Math.round(chain.lots.length * testFraction))));
}

function pack({
  samples,
  featureShape,
  classes,
}: {
  samples: readonly Sample[];
  featureShape: number[];
  classes: number;
}): LabelledData {
  const width = featureShape.reduce((a, b) => a * b, 1);
  const features = new Float32Array(samples.length * width);
  const labels = new Uint8Array(samples.length);
  samples.forEach((sample, i) => {
    features.set(sample.features, i * width);
    labels[i] = sample.label;
  });
  return { features, labels, rows: samples.length, featureShape, classes };
}

function split({
  samples,
  chain,
  featureShape,
  classes,
  testFraction,
  seed,
}: {
  samples: readonly Sample[];
  chain: GeneratedSupplyChain;
  featureShape: number[];
  classes: number;
  testFraction: number;
  seed: number;
}): SplitLabelledData {
  const held = testLots({ chain, testFraction, seed });
  const train = samples.filter((s) => !held.has(s.lot));
  return {
    train: pack({ samples: train, featureShape, classes }),
    members: Array.from({ length: chain.config.members }, (_, m) =>
      pack({ samples: train.filter((s) => s.owner === m), featureShape, classes }),
    ),
    test: pack({ samples: samples.filter((s) => held.has(s.lot)), featureShape, classes }),
  };
}

function stepFeatures({ step, viewer }: { step: LotStep; viewer: number }): number[] {
  const signal = new Array<number>(PROCESSES.length).fill(0);
  // A member sees measurements only where its own entities took them; the passport travels with the lot.
  if (step.owner === viewer) {
    for (let j = 0; j < FEATURE_COUNT; j++) {
      const p = j % PROCESSES.length;
      signal[p] = (signal[p] as number) + (step.measurement[j] as number);
    }
  }
  return [
    step.quality,
    step.carbonKgPerKg / 5,
    step.energyKWhPerKg / 20,
    step.valuePerKg / 2.5,
    ...ENTITY_KINDS.map((k) => (k === step.kind ? 1 : 0)),
    ...signal,
  ];
}

/**
 * Next-stage quality class (normal / warning / critical) from the last `steps` stages of a lot, as
 * seen by the member holding it now. Rows are shaped [steps, STEP_FEATURE_NAMES.length].
 */
export function qualitySequenceData({
  chain,
  steps = 6,
  testFraction = 0.2,
  seed,
}: {
  chain: GeneratedSupplyChain;
  steps?: number;
  testFraction?: number;
  seed: number;
}): SplitLabelledData {
  const samples: Sample[] = [];
  chain.lots.forEach((lot, index) => {
    for (let t = steps - 1; t + 1 < lot.steps.length; t++) {
      const viewer = (lot.steps[t] as LotStep).owner;
      const window = lot.steps.slice(t - steps + 1, t + 1).flatMap((step) => stepFeatures({ step, viewer }));
      const next = lot.steps[t + 1] as LotStep;
      samples.push({
        owner: viewer,
        lot: index,
        features: window,
        label: QUALITY_CLASSES.indexOf(qualityClass(next.quality)),
      });
    }
  });
  return split({
    samples,
    chain,
    featureShape: [steps, STEP_FEATURE_NAMES.length],
    classes: QUALITY_CLASSES.length,
    testFraction,
    seed,
  });
}

/** Recovery route (reuse / remanufacture / recycle / dispose) at collection, from what the collector sees. */
export function recoveryRouteData({
  chain,
  testFraction = 0.2,
  seed,
}: {
  chain: GeneratedSupplyChain;
  testFraction?: number;
  seed: number;
}): SplitLabelledData {
  const samples = chain.routes.map((decision): Sample => {
    const lot = chain.lots[decision.lot] as GeneratedSupplyChain["lots"][number];
    const step = lot.steps[decision.step] as LotStep;
    return {
      owner: step.owner,
      lot: decision.lot,
      features: [
        step.quality,
        step.cycle,
        step.carbonKgPerKg / 5,
        step.energyKWhPerKg / 20,
        step.valuePerKg / 2.5,
        ...MATERIAL_KINDS.map((m) => (m === lot.material ? 1 : 0)),
        ...MATERIAL_KINDS.map(
          (material) => step.measurement[featureIndex({ material, process: "collection" })] as number,
        ),
      ],
      label: RECOVERY_ROUTES.indexOf(decision.route),
    };
  });
  return split({
    samples,
    chain,
    featureShape: [ROUTE_FEATURE_NAMES.length],
    classes: RECOVERY_ROUTES.length,
    testFraction,
    seed,
  });
}

/** One entity's measurements for dictionary learning: rows × FEATURE_COUNT, zero outside its mask. */
export interface EntityObservations {
  readonly entity: string;
  readonly mask: Uint8Array;
  readonly rows: number;
  readonly values: Float32Array;
}

/** Every entity's own measurements (what it may learn from and must not share). */
export function entityObservations({ chain }: { chain: GeneratedSupplyChain }): EntityObservations[] {
  return chain.graph.entities().map((entity) => {
    const rows: Float32Array[] = [];
    for (const lot of chain.lots)
      for (const step of lot.steps) if (step.entity === entity.id) rows.push(step.measurement);
    const values = new Float32Array(rows.length * FEATURE_COUNT);
    rows.forEach((row, i) => values.set(row, i * FEATURE_COUNT));
    return {
      entity: entity.id,
      mask: chain.graph.sparseRepresentation(entity.id).mask,
      rows: rows.length,
      values,
    };
  });
}
