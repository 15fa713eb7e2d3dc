export * from "./types.js";
export { attachContracts } from "./contracts.js";
export { readTaskHistory, readRound } from "./events.js";
export {
  decodeRevert,
  decodeRevertData,
  describeRevert,
  replayRevert,
  type DecodedRevert,
  type DecodedRevertArg,
} from "./revert.js";
