/**
 * Resolving a disputed round by governance: who is wrong on each side follows from the chain alone, so
 * the CLI computes the suspend list instead of asking a governor to type it. Upholding the model suspends
 * the auditors that attested a mismatch; confirming the dispute suspends the round's aggregator and every
 * auditor that attested a match.
 */
import { getAddress } from "ethers";
import { readRound, RoundStatus, type ConsortiumContracts } from "../../chain/index.js";
import { MemberStatus, Role } from "../../governance/index.js";

export interface DisputeEvidence {
  aggregator: string;
  modelCid: string;
  publishedModelHash: string;
  included: number;
  excluded: number;
  attestations: { auditor: string; matches: boolean; replayedModelHash: string; samePublished: boolean }[];
}

export interface DisputePlan {
  taskId: bigint;
  round: bigint;
  upholdModel: boolean;
  /** The accounts the proposal suspends (active members only: the contract suspends active members). */
  suspend: string[];
  /** Parties the rule names that are no longer active (suspended or removed already), left out. */
  notActive: string[];
  /** Why executing the proposal may fail (for example a quorum the remaining auditors cannot reach). */
  warnings: string[];
  evidence: DisputeEvidence;
}

const STATUS_NAMES = Object.fromEntries(
  Object.entries(RoundStatus).map(([name, id]) => [id, name.toLowerCase()]),
);

/** Reads a disputed round's evidence and the parties a resolution must suspend. */
export async function planDisputeResolution({
  contracts,
  taskId,
  round,
  upholdModel,
}: {
  contracts: ConsortiumContracts;
  taskId: bigint;
  round: bigint;
  upholdModel: boolean;
}): Promise<DisputePlan> {
  const { consortium, rounds } = contracts;
  if ((await consortium.currentPolicyVersion(taskId)) === 0n)
    throw new Error(`task ${taskId} does not exist on this consortium`);
  if (round < 1n || round > (await rounds.roundCount(taskId)))
    throw new Error(`task ${taskId} has no round ${round}`);
  const status = Number((await rounds.getRound(taskId, round)).status);
  if (status !== RoundStatus.Disputed) {
    throw new Error(
      `round ${round} of task ${taskId} is ${STATUS_NAMES[status] ?? status}, not disputed: there is nothing to resolve`,
    );
  }
  if ((await consortium.disputeResolution(taskId, round)) !== 0n) {
    throw new Error(
      `governance resolved round ${round} of task ${taskId} already (apply it with \`cfl governance apply-resolution\`)`,
    );
  }
  const record = await readRound({ rounds, taskId, round });
  const published = record.published;
  if (!published)
    throw new Error(`disputed round ${round} of task ${taskId} has no AggregatePublished event`);
  const attestations = record.attestations.map((a) => ({
    auditor: getAddress(a.auditor),
    matches: a.matches,
    replayedModelHash: a.replayedModelHash,
    samePublished: a.replayedModelHash.toLowerCase() === published.modelHash.toLowerCase(),
  }));
  const wrong = upholdModel
    ? attestations.filter((a) => !a.matches).map((a) => a.auditor)
    : [getAddress(record.aggregator), ...attestations.filter((a) => a.matches).map((a) => a.auditor)];
  const unique = [...new Set(wrong)];
  const suspend: string[] = [];
  const notActive: string[] = [];
  for (const account of unique) {
    const member = await consortium.member(account);
    (Number(member.status) === MemberStatus.Active ? suspend : notActive).push(account);
  }
  // Suspending an auditor must leave the task enough auditors for its attestation quorum, or the
  // contract refuses the whole resolution when it is executed.
  const warnings: string[] = [];
  const policy = await consortium.taskPolicy(taskId, await consortium.currentPolicyVersion(taskId));
  const readers = new Set(policy.readers.map((r) => getAddress(r)));
  let leaving = 0;
  for (const account of suspend) {
    if (!readers.has(account)) continue;
    const roles = Number((await consortium.member(account)).profile.roles);
    if ((roles & Role.Auditor) !== 0) leaving++;
  }
  const remaining = Number(await consortium.attestingAuditors(taskId)) - leaving;
  if (leaving > 0 && remaining < Number(policy.attestationQuorum)) {
    warnings.push(
      `suspending ${leaving} auditor(s) leaves task ${taskId} about ${remaining} attesting auditor(s) for an attestation quorum of ${policy.attestationQuorum}: ` +
        "the contract will refuse to execute this proposal unless governance lowers the quorum (UpdateTask) or adds an auditor first",
    );
  }
  return {
    taskId,
    round,
    upholdModel,
    suspend,
    notActive,
    warnings,
    evidence: {
      aggregator: getAddress(record.aggregator),
      modelCid: published.modelCid,
      publishedModelHash: published.modelHash,
      included: published.included.length,
      excluded: published.excluded.length,
      attestations,
    },
  };
}

/** The plan as readable lines: both sides of the dispute, then what the proposal does. */
export function renderDisputePlan(plan: DisputePlan): string[] {
  const e = plan.evidence;
  const lines = [
    `task ${plan.taskId} round ${plan.round} (disputed): aggregator ${e.aggregator} published ${e.publishedModelHash} ` +
      `(${e.modelCid}; ${e.included} included, ${e.excluded} excluded)`,
  ];
  for (const a of e.attestations) {
    lines.push(
      `  ${a.auditor} attested ${a.matches ? "match" : "MISMATCH"}, replayed ${a.replayedModelHash}` +
        (a.samePublished ? " (= published)" : " (differs from published)"),
    );
  }
  lines.push(
    plan.upholdModel
      ? "  proposal: uphold the published model; suspend the auditors that attested a mismatch"
      : "  proposal: confirm the dispute; suspend the aggregator and every auditor that attested a match",
  );
  lines.push(`  suspend: ${plan.suspend.length === 0 ? "nobody" : plan.suspend.join(", ")}`);
  if (plan.notActive.length > 0) lines.push(`  not active any more (left out): ${plan.notActive.join(", ")}`);
  return lines;
}
