export * from "./types.js";
export {
  CircularSupplyChainGraph,
  entityMask,
  FEATURE_COUNT,
  featureIndex,
  featureName,
  PROCESS_IDS,
  PROCESSES,
  processDefinition,
  processesFor,
  SupplyChainError,
  type SupplyChainErrorCode,
} from "./graph.js";
export {
  generateSupplyChain,
  qualityClass,
  type GeneratedSupplyChain,
  type LotStep,
  type RouteDecision,
  type SupplyChainConfig,
} from "./generator.js";
export {
  entityObservations,
  qualitySequenceData,
  recoveryRouteData,
  ROUTE_FEATURE_NAMES,
  STEP_FEATURE_NAMES,
  type EntityObservations,
  type SplitLabelledData,
} from "./datasets.js";
