import { useState } from "preact/hooks";
import { roundOutcome } from "../../chain/types.js";
import type { RoundQuality } from "../types.js";
import type { Session } from "./session.js";
import { TaskPicker, useTaskChoice } from "./tasks-page.js";
import { qualityFromFile } from "./quality.js";
import { CidLink, Hash, Notice, Section } from "./ui.js";

function Chart({ points }: { points: readonly RoundQuality[] }) {
  const sorted = [...points].sort((a, b) => a.round - b.round);
  const w = 560;
  const h = 220;
  const pad = 40;
  const maxRound = Math.max(1, ...sorted.map((p) => p.round));
  const x = (r: number): number =>
    pad +
    ((r - (sorted.length > 1 ? 1 : 0)) / Math.max(1, maxRound - (sorted.length > 1 ? 1 : 0))) * (w - 2 * pad);
  const y = (v: number): number => h - pad - v * (h - 2 * pad);
  const line = sorted.map((p) => `${x(p.round).toFixed(1)},${y(p.macroF1).toFixed(1)}`).join(" ");
  const description = sorted.map((p) => `round ${p.round}: ${p.macroF1.toFixed(3)}`).join(", ");
  return (
    <svg class="chart" viewBox={`0 0 ${w} ${h}`} role="img" aria-label={`Macro-F1 by round: ${description}`}>
      <line x1={pad} y1={h - pad} x2={w - pad} y2={h - pad} class="axis" />
      <line x1={pad} y1={pad} x2={pad} y2={h - pad} class="axis" />
      {[0, 0.5, 1].map((v) => (
        <text key={v} x={pad - 6} y={y(v) + 4} text-anchor="end" class="tick">
          {v.toFixed(1)}
        </text>
      ))}
      {sorted.map((p) => (
        <text key={p.round} x={x(p.round)} y={h - pad + 16} text-anchor="middle" class="tick">
          {p.round}
        </text>
      ))}
      <polyline points={line} class="series" />
      {sorted.map((p) => (
        <circle key={p.round} cx={x(p.round)} cy={y(p.macroF1)} r={3.5} class="point" />
      ))}
      <text x={w / 2} y={h - 6} text-anchor="middle" class="tick">
        round
      </text>
    </svg>
  );
}

export function ModelsPage({ session }: { session: Session }) {
  const [task, choose] = useTaskChoice(session);
  const [loaded, setLoaded] = useState<RoundQuality[]>([]);
  const [problem, setProblem] = useState<string | undefined>();
  if (!task)
    return (
      <>
        <h1>Model history</h1>
        <p>No task yet.</p>
      </>
    );
  const taskId = task.taskId.toString();
  const quality = [...session.settings.quality, ...loaded].filter((q) => q.taskId === taskId);
  const byRound = new Map(quality.map((q) => [q.round, q]));
  const onFile = async (input: HTMLInputElement): Promise<void> => {
    setProblem(undefined);
    const file = input.files?.[0];
    if (!file) return;
    try {
      setLoaded(
        qualityFromFile({ json: JSON.parse(await file.text()) as unknown, taskId, source: file.name }),
      );
    } catch (error) {
      setProblem(`${file.name}: ${(error as Error).message}`);
    }
  };
  return (
    <>
      <h1>Model history</h1>
      <TaskPicker session={session} task={task} choose={choose} />
      <Section title="Quality by round">
        {quality.length > 0 ? (
          <>
            <Chart points={quality} />
            <p class="small">{`Measured by: ${[...new Set(quality.map((q) => q.source))].join(", ")}. The chain holds hashes, not figures: these come from whoever measured them.`}</p>
          </>
        ) : (
          <p>
            No quality figures yet. An auditor can load its own evaluation (a cfl demo report.json, or a list
            of round and macroF1).
          </p>
        )}
        <div class="field">
          <label for="quality-file">Load quality figures (JSON)</label>
          <input
            id="quality-file"
            type="file"
            accept="application/json,.json"
            onChange={(e) => void onFile(e.currentTarget)}
          />
        </div>
        {problem ? <Notice kind="error">{problem}</Notice> : null}
      </Section>
      <Section title="Global models">
        <table>
          <thead>
            <tr>
              <th scope="col">Round</th>
              <th scope="col">Status</th>
              <th scope="col">Model hash</th>
              <th scope="col">Stored at</th>
              <th scope="col">Macro-F1</th>
            </tr>
          </thead>
          <tbody>
            {task.rounds.map((r) => (
              <tr key={r.round.toString()}>
                <td>{r.round.toString()}</td>
                <td>{roundOutcome(r)}</td>
                <td>{r.published ? <Hash value={r.published.modelHash} /> : "—"}</td>
                <td>{r.published ? <CidLink cid={r.published.modelCid} /> : "—"}</td>
                <td>{byRound.get(Number(r.round))?.macroF1.toFixed(3) ?? "—"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Section>
    </>
  );
}
