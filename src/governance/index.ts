export * from "./types.js";
export {
  PolicyError,
  validatePolicy,
  encodeProposal,
  decodeProposal,
  policyFromChain,
  type PolicyErrorCode,
} from "./policy.js";
export {
  defaultSupportMembers,
  draftTaskPolicy,
  DRAFT_DEFAULTS,
  type DraftModel,
  type TaskDraft,
} from "./draft.js";
export {
  parseProposalPayload,
  ProposalPayloadError,
  KIND_NAMES,
  policySchema,
  jsonReplacer,
} from "./payloads.js";
export { readProposals, type ProposalView, type ProposalState } from "./proposals.js";
export { registeredKey, checkPolicyOnChain } from "./onchain.js";
export { describeProposal, describeProposalPayload, nameOf, roleNames } from "./describe.js";
