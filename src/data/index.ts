/**
 * The data layer: labelled examples, the seeded randomness that splits and shuffles them, and a member's
 * own records read under a task's data schema. It imports nothing of the product's, so the learning code
 * and the supply-chain generator can both build on it.
 */
export type { LabelledData } from "./types.js";
export * from "./rng.js";
export { canonicalJson } from "./canonical-json.js";
export { DataError, type DataErrorCode } from "./errors.js";
export { inferSchema, MAX_DRAFT_CATEGORIES } from "./infer.js";
export { formatOf, readRecords, type Cell, type DataRecord, type RecordFormat, type RecordSource } from "./records.js";
export {
  canonicalSchemaJson,
  featureWidth,
  schemaColumns,
  schemaHash,
  schemaInputShape,
  readSchemaFile,
  validateSchema,
  type BooleanFeature,
  type CategoricalFeature,
  type DataSchema,
  type FeatureColumn,
  type NumericFeature,
} from "./schema.js";
export { scanRecords, type DataSummary, type RowGroups } from "./table.js";
