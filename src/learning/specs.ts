/**
 * Model specifications of the consortium's tasks, by the model id a task policy names. Sizes keep d in
 * the low thousands: every update is proved in zero knowledge, at most k ≤ 128 entries per chunk.
 */
import { AI4I_FEATURE_NAMES } from "./ai4i.js";
import type { ModelSpec } from "./types.js";

/** Predictive maintenance on AI4I 2020: 10 features → sparse encoder 64 → 16 → failure / no failure (d = 1778). */
export const AI4I_MODEL_SPEC: ModelSpec = {
  id: "ai4i-sparse-mlp-v1",
  inputShape: [AI4I_FEATURE_NAMES.length],
  encoderUnits: [64, 16],
  classes: 2,
  l1Kernel: 1e-5,
  l1Activity: 1e-4,
};

/**
 * Next-stage quality class of a lot from its last 6 stages: the seed's sparse encoder at every stage
 * (21 → 8), an LSTM (8 units), a classifier over normal / warning / critical (d = 747).
 */
export const SUPPLYCHAIN_QUALITY_SPEC: ModelSpec = {
  id: "supplychain-quality-lstm-v1",
  inputShape: [6, 21],
  encoderUnits: [8],
  recurrentUnits: 8,
  classes: 3,
  l1Kernel: 1e-5,
  l1Activity: 1e-4,
};

/** Recovery route at collection: 13 features → sparse encoder 32 → 16 → reuse / remanufacture / recycle / dispose (d = 1044). */
export const SUPPLYCHAIN_ROUTE_SPEC: ModelSpec = {
  id: "supplychain-route-mlp-v1",
  inputShape: [13],
  encoderUnits: [32, 16],
  classes: 4,
  l1Kernel: 1e-5,
  l1Activity: 1e-4,
};
