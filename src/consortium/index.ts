export {
  createLocalTask,
  deployLocalConsortium,
  localTaskPolicy,
  LocalConsortiumError,
  VOTING_PERIOD_SECONDS,
  type ConsortiumAccount,
  type GovernanceGas,
  type LocalConsortium,
} from "./local.js";
