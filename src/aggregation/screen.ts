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
  /**
   * The members the screen suspects this round (lower-cased, sorted), left out or not: what the next rounds'
   * `previousSuspects` list. Depends on this round's updates alone.
   */
  readonly suspects: string[];
}

/** Whether the rule screens updates before aggregating (defenses such as `screened-mean`). */
export function ruleScreens(rule: AggregationRule): boolean {
  return ruleDefinitionByKind(validateRule(rule).kind)!.screen !== undefined;
}

/** How many earlier rounds' suspects the rule's screen reads (0: none, or no screen). */
export function screenHistoryOf(rule: AggregationRule): number {
  const definition = ruleDefinitionByKind(validateRule(rule).kind)!;
  return definition.screen ? (definition.screenHistory ?? 0) : 0;
}

export function screenRound({
  updates,
  rule,
  dimension,
  previousSuspects = [],
  previous,
}: {
  updates: readonly MemberUpdate[];
  rule: AggregationRule;
  dimension: number;
  /** The round's base model's parameters (`ScreenInput.previous`). */
  previous?: Int32Array;
  /** `suspects` of the rounds before this one, most recent first (see `screenHistoryOf`). */
  previousSuspects?: readonly (readonly string[])[];
}): ScreenedRound {
  const definition = ruleDefinitionByKind(validateRule(rule).kind)!;
  if (!definition.screen || updates.length === 0) return { kept: [...updates], flagged: [], suspects: [] };
  const sorted = updates
    .map((u) => {
      const member = normalizeMember(u.member);
      validateSparseUpdate({ update: u.update, dimension, label: `update of ${member}` });
      return { member, entry: u };
    })
    .sort((a, b) => (a.member < b.member ? -1 : a.member > b.member ? 1 : 0));
  const { flags, suspects } = definition.screen({
    rule,
    updates: sorted.map((s) => s.entry.update),
    members: sorted.map((s) => s.member),
    suppliedWeights: sorted.map(() => undefined),
    dimension,
    previousSuspects: previousSuspects.map((round) => round.map((m) => normalizeMember(m))),
    ...(previous !== undefined ? { previous } : {}),
  });
  const out = new Set(flags.map((f) => sorted[f.index]!.entry));
  return {
    suspects: suspects.map((i) => sorted[i]!.member).sort(),
    kept: updates.filter((u) => !out.has(u)),
    flagged: flags.map((f) => ({
      member: sorted[f.index]!.entry.member,
      reason: f.reason,
      detail: f.detail,
    })),
  };
}
