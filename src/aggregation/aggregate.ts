/**
 * `aggregate`: the deterministic, bit-exact aggregation of a round's included updates.
 *
 * Semantics (see docs/aggregation.md): coordinate-wise over ALL n included updates, where a member that
 * did not send coordinate j contributes the value 0 at j. Implicit zeros are counted, never materialised,
 * so the cost grows with the number of sent entries, not with d × n.
 */
import type { SparseUpdate } from "../sparse/types.js";
import { AggregationError } from "./errors.js";
import { MAX_DIMENSION, MAX_UPDATES } from "./limits.js";
import { normalizeMember } from "./member.js";
import { validateRule } from "./policy.js";
import { ruleDefinitionByKind } from "./rules/registry.js";
import type { AggregateParams } from "./types.js";

export { MAX_DIMENSION } from "./limits.js";

/** Checks one update's shape: typed arrays, equal lengths, the right dimension, indices strictly increasing and < d. */
export function validateSparseUpdate(params: {
  update: SparseUpdate;
  dimension: number;
  label: string;
}): void {
  const { update, dimension, label } = params;
  if (typeof update !== "object" || update === null) {
    throw new AggregationError("bad-update", `${label}: update must be an object`);
  }
  if (!(update.indices instanceof Uint32Array) || !(update.values instanceof Int32Array)) {
    throw new AggregationError(
      "bad-update",
      `${label}: indices must be a Uint32Array and values an Int32Array`,
    );
  }
  if (update.dimension !== dimension) {
    throw new AggregationError(
      "dimension-mismatch",
      `${label}: update dimension ${String(update.dimension)} differs from the task dimension ${dimension}`,
    );
  }
  if (update.indices.length !== update.values.length) {
    throw new AggregationError(
      "bad-update",
      `${label}: ${update.indices.length} indices but ${update.values.length} values`,
    );
  }
  let previous = -1;
  for (let i = 0; i < update.indices.length; i++) {
    const index = update.indices[i]!;
    if (index <= previous) {
      throw new AggregationError(
        "bad-update",
        `${label}: indices not strictly increasing at position ${i} (${previous}, ${index})`,
      );
    }
    previous = index;
  }
  if (previous >= dimension) {
    throw new AggregationError(
      "bad-update",
      `${label}: index ${previous} is not below the dimension ${dimension}`,
    );
  }
}

/**
 * Aggregates the included updates of one round by the task's rule and returns the aggregated delta:
 * sparse, in the same fixed-point scale, no zero entries, indices strictly increasing.
 *
 * Inputs are first sorted by lower-cased member address, so the result never depends on input order.
 */
export function aggregate(params: AggregateParams): SparseUpdate {
  const { updates, dimension } = params;
  if (
    typeof dimension !== "number" ||
    !Number.isSafeInteger(dimension) ||
    dimension < 1 ||
    dimension > MAX_DIMENSION
  ) {
    throw new AggregationError(
      "bad-dimension",
      `dimension must be an integer in [1, 2^32 - 1], got ${String(dimension)}`,
    );
  }
  const untrusted: unknown = updates;
  if (!Array.isArray(untrusted) || updates.length === 0) {
    throw new AggregationError("no-updates", "aggregation needs at least one included update");
  }
  if (updates.length > MAX_UPDATES) {
    throw new AggregationError(
      "too-many-updates",
      `${updates.length} updates exceed the limit of ${MAX_UPDATES}`,
    );
  }
  const rule = validateRule(params.rule);
  const definition = ruleDefinitionByKind(rule.kind)!;

  const entries = updates.map((entry, position) => {
    const member = normalizeMember(entry.member);
    validateSparseUpdate({ update: entry.update, dimension, label: `update of ${member}` });
    if (entry.weight !== undefined && typeof entry.weight !== "bigint") {
      throw new AggregationError(
        "bad-weight",
        `weight of ${member} must be a bigint, got ${typeof entry.weight}`,
      );
    }
    return { member, update: entry.update, weight: entry.weight, position };
  });
  entries.sort((a, b) => (a.member < b.member ? -1 : a.member > b.member ? 1 : 0));
  for (let i = 1; i < entries.length; i++) {
    if (entries[i]!.member === entries[i - 1]!.member) {
      throw new AggregationError("duplicate-member", `member ${entries[i]!.member} appears more than once`);
    }
  }
  if (!definition.acceptsWeights) {
    const weighted = entries.find((entry) => entry.weight !== undefined);
    if (weighted !== undefined) {
      throw new AggregationError(
        "weight-not-applicable",
        `update of ${weighted.member} carries a weight but the rule is ${rule.kind}`,
      );
    }
  }
  return definition.aggregate({
    rule,
    updates: entries.map((entry) => entry.update),
    members: entries.map((entry) => entry.member),
    suppliedWeights: entries.map((entry) => entry.weight),
    dimension,
  });
}
