/**
 * Progress for long steps: readable lines on a terminal, one JSON object per line otherwise (logs are
 * machine-read when nobody is watching). Always on stderr, so stdout stays the command's result.
 *
 * Every line passes through `redactSecrets` on its way out, so no field can leak a URL credential, a key
 * or a password; an error (or an error message) that carries a contract revert is logged decoded.
 */
import { decodeRevert, describeRevert } from "../chain/revert.js";
import { redactSecrets } from "../config/redact.js";
import { ProgressTracker, renderProgressBar } from "./progress.js";

export type Logger = (event: string, fields?: Record<string, unknown>) => void;

/** The shapes of an ethers or node revert message, the only strings worth decoding. */
const REVERT_MESSAGE = /CALL_EXCEPTION|execution reverted|VM Exception|custom error|could not coalesce error/;

/** A field's value as logged: errors by their (decoded) one-line description, revert messages decoded. */
function loggable(value: unknown): unknown {
  if (value instanceof Error) return describeRevert(value);
  if (typeof value === "string" && REVERT_MESSAGE.test(value) && decodeRevert(value)) {
    return describeRevert(value);
  }
  return value;
}

/** The progress bar on screen (a TTY's last line, without a newline), redrawn after each log line. */
let barOnScreen: string | undefined;
const CLEAR_LINE = "\r\x1b[2K";

/** Writes one line to stderr with every secret masked: the single sink of the CLI's and roles' logs. */
export function writeLogLine(line: string): void {
  if (barOnScreen !== undefined) process.stderr.write(CLEAR_LINE);
  process.stderr.write(redactSecrets(line) + "\n");
  if (barOnScreen !== undefined) process.stderr.write(barOnScreen);
}

/** Draws (or, with undefined, removes) the progress bar on the terminal's last line. */
function drawBar(text: string | undefined): void {
  process.stderr.write(CLEAR_LINE + (text ?? ""));
  barOnScreen = text;
}

function stringify(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
}

/** For a person: fractions to 4 significant digits (macroF1=0.2768, not 0.2768057081736701). */
export function readable(value: unknown): unknown {
  if (typeof value === "number" && !Number.isInteger(value) && Number.isFinite(value))
    return Number(value.toPrecision(4));
  if (Array.isArray(value)) return value.map(readable);
  if (value !== null && typeof value === "object" && !(value instanceof Error))
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, readable(v)]));
  return value;
}

/**
 * The event a long step reports its progress with: `{ phase, done, total }`. On a terminal it is a bar
 * redrawn in place with the time left; machine-read logs leave it out (they get the steps' own events).
 */
export const PROGRESS_EVENT = "progress";

export function createLogger({ quiet = false }: { quiet?: boolean } = {}): Logger {
  const tty = process.stderr.isTTY === true;
  const tracker = new ProgressTracker();
  return (event, fields = {}) => {
    if (quiet) return;
    if (event === PROGRESS_EVENT) {
      if (!tty) return;
      const update = { phase: String(fields.phase), done: Number(fields.done), total: Number(fields.total) };
      const step = typeof fields.step === "string" ? fields.step : undefined;
      // A finished phase leaves the screen: the step's own line (or the next phase's bar) follows.
      drawBar(
        update.done >= update.total
          ? undefined
          : renderProgressBar({
              ...update,
              step,
              secondsLeft:
                typeof fields.secondsLeft === "number" ? fields.secondsLeft : tracker.secondsLeft(update),
            }),
      );
      return;
    }
    const shown = Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, loggable(v)]));
    if (tty) {
      const detail = Object.entries(shown)
        .map(([k, v]) => `${k}=${typeof v === "string" ? v : stringify(readable(v))}`)
        .join(" ");
      writeLogLine(`• ${event}${detail ? "  " + detail : ""}`);
    } else {
      writeLogLine(stringify({ time: new Date().toISOString(), event, ...shown }));
    }
  };
}
