export { aggregate, validateSparseUpdate, MAX_DIMENSION } from "./aggregate.js";
export { clipUpdateL2, integerSqrt, squaredL2 } from "./clip.js";
export { AggregationError } from "./errors.js";
export { MAX_UPDATES, normalizeMember, ruleFromPolicy, ruleToPolicy, validateRule } from "./policy.js";
export { divRoundHalfAwayFromZero, divRoundHalfAwayFromZeroBig } from "./rounding.js";
export { computeRoundModel, type RoundModel } from "./round.js";
export { ruleScreens, screenHistoryOf, screenRound, type ScreenedRound } from "./screen.js";
export {
  DEFAULT_MIN_COSINE_PER_MILLE,
  screenByAgreement,
  SUSPICION_HISTORY,
  withSuspicionHistory,
  type AgreementFlag,
} from "./rules/screened-mean.js";
export {
  AGGREGATION_RULES,
  DRAFTABLE_RULE_KINDS,
  MAX_RULE_ID,
  RULE_IDS,
  ruleDefinitionById,
  ruleDefinitionByKind,
  type AnyRuleDefinition,
} from "./rules/registry.js";
export { SCREEN_REASONS } from "./rules/types.js";
export type { SumRule, SumSupport } from "./rules/sum.js";
export type {
  AggregationRuleDefinition,
  RuleDraftContext,
  RuleInput,
  ScreenFlag,
  ScreenInput,
  ScreenReason,
  ScreenVerdict,
} from "./rules/types.js";
export type {
  AggregateParams,
  AggregationErrorCode,
  AggregationRule,
  AggregationRuleId,
  AggregationRuleKind,
  MemberUpdate,
  PolicyRule,
} from "./types.js";
