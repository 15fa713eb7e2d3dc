export type {
  EvaluationMetrics,
  FederatedDataset,
  LabelledData,
  ModelSpec,
  TrainingPolicy,
} from "./types.js";
export { initBackend, BackendUnavailableError, type BackendName } from "./backend.js";
export { createRng, dirichlet, permutation, shuffled, InvalidSeedError, type Rng } from "../data/rng.js";
export {
  AI4I_COLUMNS,
  AI4I_DEFAULT_PATH,
  AI4I_FEATURE_NAMES,
  Ai4iFormatError,
  ai4iFeatureRow,
  applyStandardScaler,
  buildAi4iDataset,
  FAILURE_MODES,
  fitStandardScaler,
  InvalidPartitionError,
  InvalidSplitError,
  loadAi4i,
  parseAi4i,
  partitionByQualityType,
  partitionDirichlet,
  QUALITY_TYPES,
  stratifiedSplit,
  type Ai4iDataset,
  type Ai4iPartition,
  type Ai4iRecord,
  type FailureMode,
  type QualityType,
  type StandardScaler,
} from "./ai4i.js";
export { balancedAccuracy, binaryRocAuc, macroF1, MetricInputError, rocAuc } from "./metrics.js";
export {
  createModel,
  forward,
  getParams,
  initialParams,
  InvalidModelSpecError,
  loadModelSpec,
  paramCount,
  paramLayout,
  ParamsMismatchError,
  setParams,
  validateModelSpec,
  type Model,
  type ParamTensorLayout,
} from "./model.js";
export {
  modelArtifacts,
  paramsFromWeights,
  SUPPORTED_LAYERS,
  topologyHash,
  topologyOf,
  type LayersTopology,
  type WeightSpec,
} from "./topology.js";
export {
  AI4I_COMPACT_MODEL_SPEC,
  AI4I_LARGE_MODEL_SPEC,
  AI4I_MODEL_SPEC,
  defaultModelForSchema,
  MODEL_PRESETS,
  sparseEncoderSpec,
  SUPPLYCHAIN_QUALITY_SPEC,
  SUPPLYCHAIN_ROUTE_SPEC,
  type SparseEncoderPreset,
} from "./specs.js";
export {
  classWeights,
  evaluate,
  InvalidTrainingInputError,
  predict,
  trainLocal,
  validateData,
  type LocalTrainingResult,
} from "./train.js";
export { loadDataset, selectRows, UnknownDatasetError, type DatasetPartition } from "./datasets.js";
export {
  builtinDataHash,
  checkModelFitsSchema,
  readInitialWeights,
  readModelFile,
  resolveTaskModel,
  taskInitialParams,
  taskModelId,
  type ModelFile,
  type TaskModel,
} from "./task-model.js";
