/** `mean`: coordinate-wise mean over all n included updates; every included member counts once. */
import type { SparseUpdate } from "../../sparse/types.js";
import { AggregationError } from "../errors.js";
import { forEachSentCoordinate } from "../merge.js";
import { divRoundHalfAwayFromZero } from "../rounding.js";
import { SparseBuilder } from "./sparse-builder.js";
import type { AggregationRuleDefinition } from "./types.js";

export interface MeanRule {
  readonly kind: "mean";
}

/** Per coordinate Σ v / n over all n updates (implicit zeros count), rounded half away from zero. */
export function meanOf(updates: readonly SparseUpdate[], dimension: number): SparseUpdate {
  const n = updates.length;
  const out = new SparseBuilder(dimension, updates);
  forEachSentCoordinate(updates, (index, count, values) => {
    // |sum| ≤ n · 2^31 ≤ 2^51: exact in a double.
    let sum = 0;
    for (let i = 0; i < count; i++) sum += values[i]!;
    out.push(index, divRoundHalfAwayFromZero(sum, n));
  });
  return out.build();
}

/** Fails unless a parameterless rule's policy parameter is 0 (a non-zero one is a drafting mistake). */
export function requireNoParameter(kind: string, parameter: bigint): void {
  if (parameter !== 0n)
    throw new AggregationError("bad-rule-param", `${kind} takes no parameter, policy has ${parameter}`);
}

export const meanRule: AggregationRuleDefinition<MeanRule> = {
  kind: "mean",
  id: 0,
  summary: "coordinate-wise mean; every included member counts once",
  draftable: true,
  acceptsWeights: false,
  validate: () => ({ kind: "mean" }),
  fromPolicy: ({ parameter }) => {
    requireNoParameter("mean", parameter);
    return { kind: "mean" };
  },
  toParameter: () => 0n,
  defaultParameter: () => 0n,
  aggregate: ({ updates, dimension }) => meanOf(updates, dimension),
};
