/**
 * Progress for long steps: readable lines on a terminal, one JSON object per line otherwise (logs are
 * machine-read when nobody is watching). Always on stderr, so stdout stays the command's result.
 */
export type Logger = (event: string, fields?: Record<string, unknown>) => void;

export function createLogger({ quiet = false }: { quiet?: boolean } = {}): Logger {
  const tty = process.stderr.isTTY === true;
  return (event, fields = {}) => {
    if (quiet) return;
    if (tty) {
      const detail = Object.entries(fields)
        .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
        .join(" ");
      process.stderr.write(`• ${event}${detail ? "  " + detail : ""}\n`);
    } else {
      process.stderr.write(JSON.stringify({ time: new Date().toISOString(), event, ...fields }) + "\n");
    }
  };
}
