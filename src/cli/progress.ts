/**
 * Progress bars for a person at a terminal: one line redrawn in place (`\r`), with the share done and the
 * time left estimated from the phase's own pace so far. Log lines written meanwhile clear the bar, print,
 * and the bar comes back on its next update. Scripts (no TTY) never see a bar.
 */

/** What a long step reports: `done` of `total` units of `phase`. */
export interface ProgressUpdate {
  readonly phase: string;
  readonly done: number;
  readonly total: number;
}

const WIDTH = 24;
const PHASE_COLUMN = 34;

function formatSeconds(seconds: number): string {
  if (seconds < 60) return `${Math.max(1, Math.round(seconds))} s`;
  const minutes = Math.floor(seconds / 60);
  return `${minutes} min ${String(Math.round(seconds % 60)).padStart(2, "0")} s`;
}

/**
 * One bar as text: `round 2/3 · member 2 of 4 trains   [██████░░░░░░] 2/8  ~3 s left`. Without an estimate (nothing
 * done yet) the time left is left out rather than guessed.
 */
export function renderProgressBar({
  phase,
  step,
  done,
  total,
  secondsLeft,
}: ProgressUpdate & { step?: string | undefined; secondsLeft?: number | undefined }): string {
  const share = total > 0 ? Math.min(1, Math.max(0, done / total)) : 0;
  const filled = Math.round(share * WIDTH);
  const bar = `[${"█".repeat(filled)}${"░".repeat(WIDTH - filled)}]`;
  const left = secondsLeft !== undefined && done < total ? `  ~${formatSeconds(secondsLeft)} left` : "";
  const label = step ? `${phase} · ${step}` : phase;
  return `${label.padEnd(PHASE_COLUMN)} ${bar} ${done}/${total}${left}`;
}

/** Pace per phase: the time left is (elapsed / done) × (total − done) since the phase's first update. */
export class ProgressTracker {
  private readonly started = new Map<string, number>();

  constructor(private readonly now: () => number = () => performance.now()) {}

  secondsLeft({ phase, done, total }: ProgressUpdate): number | undefined {
    const t = this.now();
    if (!this.started.has(phase) || done === 0) this.started.set(phase, t);
    if (done <= 0 || done >= total) return undefined;
    const elapsed = (t - (this.started.get(phase) ?? t)) / 1000;
    return (elapsed / done) * (total - done);
  }
}
