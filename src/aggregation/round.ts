/**
 * One round's whole deterministic step, from the previous global model to the published hash. The
 * aggregator and every auditor call this same function, so the only way their hashes differ is that
 * their inputs (included updates, rule, previous model) differ — which is what an audit is for.
 */
import {
  applyDelta,
  encodeGlobalModel,
  globalModelHash,
  validateGlobalModel,
  type GlobalModel,
} from "../model/index.js";
import type { SparseUpdate } from "../sparse/types.js";
import { aggregate } from "./aggregate.js";
import { AggregationError } from "./errors.js";
import { validateRule } from "./policy.js";
import type { AggregationRule, MemberUpdate } from "./types.js";

/** The outcome of a round: the aggregated delta, the new model, its canonical bytes and their hash. */
export interface RoundModel {
  readonly delta: SparseUpdate;
  readonly model: GlobalModel;
  readonly bytes: Uint8Array;
  /** keccak256 of `bytes`, "0x"-prefixed: what `publishAggregate` records and auditors compare. */
  readonly hash: string;
}

/**
 * Aggregates round `round` of the previous model's task: `aggregate` over the included updates, then
 * `applyDelta`, `encodeGlobalModel` and `globalModelHash`. The dimension is the previous model's. With no
 * included update the delta is empty (the rule is still validated).
 */
export function computeRoundModel(params: {
  previous: GlobalModel;
  updates: readonly MemberUpdate[];
  rule: AggregationRule;
  round: number;
}): RoundModel {
  const { previous, updates, rule, round } = params;
  validateGlobalModel(previous);
  validateRule(rule);
  if (!Number.isInteger(round) || round < 0 || round > 2 ** 32 - 1) {
    throw new AggregationError("bad-round", `round must be a uint32, got ${String(round)}`);
  }
  const dimension = previous.params.length;
  // A round in which every update was excluded still gets a model (the previous parameters under the
  // new round number), so the chain can move on; `aggregate` itself refuses an empty set.
  const delta: SparseUpdate =
    updates.length === 0
      ? { dimension, indices: new Uint32Array(0), values: new Int32Array(0) }
      : aggregate({ updates, rule, dimension });
  const model = applyDelta({ model: previous, delta, round });
  const bytes = encodeGlobalModel(model);
  return { delta, model, bytes, hash: globalModelHash(bytes) };
}
