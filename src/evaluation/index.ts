export { EvaluationError, type EvaluationErrorCode } from "./errors.js";
export {
  benchPolicy,
  createBenchTask,
  deployBenchConsortium,
  VOTING_PERIOD_SECONDS,
  type BenchAccount,
  type BenchConsortium,
  type GovernanceGas,
} from "./consortium.js";
