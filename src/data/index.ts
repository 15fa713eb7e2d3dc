/**
 * The data layer: labelled examples and the seeded randomness that splits and shuffles them. It imports
 * nothing of the product's, so the learning code and the supply-chain generator can both build on it.
 */
export type { LabelledData } from "./types.js";
export * from "./rng.js";
