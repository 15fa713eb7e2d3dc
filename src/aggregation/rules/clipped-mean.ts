/** `clipped-mean`: scale each update down to integer L2 norm at most `clipL2`, then mean. */
import { clipUpdateL2 } from "../clip.js";
import { AggregationError } from "../errors.js";
import { meanOf } from "./mean.js";
import type { AggregationRuleDefinition } from "./types.js";

export interface ClippedMeanRule {
  readonly kind: "clipped-mean";
  /** The L2 clip, in fixed-point units. */
  readonly clipL2: bigint;
}

export const clippedMeanRule: AggregationRuleDefinition<ClippedMeanRule> = {
  kind: "clipped-mean",
  id: 4,
  summary: "mean of the updates after scaling each down to L2 norm at most the rule parameter",
  draftable: true,
  acceptsWeights: false,
  validate: (rule) => {
    const clipL2 = rule["clipL2"];
    if (typeof clipL2 !== "bigint" || clipL2 <= 0n) {
      throw new AggregationError(
        "bad-rule-param",
        `clipped-mean clipL2 must be a positive bigint, got ${String(clipL2)}`,
      );
    }
    return { kind: "clipped-mean", clipL2 };
  },
  fromPolicy: ({ parameter }) => {
    if (parameter <= 0n) {
      throw new AggregationError(
        "bad-rule-param",
        `clipped-mean clipL2 must be positive, policy has ${parameter}`,
      );
    }
    return { kind: "clipped-mean", clipL2: parameter };
  },
  toParameter: (rule) => rule.clipL2,
  // Half the proof's L2 bound: tighter than what any member may send, so clipping acts on the largest.
  defaultParameter: ({ l2Bound }) => (l2Bound / 2n > 0n ? l2Bound / 2n : 1n),
  aggregate: ({ rule, updates, dimension }) =>
    meanOf(
      updates.map((update) => clipUpdateL2({ update, clipL2: rule.clipL2 })),
      dimension,
    ),
};
