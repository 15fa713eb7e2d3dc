export * from "./types.js";
export {
  PolicyError,
  validatePolicy,
  encodeProposal,
  policyFromChain,
  type PolicyErrorCode,
} from "./policy.js";
export { draftTaskPolicy, DRAFT_DEFAULTS, type DraftModel, type TaskDraft } from "./draft.js";
