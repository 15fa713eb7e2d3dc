import type { DemoReport } from "./types.js";

const escape = (s: string): string =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c,
  );

interface Series {
  name: string;
  color: string;
  values: number[];
}

/** A small self-contained SVG line or bar chart: the report opens offline, with no script or CDN. */
function chart({
  id,
  title,
  unit,
  labels,
  series,
  kind,
}: {
  id: string;
  title: string;
  unit: string;
  labels: string[];
  series: Series[];
  kind: "line" | "bar";
}): string {
  const width = 520;
  const height = 220;
  const pad = { left: 56, right: 12, top: 28, bottom: 36 };
  const plotW = width - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  const all = series.flatMap((s) => s.values).filter((v) => Number.isFinite(v));
  const max = Math.max(1e-9, ...all);
  const y = (v: number) => pad.top + plotH - (v / max) * plotH;
  const step = labels.length > 1 ? plotW / (labels.length - 1) : plotW;
  const x = (i: number) => pad.left + (labels.length > 1 ? i * step : plotW / 2);
  const parts: string[] = [];
  parts.push(`<text x="${pad.left}" y="18" class="title">${escape(title)}</text>`);
  for (let t = 0; t <= 4; t++) {
    const v = (max * t) / 4;
    parts.push(
      `<line x1="${pad.left}" x2="${width - pad.right}" y1="${y(v)}" y2="${y(v)}" class="grid"/>` +
        `<text x="${pad.left - 6}" y="${y(v) + 4}" class="axis" text-anchor="end">${formatNumber(v)}</text>`,
    );
  }
  const groupW = plotW / Math.max(1, labels.length);
  // Bars sit in the middle of their group; line points sit on the ticks.
  const labelX = (i: number) => (kind === "bar" ? pad.left + i * groupW + groupW / 2 : x(i));
  labels.forEach((label, i) => {
    parts.push(
      `<text x="${labelX(i)}" y="${height - 14}" class="axis" text-anchor="middle">${escape(label)}</text>`,
    );
  });
  if (kind === "line") {
    for (const s of series) {
      const points = s.values.map((v, i) => `${x(i)},${y(v)}`).join(" ");
      parts.push(`<polyline points="${points}" fill="none" stroke="${s.color}" stroke-width="2"/>`);
      s.values.forEach((v, i) => parts.push(`<circle cx="${x(i)}" cy="${y(v)}" r="3" fill="${s.color}"/>`));
    }
  } else {
    const barW = (groupW * 0.7) / series.length;
    series.forEach((s, si) => {
      s.values.forEach((v, i) => {
        const bx = pad.left + i * groupW + groupW * 0.15 + si * barW;
        parts.push(
          `<rect x="${bx}" y="${y(v)}" width="${barW}" height="${pad.top + plotH - y(v)}" fill="${s.color}"/>`,
        );
      });
    });
  }
  const legend = series
    .map(
      (s, i) =>
        `<tspan x="${width - pad.right - 130}" dy="${i === 0 ? 0 : 14}" fill="${s.color}">■ ${escape(s.name)}</tspan>`,
    )
    .join("");
  parts.push(`<text x="${width - pad.right - 130}" y="14" class="legend">${legend}</text>`);
  return (
    `<figure><svg id="${id}" role="img" aria-label="${escape(title)}" viewBox="0 0 ${width} ${height}" ` +
    `width="${width}" height="${height}">${parts.join("")}</svg><figcaption>${escape(unit)}</figcaption></figure>`
  );
}

function formatNumber(v: number): string {
  if (Math.abs(v) >= 1e6) return `${(v / 1e6).toFixed(1)}M`;
  if (Math.abs(v) >= 1e3) return `${(v / 1e3).toFixed(1)}k`;
  if (Math.abs(v) >= 10) return v.toFixed(0);
  return v.toFixed(2);
}

