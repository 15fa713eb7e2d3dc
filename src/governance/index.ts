export * from "./types.js";
export { PolicyError, validatePolicy, encodeProposal, policyFromChain } from "./policy.js";
