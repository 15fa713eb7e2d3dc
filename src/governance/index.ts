export * from "./types.js";
export {
  PolicyError,
  validatePolicy,
  encodeProposal,
  policyFromChain,
  type PolicyErrorCode,
} from "./policy.js";
