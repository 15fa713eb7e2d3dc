export * from "./types.js";
export {
  RoleError,
  type RoleErrorCode,
  loadRoundPolicy,
  readerPublicKeys,
  fetchVerifiedModel,
  checkCommittedUpdate,
  circuitOfKey,
  effectiveNow,
  holdsRoundKey,
  byAddress,
  hexToBytes,
} from "./common.js";
export { loadTrainingBase, commitMemberUpdate, checkProvingKey } from "./member.js";
export {
  lastFinalizedModel,
  openNextRound,
  checkRoundUpdates,
  buildRoundModel,
  closeRoundIfReady,
  aggregateRound,
  mapBounded,
  loadRoundInputs,
  type AggregatorSeams,
} from "./aggregator.js";
export { auditRound, attestRound, settleRound } from "./auditor.js";
export {
  runMember,
  runAggregator,
  runAuditor,
  auditHistory,
  roundStatusName,
  type RunnerLog,
  type RunnerOptions,
  type MemberTrainer,
  type HistoryAuditRow,
} from "./runner.js";
