import { getAddress } from "ethers";
import { readRound, ExclusionReason, RoundStatus } from "../chain/index.js";
import { globalModelHash } from "../model/index.js";
import type { CircuitParams } from "../zk/index.js";
import { buildRoundModel, loadRoundInputs } from "./aggregator.js";
import { describe, MAX_CONTENT_BYTES, DEFAULT_FETCH_TIMEOUT_MS } from "./common.js";
import type { AuditVerdict, ReaderKey, RoleEnvironment } from "./types.js";

const REASON_NAMES = Object.fromEntries(Object.entries(ExclusionReason).map(([name, id]) => [id, name]));

/**
 * Replays a published round from the chain and IPFS alone: the auditor fetches and opens every committed
 * update with its own key, recomputes each commitment, decides inclusion itself, applies the rule the
 * round's policy names (not whatever the aggregator used) to the base model, and compares the bytes' hash
 * and the inclusion claims with what the aggregator published.
 */
export async function auditRound({
  env,
  round,
  reader,
  circuit,
}: {
  env: RoleEnvironment;
  round: bigint;
  reader: ReaderKey;
  circuit: CircuitParams;
}): Promise<AuditVerdict> {
  const record = await readRound({ rounds: env.contracts.rounds, taskId: env.taskId, round });
  const published = record.published;
  if (!published)
    return { round, matches: false, replayedModelHash: "0x", findings: ["nothing published yet"] };
  const findings: string[] = [];
  const { roundPolicy, base, checks } = await loadRoundInputs({ env, record, reader, circuit });

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
    } else if (check.reason !== "Unavailable" && claimedExcluded.get(check.member) !== check.reason) {
      // An update this auditor cannot fetch proves nothing either way about the aggregator's reason.
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
    }
  } catch (error) {
    findings.push(`model CID ${published.modelCid} unavailable: ${describe(error)}`);
  }
  return { round, matches: findings.length === 0, replayedModelHash: built.hash, findings };
}

/**
 * Attests the verdict once (a restarted auditor does not attest twice) and finalizes the round when the
 * matching attestations reached the quorum.
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
  const r = await rounds.getRound(env.taskId, verdict.round);
  if (Number(r.status) === RoundStatus.Published && r.matchCount >= r.attestationQuorum) {
    const tx = await rounds.finalizeRound(env.taskId, verdict.round);
    gasUsed += (await tx.wait())?.gasUsed ?? 0n;
  }
  const after = await rounds.getRound(env.taskId, verdict.round);
  return { attested: !already, finalized: Number(after.status) === RoundStatus.Finalized, gasUsed };
}
