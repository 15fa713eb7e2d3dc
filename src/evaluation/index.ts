export { EvaluationError, type EvaluationErrorCode } from "./errors.js";
export {
  ATTACKS,
  DEFENSES,
  type AttackName,
  type CellResult,
  type DefenseName,
  type FederationSettings,
} from "./types.js";
export { backdoorSuccessRate, failureRows } from "./backdoor.js";
export { runAttackCell, runAttackMatrix, validateSettings } from "./matrix.js";
export {
  attemptOutOfBoundsUpdate,
  outOfBoundsUpdate,
  rawWitnessInput,
  type BoundViolation,
  type OutOfBoundsOutcome,
} from "./out-of-bounds.js";
export { renderBackdoorTable, renderMacroF1Table } from "./report.js";
