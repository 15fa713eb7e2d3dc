/**
 * What the console shows, read from the chain alone (the chain is the audit log): governors, members,
 * proposals, task policies and every round, rebuilt from events with the same readers the CLI and the
 * auditors use.
 */
import type { JsonRpcProvider } from "ethers";
import { readTaskHistory } from "../../chain/events.js";
import type { ConsortiumContracts, RoundRecord } from "../../chain/types.js";
import { policyFromChain } from "../../governance/policy.js";
import { readProposals, type ProposalView } from "../../governance/proposals.js";
import { nameOf, roleNames } from "../../governance/describe.js";
import { EntityKind, MemberStatus, type TaskPolicy } from "../../governance/types.js";

export interface MemberView {
  readonly account: string;
  readonly roles: number;
  readonly kind: string;
  readonly status: string;
  readonly encryptionKey: string;
}

/** One line of the consortium's history (governance events, newest first). */
export interface HistoryEntry {
  readonly blockNumber: number;
  readonly transactionHash: string;
  readonly text: string;
}

export interface PolicyVersion {
  readonly version: number;
  readonly policy: TaskPolicy;
  readonly blockNumber: number;
  readonly transactionHash: string;
}

export interface TaskView {
  readonly taskId: bigint;
  readonly versions: readonly PolicyVersion[];
  /** Accounts granted access, in the order of their latest grant. */
  readonly access: readonly string[];
  readonly rounds: readonly RoundRecord[];
  /** Dispute resolutions by round. */
  readonly resolutions: ReadonlyMap<string, { resolution: string; suspended: readonly string[] }>;
}

export interface Snapshot {
  readonly blockNumber: number;
  /** Latest block time (seconds). */
  readonly now: bigint;
  readonly governors: readonly string[];
  readonly quorum: bigint;
  readonly development: boolean;
  readonly members: readonly MemberView[];
  readonly history: readonly HistoryEntry[];
  readonly proposals: readonly ProposalView[];
  readonly tasks: readonly TaskView[];
}

const short = (a: string): string => `${a.slice(0, 6)}…${a.slice(-4)}`;
/** IConsortium.DisputeResolution by value. */
const RESOLUTIONS = ["None", "ModelUpheld", "DisputeConfirmed"] as const;

/** Reads the whole picture at the latest block. */
export async function loadSnapshot({
  contracts,
  provider,
}: {
  contracts: ConsortiumContracts;
  provider: JsonRpcProvider;
}): Promise<Snapshot> {
  const { consortium, rounds } = contracts;
  const block = await provider.getBlock("latest");
  if (!block) throw new Error("the chain returned no latest block");
  const blockTag = block.number;
  const [
    governors,
    quorum,
    development,
    admitted,
    statuses,
    added,
    removed,
    quorums,
    policies,
    access,
    resolved,
  ] = await Promise.all([
    consortium.governors({ blockTag }),
    consortium.quorum({ blockTag }),
    consortium.development({ blockTag }),
    consortium.queryFilter(consortium.filters.MemberAdmitted(), 0, blockTag),
    consortium.queryFilter(consortium.filters.MemberStatusChanged(), 0, blockTag),
    consortium.queryFilter(consortium.filters.GovernorAdded(), 0, blockTag),
    consortium.queryFilter(consortium.filters.GovernorRemoved(), 0, blockTag),
    consortium.queryFilter(consortium.filters.QuorumChanged(), 0, blockTag),
    consortium.queryFilter(consortium.filters.TaskPolicySet(), 0, blockTag),
    consortium.queryFilter(consortium.filters.TaskAccessChanged(), 0, blockTag),
    consortium.queryFilter(consortium.filters.DisputeResolved(), 0, blockTag),
  ]);
  const accounts = [...new Set(admitted.map((e) => e.args.account))];
  const members = await Promise.all(
    accounts.map(async (account): Promise<MemberView> => {
      const m = await consortium.member(account, { blockTag });
      return {
        account,
        roles: Number(m.profile.roles),
        kind: nameOf(EntityKind, Number(m.profile.kind)) ?? String(m.profile.kind),
        status: nameOf(MemberStatus, Number(m.status)) ?? String(m.status),
        encryptionKey: m.profile.encryptionKey,
      };
    }),
  );
  const history: HistoryEntry[] = [
    ...admitted.map((e) => ({
      e,
      text: `Member ${short(e.args.account)} admitted as ${roleNames(Number(e.args.roles)).join(", ")} (${nameOf(EntityKind, Number(e.args.kind)) ?? "?"})`,
    })),
    ...statuses.map((e) => ({
      e,
      text: `Member ${short(e.args.account)} is now ${nameOf(MemberStatus, Number(e.args.status)) ?? "?"}`,
    })),
    ...added.map((e) => ({ e, text: `Governor ${short(e.args.governor)} added` })),
    ...removed.map((e) => ({ e, text: `Governor ${short(e.args.governor)} removed` })),
    ...quorums.map((e) => ({ e, text: `Quorum set to ${e.args.quorum}` })),
    ...policies.map((e) => ({ e, text: `Task ${e.args.taskId} policy version ${e.args.version} set` })),
    ...access.map((e) => ({
      e,
      text: `Task ${e.args.taskId}: access ${e.args.granted ? "granted to" : "revoked from"} ${short(e.args.account)}`,
    })),
    ...resolved.map((e) => ({
      e,
      text: `Task ${e.args.taskId} round ${e.args.round}: dispute resolved, ${RESOLUTIONS[Number(e.args.resolution)] ?? "?"}`,
    })),
  ]
    .map(({ e, text }) => ({
      blockNumber: e.blockNumber,
      transactionHash: e.transactionHash,
      text,
      index: e.index,
    }))
    .sort((a, b) => b.blockNumber - a.blockNumber || b.index - a.index)
    .map(({ blockNumber, transactionHash, text }) => ({ blockNumber, transactionHash, text }));

  const taskIds = [...new Set(policies.map((e) => e.args.taskId))].sort((a, b) => (a < b ? -1 : 1));
  const tasks = await Promise.all(
    taskIds.map(async (taskId): Promise<TaskView> => {
      const versions = policies
        .filter((e) => e.args.taskId === taskId)
        .map((e) => ({
          version: Number(e.args.version),
          policy: policyFromChain(e.args.policy),
          blockNumber: e.blockNumber,
          transactionHash: e.transactionHash,
        }));
      const granted = new Map<string, boolean>();
      for (const e of access.filter((x) => x.args.taskId === taskId)) {
        granted.delete(e.args.account);
        granted.set(e.args.account, e.args.granted);
      }
      const resolutions = new Map(
        resolved
          .filter((e) => e.args.taskId === taskId)
          .map((e) => [
            e.args.round.toString(),
            {
              resolution: RESOLUTIONS[Number(e.args.resolution)] ?? "?",
              suspended: [...e.args.suspended],
            },
          ]),
      );
      return {
        taskId,
        versions,
        access: [...granted].filter(([, g]) => g).map(([a]) => a),
        rounds: await readTaskHistory({ rounds, taskId }),
        resolutions,
      };
    }),
  );
  return {
    blockNumber: block.number,
    now: BigInt(block.timestamp),
    governors: [...governors],
    quorum,
    development,
    members,
    history,
    proposals: await readProposals({ consortium, now: BigInt(block.timestamp) }),
    tasks,
  };
}
