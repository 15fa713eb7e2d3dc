/**
 * `screenRound`: the part of a round's outcome a defense decides — which valid updates its rule leaves
 * out, and why. Pure and deterministic (members sorted by address first, as `aggregate` does), so the
 * aggregator and every auditor reach the same exclusions from the same updates.
 */
import { validateSparseUpdate } from "./aggregate.js";
import { normalizeMember } from "./member.js";
import { validateRule } from "./policy.js";
import { ruleDefinitionByKind, type AggregationRule } from "./rules/registry.js";
import type { ScreenReason } from "./rules/types.js";
import type { MemberUpdate } from "./types.js";

export interface ScreenedRound {
  /** The updates to aggregate, in the caller's order. */
  readonly kept: MemberUpdate[];
  /** The updates left out, sorted by member address. */
  readonly flagged: { member: string; reason: ScreenReason; detail: string }[];
}

export function screenRound({
  updates,
  rule,
  dimension,
}: {
  updates: readonly MemberUpdate[];
  rule: AggregationRule;
  dimension: number;
}): ScreenedRound {
  const definition = ruleDefinitionByKind(validateRule(rule).kind)!;
  if (!definition.screen || updates.length === 0) return { kept: [...updates], flagged: [] };
  const sorted = updates
    .map((u) => {
      const member = normalizeMember(u.member);
      validateSparseUpdate({ update: u.update, dimension, label: `update of ${member}` });
      return { member, entry: u };
    })
    .sort((a, b) => (a.member < b.member ? -1 : a.member > b.member ? 1 : 0));
  const flags = definition.screen({
    rule,
    updates: sorted.map((s) => s.entry.update),
    members: sorted.map((s) => s.member),
    suppliedWeights: sorted.map(() => undefined),
    dimension,
  });
  const out = new Set(flags.map((f) => sorted[f.index]!.entry));
  return {
    kept: updates.filter((u) => !out.has(u)),
    flagged: flags.map((f) => ({
      member: sorted[f.index]!.entry.member,
      reason: f.reason,
      detail: f.detail,
    })),
  };
}
