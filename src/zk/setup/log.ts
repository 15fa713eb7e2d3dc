import type { SnarkjsLogger } from "snarkjs";

/** Progress lines go to stderr so stdout stays clean for machine-readable output (JSON, hashes). */
export function progress(message: string): void {
  process.stderr.write(`[zk] ${message}\n`);
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
