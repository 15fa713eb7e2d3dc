import { getAddress } from "ethers";
import { readRound, ExclusionReason, RoundStatus } from "../chain/index.js";
import { globalModelHash } from "../model/index.js";
import { buildRoundModel, loadRoundInputs } from "./aggregator.js";
import { describe, effectiveNow, MAX_CONTENT_BYTES, DEFAULT_FETCH_TIMEOUT_MS } from "./common.js";
import type { AuditVerdict, ReaderGroupKey, RoleEnvironment } from "./types.js";

const REASON_NAMES = Object.fromEntries(Object.entries(ExclusionReason).map(([name, id]) => [id, name]));

/**
 * Replays a published round from the chain (and IPFS for the models) alone: the auditor opens every
 * envelope the commits carried with the reader-group key, recomputes each commitment, decides inclusion
 * itself, applies the rule the round's policy names (not whatever the aggregator used) to the base model,
 * and compares the bytes' hash and the inclusion claims with what the aggregator published.
 */
export async function auditRound({
  env,
  round,
  reader,
}: {
  env: RoleEnvironment;
  round: bigint;
  reader: ReaderGroupKey;
}): Promise<AuditVerdict> {
  const record = await readRound({ rounds: env.contracts.rounds, taskId: env.taskId, round });
  const published = record.published;
  if (!published)
    return { round, matches: false, replayedModelHash: "0x", findings: ["nothing published yet"] };
  const findings: string[] = [];
  const { roundPolicy, base, checks } = await loadRoundInputs({ env, record, reader });

  const claimedIncluded = new Set(published.included.map((m) => getAddress(m)));
  const claimedExcluded = new Map(
    published.excluded.map((e) => [getAddress(e.member), REASON_NAMES[e.reason]]),
  );
  for (const check of checks) {
    if (check.status === "valid") {
      if (!claimedIncluded.has(check.member)) {
        findings.push(
          `${check.member}: a valid update was excluded as ${claimedExcluded.get(check.member) ?? "missing"}`,
        );
      }
    } else if (claimedIncluded.has(check.member)) {
      findings.push(`${check.member}: included although ${check.reason} (${check.detail})`);
    } else if (claimedExcluded.get(check.member) !== check.reason) {
      findings.push(
        `${check.member}: excluded as ${claimedExcluded.get(check.member)}, the replay finds ${check.reason}`,
      );
    }
  }
  const valid = checks.flatMap((c) => (c.status === "valid" ? [{ member: c.member, update: c.update }] : []));
  const built = buildRoundModel({ base, valid, roundPolicy, round });
  if (built.hash.toLowerCase() !== published.modelHash.toLowerCase()) {
    findings.push(`model hash: published ${published.modelHash}, replay gives ${built.hash}`);
  }
  try {
    const bytes = await env.store.get(published.modelCid, {
      maxBytes: MAX_CONTENT_BYTES,
      timeoutMs: env.fetchTimeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS,
    });
    if (globalModelHash(bytes).toLowerCase() !== published.modelHash.toLowerCase()) {
      findings.push(`model CID ${published.modelCid} does not hold the bytes of the published hash`);
    } else {
      // Every auditor keeps each model it checked, so the history outlives the aggregator's node.
      await env.store.pin(published.modelCid);
    }
  } catch (error) {
    findings.push(`model CID ${published.modelCid} unavailable: ${describe(error)}`);
  }
  return { round, matches: findings.length === 0, replayedModelHash: built.hash, findings };
}

/**
 * Attests the verdict once (a restarted auditor does not attest twice) and finalizes the round when it can
 * (see `settleRound`).
 */
export async function attestRound({
  env,
  verdict,
}: {
  env: RoleEnvironment;
  verdict: AuditVerdict;
}): Promise<{ attested: boolean; finalized: boolean; gasUsed: bigint }> {
  const rounds = env.contracts.rounds.connect(env.signer);
  const record = await readRound({ rounds: env.contracts.rounds, taskId: env.taskId, round: verdict.round });
  const already = record.attestations.some((a) => getAddress(a.auditor) === getAddress(env.address));
  let gasUsed = 0n;
  if (!already) {
    const tx = await rounds.attest(
      env.taskId,
      verdict.round,
      verdict.matches,
      verdict.replayedModelHash.length === 66 ? verdict.replayedModelHash : "0x" + "00".repeat(32),
    );
    gasUsed += (await tx.wait())?.gasUsed ?? 0n;
  }
  const settled = await settleRound({ env, round: verdict.round });
  gasUsed += settled.gasUsed;
  return { attested: !already, finalized: settled.outcome === "finalized", gasUsed };
}

/**
 * Ends a published round when its windows say so, as anyone may: finalize once the quorum matched and the
 * attestation window passed (or every auditor attested), abandon once the window passed without quorum,
 * and abandon a closed round whose aggregator let the publish window pass. Returns what happened.
 */
export async function settleRound({
  env,
  round,
}: {
  env: RoleEnvironment;
  round: bigint;
}): Promise<{ outcome: "finalized" | "abandoned" | "waiting"; gasUsed: bigint }> {
  const rounds = env.contracts.rounds.connect(env.signer);
  const r = await rounds.getRound(env.taskId, round);
  const status = Number(r.status);
  const now = await effectiveNow({ env });
  let tx;
  if (status === RoundStatus.Published) {
    const windowPassed = now > r.publishedAt + r.attestationWindow;
    const everyone = r.matchCount + r.mismatchCount >= r.auditorCount;
    if (r.matchCount >= r.attestationQuorum && (windowPassed || everyone))
      tx = await rounds.finalizeRound(env.taskId, round);
    else if (windowPassed && r.matchCount < r.attestationQuorum)
      tx = await rounds.abandonRound(env.taskId, round);
  } else if (status === RoundStatus.Closed && now > r.closedAt + r.publishWindow) {
    tx = await rounds.abandonRound(env.taskId, round);
  }
  if (!tx) return { outcome: "waiting", gasUsed: 0n };
  const gasUsed = (await tx.wait())?.gasUsed ?? 0n;
  const after = Number((await rounds.getRound(env.taskId, round)).status);
  return { outcome: after === RoundStatus.Finalized ? "finalized" : "abandoned", gasUsed };
}
