export * from "./types.js";
export { PolicyError, validatePolicy, encodeProposal, policyFromChain, packPolicyBounds } from "./policy.js";
