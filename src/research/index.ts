/**
 * Research: the federation simulation (the product's round arithmetic in process, for the learning
 * figures and the attack matrix), the centralised baseline, validation splits, and federated dictionary
 * learning. Nothing here ships in a member's, aggregator's or auditor's path; the roles may not import it.
 */
export type {
  CentralisedResult,
  DeltaContext,
  Dictionary,
  DictionaryLearningOptions,
  DictionaryRunResult,
  DictionaryStatistics,
  FederationPolicy,
  MaskedObservations,
  MemberBehaviour,
  ResearchErrorCode,
  RoundDetail,
  RoundEvaluation,
  RoundRecord,
  SentUpdate,
  SimulateFederationParams,
  SimulationResult,
  TrainCentralisedParams,
  ValidationSplit,
} from "./types.js";
export { ResearchError } from "./errors.js";
export {
  MAX_SIMULATED_MEMBERS,
  memberTrainingSeed,
  memberUpdate,
  simulatedMemberAddress,
  simulateFederation,
  trainCentralised,
  validateSimulation,
  withinPolicyBounds,
} from "./federation.js";
export { holdOutValidation } from "./validation.js";
export {
  chooseThreshold,
  macroF1AtThreshold,
  simulateForestFederation,
  THRESHOLD_GRID,
  type ForestFederationPolicy,
  type ForestFederationResult,
  type ForestFreeRider,
  type ForestRoundRecord,
} from "./forest.js";
export {
  atomRecovery,
  atomsFromRows,
  learnDictionary,
  localStatistics,
  maskedRandomDictionary,
  proposeAtoms,
  randomDictionary,
  reconstructionError,
  sparseCode,
} from "./dictionary.js";
