export { aggregate, validateSparseUpdate, MAX_DIMENSION } from "./aggregate.js";
export { clipUpdateL2, integerSqrt, squaredL2 } from "./clip.js";
export { AggregationError } from "./errors.js";
export { MAX_UPDATES, normalizeMember, ruleFromPolicy, ruleToPolicy, validateRule } from "./policy.js";
export { divRoundHalfAwayFromZero, divRoundHalfAwayFromZeroBig } from "./rounding.js";
export { computeRoundModel, type RoundModel } from "./round.js";
export { RULE_IDS } from "./types.js";
export type {
  AggregateParams,
  AggregationErrorCode,
  AggregationRule,
  AggregationRuleId,
  AggregationRuleKind,
  MemberUpdate,
  PolicyRule,
} from "./types.js";
