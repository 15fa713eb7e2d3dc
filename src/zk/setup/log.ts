import type { SnarkjsLogger } from "snarkjs";

let quiet = false;

/** Silences the setup's progress lines (a command run with `--quiet`); its failures still throw. */
export function quietSetupLog(): void {
  quiet = true;
}

/** Progress lines go to stderr so stdout stays clean for machine-readable output (JSON, hashes). */
export function progress(message: string): void {
  if (!quiet) process.stderr.write(`[zk] ${message}\n`);
}

/** snarkjs logger: info and above on stderr, debug only when CFL_ZK_DEBUG is set (it is very chatty). */
export function snarkjsLogger(prefix: string): SnarkjsLogger {
  const debug = process.env.CFL_ZK_DEBUG !== undefined && process.env.CFL_ZK_DEBUG !== "";
  return {
    debug: (m) => {
      if (debug) progress(`${prefix}: ${m}`);
    },
    info: (m) => progress(`${prefix}: ${m}`),
    warn: (m) => progress(`${prefix}: WARN ${m}`),
    error: (m) => progress(`${prefix}: ERROR ${m}`),
  };
}

/** A step of a circuit's setup, for a progress bar: `done` of `total` steps. */
export interface SetupProgress {
  readonly phase: string;
  readonly step: string;
  readonly done: number;
  readonly total: number;
  /** The setup's own estimate, where the steps' pace says nothing (one long opaque step). */
  readonly secondsLeft?: number;
}

let setupReporter: ((update: SetupProgress) => void) | undefined;

/** Where setup progress goes (the CLI draws a bar on a terminal); undefined stops reporting. */
export function onSetupProgress(reporter: ((update: SetupProgress) => void) | undefined): void {
  setupReporter = reporter;
}

export function reportSetupProgress(update: SetupProgress): void {
  setupReporter?.(update);
}