/** Renders the demo report as one static HTML page: round charts and the audit verdicts. */
export function renderReportHtml(report: DemoReport): string {
  const labels = report.rounds.map((r) => `r${r.round}`);
  const verdictRows = report.rounds
    .map((r) => {
      const status = r.status;
      const detail =
        r.resolution !== undefined
          ? ` (${r.resolution})`
          : r.abandonReason !== undefined
            ? ` (${r.abandonReason})`
            : "";
      const verdict = escape(status);
      const audits = r.audit
        .map(
          (a) =>
            `${escape(a.auditor.slice(0, 10))}…: ${a.matches ? "match" : "mismatch"}${a.findings.length ? ` (${escape(a.findings.join("; "))})` : ""}`,
        )
        .join("<br>");
      const rejected =
        [
          ...r.rejected.map((x) => `${escape(x.member.slice(0, 10))}…: ${escape(x.reason)}`),
          ...r.suspectedKept.map((m) => `${escape(m.slice(0, 10))}…: suspected, kept (must repeat)`),
        ].join("<br>") || "none";
      return (
        `<tr class="${verdict}"><td>${r.round}</td><td>${r.committed}</td><td>${rejected}</td>` +
        `<td><code>${escape(r.globalModelHash.slice(0, 18))}…</code></td><td class="verdict">${verdict}${escape(detail)}</td><td>${audits}</td>` +
        `<td>${r.metrics.macroF1.toFixed(3)}</td></tr>`
      );
    })
    .join("\n");
  const memberRows = report.perMember
    .map(
      (m) =>
        `<tr><td><code>${escape(m.member.slice(0, 10))}…</code></td><td>${m.rows}</td><td>${m.heldOut}</td>` +
        `<td>${m.macroF1 === null ? "–" : m.macroF1.toFixed(3)}</td></tr>`,
    )
    .join("\n");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>circular-fl demo report</title>
<style>
body{font-family:system-ui,sans-serif;margin:24px;color:#1d2733;background:#fafbfc}
h1{font-size:22px;margin:0 0 4px} .meta{color:#566;margin-bottom:16px}
.charts{display:flex;flex-wrap:wrap;gap:16px} figure{margin:0;background:#fff;border:1px solid #dde;padding:8px;border-radius:6px}
figcaption{font-size:12px;color:#667} .title{font-size:13px;font-weight:600} .axis{font-size:10px;fill:#667}
.legend{font-size:11px} .grid{stroke:#eef;stroke-width:1}
table{border-collapse:collapse;margin-top:20px;background:#fff} td,th{border:1px solid #dde;padding:6px 8px;font-size:13px;vertical-align:top}
tr.disputed .verdict,tr.resolved .verdict{color:#b00020;font-weight:700} tr.finalized .verdict{color:#08752b;font-weight:700} tr.abandoned .verdict{color:#8a5a00;font-weight:700}
</style></head>
<body>
<h1>circular-fl: federated round report</h1>
<div class="meta" id="summary">${report.members} members (${report.malicious} malicious, attack: ${escape(report.attack)}),
dataset ${escape(report.dataset)}, rule ${escape(report.rule)}${escape(supportNote(report))}, circuit ${escape(report.circuit.instance)}
(${report.circuit.constraints} constraints, k ≤ ${report.circuit.maxEntries}), d = ${report.policy.dimension},
backend ${escape(report.backend)}, seed ${report.seed}${report.tamperAggregator ? ", tampering aggregator in round 2" : ""}.</div>
<div class="charts">
${chart({
  id: "quality",
  title: "Held-out quality per round",
  unit: "macro-F1 and balanced accuracy of the model members train on",
  labels,
  kind: "line",
  series: [
    { name: "macro-F1", color: "#1f6feb", values: report.rounds.map((r) => r.metrics.macroF1) },
    {
      name: "balanced accuracy",
      color: "#8250df",
      values: report.rounds.map((r) => r.metrics.balancedAccuracy),
    },
  ],
})}
${chart({
  id: "bytes",
  title: "Bytes per update",
  unit: "sealed sparse update (median) vs dense float32",
  labels,
  kind: "bar",
  series: [
    { name: "sparse (median)", color: "#2da44e", values: report.rounds.map((r) => r.bytes.sparseMedian) },
    { name: "dense float32", color: "#cf222e", values: report.rounds.map((r) => r.bytes.dense) },
  ],
})}
${chart({
  id: "proving",
  title: "Proving vs training time",
  unit: "median ms per member per round",
  labels,
  kind: "bar",
  series: [
    { name: "Groth16 proving", color: "#bf8700", values: report.rounds.map((r) => r.proveMsMedian) },
    { name: "local training", color: "#1f6feb", values: report.rounds.map((r) => r.trainMsMedian) },
  ],
})}
${chart({
  id: "gas",
  title: "Gas per call",
  unit: "commitUpdate (median) and publishAggregate",
  labels,
  kind: "bar",
  series: [
    { name: "commitUpdate", color: "#8250df", values: report.rounds.map((r) => r.gas.commitUpdateMedian) },
    { name: "publishAggregate", color: "#57606a", values: report.rounds.map((r) => r.gas.publishAggregate) },
  ],
})}
</div>
<table id="verdicts"><thead><tr><th>round</th><th>committed</th><th>rejected</th><th>global model hash</th><th>verdict</th><th>auditors</th><th>macro-F1</th></tr></thead>
<tbody>
${verdictRows}
</tbody></table>
<table id="members"><caption>The final model on each member's own held-out rows (model ${escape(report.task.model)}, d = ${report.task.parameters}, members' rows split ${escape(report.task.split)})</caption>
<thead><tr><th>member</th><th>rows trained on</th><th>held-out rows</th><th>macro-F1</th></tr></thead>
<tbody>
${memberRows}
</tbody></table>
</body></html>
`;
}

/** " with the support defense (q = Q)" when the forest's support defense ran; else nothing. */
export function supportNote(report: Pick<DemoReport, "supportMembers">): string {
  return report.supportMembers === undefined
    ? ""
    : ` with the support defense (q = ${report.supportMembers})`;
}
