import type { Command } from "commander";
import { getAddress } from "ethers";
import { requireFields } from "../../config/index.js";
import { ExclusionReason, readTaskHistory } from "../../chain/index.js";
import type { HistoryAuditRow, RoleEnvironment } from "../../roles/index.js";
import { createLogger } from "../log.js";
import { textTable } from "../text-table.js";
import {
  announcePeers,
  configFrom,
  loadReaderFiles,
  openReaderCredentials,
  withConfigOption,
  withRole,
  type ConfigOption,
} from "./roles-shared.js";

/** Exit code of `cfl audit` when a replay disagrees with what the chain records. */
export const EXIT_MISMATCH = 1;

const REASONS = Object.fromEntries(Object.entries(ExclusionReason).map(([name, id]) => [id, name]));

const short = (hash?: string): string => (hash ? `${hash.slice(0, 10)}…${hash.slice(-4)}` : "-");

/** The rounds as a fixed-width text table, then every finding (and why a round was abandoned) under it. */
export function renderAuditTable(
  rows: readonly HistoryAuditRow[],
  abandoned: ReadonlyMap<number, string> = new Map(),
): string {
  const header = [
    "round",
    "status",
    "commits",
    "included",
    "excluded",
    "model hash",
    "attest ✓/✗",
    "verdict",
  ];
  const body = rows.map((r) => [
    String(r.round),
    r.status,
    String(r.commits),
    String(r.included),
    r.excluded.length === 0 ? "0" : r.excluded.map((e) => REASONS[e.reason] ?? e.reason).join(","),
    short(r.publishedModelHash),
    `${r.attestations.matches}/${r.attestations.mismatches}`,
    r.verdict === "mismatch" ? "MISMATCH" : r.verdict,
  ]);
  const lines = textTable({ header, rows: body });
  for (const r of rows) {
    const reason = abandoned.get(r.round);
    if (reason) lines.push(`round ${r.round}: abandoned: ${reason}`);
    for (const finding of r.findings) lines.push(`round ${r.round}: ${finding}`);
  }
  if (rows.length === 0) lines.push("(no rounds yet)");
  return lines.join("\n") + "\n";
}

/** The resolution names of IConsortium.DisputeResolution. */
const RESOLUTIONS = ["unresolved", "ModelUpheld", "DisputeConfirmed"] as const;
export type ResolutionName = (typeof RESOLUTIONS)[number];

/** Both sides of a disputed round: what the aggregator published, what each auditor attested, and this replay. */
export interface DisputeEvidence {
  round: number;
  aggregator: string;
  publishedModelHash: string;
  /** What this audit's own replay gives (absent when it could not replay the round). */
  replayedModelHash?: string;
  attestations: { auditor: string; matches: boolean; replayedModelHash: string; samePublished: boolean }[];
  /** This replay's findings against the aggregator's claims. */
  findings: string[];
  resolution: ResolutionName;
  /** Who governance suspended with its resolution. */
  suspended: string[];
  /** Whether the resolution was applied to the round (`resolveDispute`, status resolved). */
  applied: boolean;
}

/** Reads the evidence of every round an auditor attested a mismatch for, with governance's resolution. */
export async function disputeEvidence({
  env,
  rows,
  fromBlock,
}: {
  env: RoleEnvironment;
  rows: readonly HistoryAuditRow[];
  fromBlock: number;
}): Promise<{ evidence: DisputeEvidence[]; abandoned: Map<number, string> }> {
  const { consortium, rounds } = env.contracts;
  const history = await readTaskHistory({ rounds, taskId: env.taskId, fromBlock });
  const resolvedEvents = await consortium.queryFilter(consortium.filters.DisputeResolved(env.taskId));
  const abandoned = new Map<number, string>();
  const evidence: DisputeEvidence[] = [];
  for (const record of history) {
    if (record.abandoned) abandoned.set(Number(record.round), record.abandoned);
    if (!record.published || !(record.disputed || record.attestations.some((a) => !a.matches))) continue;
    const row = rows.find((r) => r.round === Number(record.round));
    const published = record.published.modelHash;
    const resolution = RESOLUTIONS[Number(await consortium.disputeResolution(env.taskId, record.round))];
    const event = resolvedEvents.find((e) => e.args.round === record.round);
    evidence.push({
      round: Number(record.round),
      aggregator: getAddress(record.published.aggregator),
      publishedModelHash: published,
      ...(row?.replayedModelHash ? { replayedModelHash: row.replayedModelHash } : {}),
      attestations: record.attestations.map((a) => ({
        auditor: getAddress(a.auditor),
        matches: a.matches,
        replayedModelHash: a.replayedModelHash,
        samePublished: a.replayedModelHash.toLowerCase() === published.toLowerCase(),
      })),
      findings: row?.findings ?? [],
      resolution: resolution ?? "unresolved",
      suspended: event ? event.args.suspended.map((a) => getAddress(a)) : [],
      applied: record.resolved !== undefined,
    });
  }
  return { evidence, abandoned };
}

