import type { Command } from "commander";
import { loadReaderKey, requireFields } from "../../config/index.js";
import { ExclusionReason } from "../../chain/index.js";
import type { HistoryAuditRow } from "../../roles/index.js";
import { createLogger } from "../log.js";
import {
  announcePeers,
  checkReaderKey,
  circuitParams,
  configFrom,
  withConfigOption,
  withRole,
  type ConfigOption,
} from "./roles-shared.js";

/** Exit code of `cfl audit` when a replay disagrees with what the chain records. */
export const EXIT_MISMATCH = 1;

const REASONS = Object.fromEntries(Object.entries(ExclusionReason).map(([name, id]) => [id, name]));

const short = (hash?: string): string => (hash ? `${hash.slice(0, 10)}…${hash.slice(-4)}` : "-");

/** The rounds as a fixed-width text table, then every finding under it. */
export function renderAuditTable(rows: readonly HistoryAuditRow[]): string {
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
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((line) => line[i]!.length)));
  const format = (cells: string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join("  ")
      .trimEnd();
  const lines = [format(header), widths.map((w) => "-".repeat(w)).join("  "), ...body.map(format)];
  for (const r of rows) for (const finding of r.findings) lines.push(`round ${r.round}: ${finding}`);
  if (rows.length === 0) lines.push("(no rounds yet)");
  return lines.join("\n") + "\n";
}

export function registerAuditCommand(program: Command): void {
  withConfigOption(
    program
      .command("audit")
      .description(
        "replay the task's whole history from chain events and IPFS (read-only, nothing is attested); " +
          "prints one row per round; exit code 1 when any published round does not replay to what was published (or cannot be opened with this key)",
      ),
  )
    .option("--json", "print the rows as JSON instead of a table", false)
    .option("--from-block <n>", "first block to read events from", "0")
    .option("--quiet", "no progress output", false)
    .action(async (opts: ConfigOption & { json: boolean; fromBlock: string; quiet: boolean }) => {
      const config = requireFields({
        config: configFrom(opts),
        fields: ["readerKeyFile"],
        command: "cfl audit",
      });
      const log = createLogger({ quiet: opts.quiet });
      const reader = await loadReaderKey({ path: config.readerKeyFile });
      const circuit = await circuitParams(config.circuit);
      const fromBlock = Number(opts.fromBlock);
      if (!Number.isSafeInteger(fromBlock) || fromBlock < 0)
        throw new Error("--from-block must be a block number");
      const { auditHistory } = await import("../../roles/index.js");
      const rows = await withRole({ config, command: "cfl audit", readOnly: true }, async (connection) => {
        await checkReaderKey({ connection, reader, requireOwnAccount: false });
        await announcePeers({ connection, log });
        return auditHistory({ env: connection.env, reader, circuit, log, fromBlock });
      });
      const mismatches = rows.filter((r) => r.verdict === "mismatch").length;
      // A published round this key cannot open is not confirmed either: it fails the audit too.
      const unverifiable = rows.filter((r) => r.verdict === "not-a-reader").length;
      if (opts.json) {
        process.stdout.write(
          JSON.stringify({ task: config.taskId?.toString(), rounds: rows, mismatches, unverifiable }) + "\n",
        );
      } else {
        process.stdout.write(renderAuditTable(rows));
      }
      if (mismatches > 0 || unverifiable > 0) process.exitCode = EXIT_MISMATCH;
    });
}
