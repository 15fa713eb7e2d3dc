/**
 * The local-federation harness: Hardhat's in-process chain and a consortium deployed on it through the
 * same Ignition modules and governance path a real deployment takes. It needs the development
 * dependencies (Hardhat), so only the demo, the tests and the benchmarks load it; `cfl`'s role commands
 * never do.
 */
export { PROJECT_ROOT, startInProcessChain } from "./chain.js";
export {
  createLocalTask,
  deployConsortiumContracts,
  deployLocalConsortium,
  quorumGovernor,
  localTaskPolicy,
  LocalConsortiumError,
  VOTING_PERIOD_SECONDS,
  type ConsortiumAccount,
  type GovernanceDecision,
  type GovernanceGas,
  type LocalConsortium,
} from "./consortium.js";
export {
  commitLocalRound,
  concludeLocalRound,
  runLocalRound,
  type LocalContribution,
  type LocalReader,
  type LocalRoundResult,
  type LocalRoundStep,
} from "./round.js";