/** The evidence of each disputed round as text: both sides, this replay, and governance's resolution. */
export function renderEvidence(evidence: readonly DisputeEvidence[], taskId: bigint): string {
  const lines: string[] = [];
  for (const d of evidence) {
    const own =
      d.replayedModelHash === undefined
        ? "this audit could not replay it"
        : d.replayedModelHash.toLowerCase() === d.publishedModelHash.toLowerCase()
          ? `this replay gives the published hash`
          : `this replay gives ${short(d.replayedModelHash)}`;
    lines.push(
      `round ${d.round} dispute: aggregator ${d.aggregator} published ${short(d.publishedModelHash)}; ${own}`,
    );
    for (const a of d.attestations) {
      lines.push(
        `  ${a.auditor} attested ${a.matches ? "match" : "MISMATCH"}, replayed ${short(a.replayedModelHash)}` +
          (a.samePublished ? " (= published)" : " (differs from published)"),
      );
    }
    if (d.resolution === "unresolved") {
      lines.push(
        `  unresolved: governors decide with \`cfl governance propose resolve-dispute --task ${taskId} --round ${d.round} --uphold|--confirm\``,
      );
    } else {
      const who = d.suspended.length === 0 ? "nobody suspended" : `suspended ${d.suspended.join(", ")}`;
      lines.push(
        `  resolution: ${d.resolution}, ${who}${d.applied ? "" : " (not yet applied to the round)"}`,
      );
    }
  }
  return lines.length === 0 ? "" : lines.join("\n") + "\n";
}

/**
 * Whether a mismatching round fails the audit: it does unless governance confirmed the dispute (then the
 * chain agrees that the published model was wrong, and it never became the task's model).
 */
function failsAudit(row: HistoryAuditRow, evidence: readonly DisputeEvidence[]): boolean {
  if (row.verdict !== "mismatch") return false;
  return evidence.find((d) => d.round === row.round)?.resolution !== "DisputeConfirmed";
}

export function registerAuditCommand(program: Command): void {
  withConfigOption(
    program
      .command("audit")
      .description(
        "replay the task's whole history from chain events (the envelopes travel in the commits) and the models on IPFS, " +
          "read-only; prints one row per round and, for disputed rounds, the evidence of each side and governance's " +
          "resolution; needs readerKeyFile and readerGroupFile; exit code 1 when a published round does not replay to " +
          "what was published (unless governance confirmed that dispute) or cannot be opened with this key",
      ),
  )
    .option("--json", "print the rows as JSON instead of a table", false)
    .option("--from-block <n>", "first block to read events from", "0")
    .option("--quiet", "no progress output", false)
    .action(async (opts: ConfigOption & { json: boolean; fromBlock: string; quiet: boolean }) => {
      const config = requireFields({
        config: configFrom(opts),
        fields: ["readerKeyFile", "readerGroupFile", "taskId"],
        command: "cfl audit",
      });
      const log = createLogger({ quiet: opts.quiet });
      const fromBlock = Number(opts.fromBlock);
      if (!/^\d+$/.test(opts.fromBlock) || !Number.isSafeInteger(fromBlock))
        throw new Error("--from-block must be a block number");
      const files = await loadReaderFiles({ config });
      const { auditHistory } = await import("../../roles/index.js");
      const { rows, evidence, abandoned } = await withRole(
        { config, command: "cfl audit", readOnly: true },
        async (connection) => {
          const { group } = await openReaderCredentials({ connection, files, requireOwnAccount: false });
          await announcePeers({ connection, log });
          const rows = await auditHistory({ env: connection.env, reader: group, log, fromBlock });
          return { rows, ...(await disputeEvidence({ env: connection.env, rows, fromBlock })) };
        },
      );
      const mismatches = rows.filter((r) => r.verdict === "mismatch").length;
      // Mismatches governance confirmed as the aggregator's fault: the chain agrees, the model was never used.
      const confirmed = rows.filter((r) => r.verdict === "mismatch" && !failsAudit(r, evidence)).length;
      // A published round this key cannot open is not confirmed either: it fails the audit too.
      const unverifiable = rows.filter((r) => r.verdict === "not-a-reader").length;
      if (opts.json) {
        const withReasons = rows.map((r) =>
          abandoned.has(r.round) ? { ...r, abandonReason: abandoned.get(r.round) } : r,
        );
        process.stdout.write(
          JSON.stringify(
            {
              task: config.taskId.toString(),
              rounds: withReasons,
              disputes: evidence,
              mismatches,
              confirmed,
              unverifiable,
            },
            (_key, v: unknown) => (typeof v === "bigint" ? v.toString() : v),
          ) + "\n",
        );
      } else {
        process.stdout.write(renderAuditTable(rows, abandoned));
        process.stdout.write(renderEvidence(evidence, config.taskId));
      }
      if (mismatches > confirmed || unverifiable > 0) process.exitCode = EXIT_MISMATCH;
    });
}
