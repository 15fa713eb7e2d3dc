import { concat, keccak256, toUtf8Bytes } from "ethers";
import { RULE_IDS, type AggregationRule } from "../aggregation/index.js";
import type { AggregatorSeams, UpdateCheck } from "../roles/index.js";
import { openFromGroup } from "../seal/index.js";
import { decodeUpdate, type UpdateContext } from "../sparse/index.js";

/** Ways a dishonest aggregator lies, for demonstrating (and testing) that auditors catch it. */
export type AggregatorTampering =
  "none" | "wrong-hash" | "drop-honest-update" | "include-mismatched" | "wrong-rule";

/**
 * The seams of `aggregateRound` that make an aggregator lie in one of these ways. `groupSecretKey` is the
 * aggregator's reader-group key (include-mismatched re-opens the updates it should have excluded).
 */
export function tamperingAggregator({
  tamper,
  groupSecretKey,
}: {
  tamper: AggregatorTampering;
  groupSecretKey: Uint8Array;
}): AggregatorSeams {
  switch (tamper) {
    case "none":
      return {};
    case "wrong-hash":
      // A hash no honest replay of the round can produce.
      return { publishedHash: ({ bytes }) => keccak256(concat([bytes, toUtf8Bytes("tampered")])) };
    case "wrong-rule":
      return {
        ruleOverride: ({ policy }): AggregationRule =>
          policy.aggregationRule === RULE_IDS.median ? { kind: "mean" } : { kind: "median" },
      };
    case "drop-honest-update":
      return {
        transformChecks: ({ checks }) => {
          const victim = checks.findIndex((c) => c.status === "valid");
          if (victim < 0) return checks;
          const member = checks[victim]!.member;
          const dropped: UpdateCheck = {
            member,
            status: "excluded",
            reason: "Undecodable",
            detail: "tampering: dropped",
          };
          return checks.map((c, i) => (i === victim ? dropped : c));
        },
      };
    case "include-mismatched":
      // Re-read the payloads whose commitment failed and use them anyway.
      return {
        transformChecks: ({ checks, record, roundPolicy }) =>
          checks.map((check, i) => {
            if (check.status !== "excluded" || check.reason !== "CommitmentMismatch") return check;
            const context: UpdateContext = {
              task: Number(record.taskId),
              round: Number(record.round),
              member: check.member,
            };
            try {
              const payload = openFromGroup({
                envelope: record.commits[i]!.envelope,
                groupSecretKey,
                context,
              });
              const { policy } = roundPolicy;
              const { update } = decodeUpdate({
                bytes: payload,
                limits: { maxCount: policy.maxNonZeros, maxDimension: policy.dimension },
                slot: { ...context, dimension: policy.dimension, scale: policy.scale },
              });
              return { member: check.member, status: "valid", update };
            } catch {
              return check;
            }
          }),
      };
  }
}
