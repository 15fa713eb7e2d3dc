export * from "./types.js";
export { attachContracts } from "./contracts.js";
export { readTaskHistory, readRound } from "./events.js";
