/**
 * The demo's closing summary for a person at a terminal: one table row per round (commits, exclusions,
 * verdict, quality, bytes, gas), the members' own scores and where the report is. Scripts get JSON
 * instead (`--json`, or whenever stdout is not a terminal).
 */
import { supportNote } from "../../demo/report.js";
import type { DemoReport } from "../../demo/types.js";
import { textTable } from "../text-table.js";

const round3 = (x: number): string => x.toFixed(3);
const thousands = (x: number): string => Math.round(x).toLocaleString("en-US");
const short = (address: string): string => `${address.slice(0, 8)}…${address.slice(-4)}`;

/** Every column but the first holds numbers or short verdicts: right-aligned. */
function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  return textTable({ header, rows, rightAligned: header.map((_, c) => c).slice(1), rule: "─" });
}

/** The summary as lines of text (no colour codes: it reads the same when copied). */
export function renderDemoSummary({ report, out }: { report: DemoReport; out: string }): string {
  const rounds = table(
    ["round", "commits", "excluded", "verdict", "macro-F1", "bytes (sealed / dense)", "gas per commit"],
    report.rounds.map((r) => [
      String(r.round),
      String(r.committed),
      r.rejected.length === 0
        ? "0"
        : `${r.rejected.length} (${[...new Set(r.rejected.map((x) => x.reason))].join(", ")})`,
      r.resolution ? `${r.status} (${r.resolution})` : r.status,
      round3(r.metrics.macroF1),
      `${thousands(r.bytes.sparseMedian)} / ${thousands(r.bytes.dense)}`,
      thousands(r.gas.commitUpdateMedian),
    ]),
  );
  const first = report.initialMetrics.macroF1;
  const last = report.rounds.at(-1)?.metrics.macroF1 ?? first;
  const members = table(
    ["member", "rows", "held out", "macro-F1 on its own rows"],
    report.perMember.map((m) => [
      short(m.member),
      thousands(m.rows),
      thousands(m.heldOut),
      m.macroF1 === null ? "–" : round3(m.macroF1),
    ]),
  );
  return [
    `circular-fl demo: ${report.members} members on ${report.dataset}, rule ${report.rule}${supportNote(report)}, model ${report.task.model} (d = ${thousands(report.task.parameters)}), circuit ${report.circuit.instance} (K = ${report.circuit.maxEntries} per proof), k = ${thousands(report.policy.maxNonZeros)}${chunksNote(report)}`,
    "",
    ...rounds,
    "",
    `macro-F1 on the shared test set: ${round3(first)} before round 1 → ${round3(last)} after round ${report.rounds.length} (${last >= first ? "+" : ""}${(last - first).toFixed(3)})`,
    "",
    ...members,
    "",
    `report: ${out}/report.json and ${out}/report.html; the final model: ${report.task.modelJson}`,
    `finished in ${(report.durationMs / 1000).toFixed(1)} s`,
  ].join("\n");
}

/** ", N chunk proofs per update" when updates needed more than one proof. */
function chunksNote(report: DemoReport): string {
  const chunks = Math.max(0, ...report.rounds.map((r) => r.chunksMedian));
  return chunks > 1 ? `, ${chunks} chunk proofs per update` : "";
}
