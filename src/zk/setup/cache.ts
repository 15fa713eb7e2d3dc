import { homedir } from "node:os";
import { join } from "node:path";

/** Root of the proving-artifact cache; outside the repo because ptau and zkey files are tens of MB. */
export function zkCacheRoot(): string {
  const base = process.env.CFL_CACHE_DIR;
  const root = base !== undefined && base !== "" ? base : join(homedir(), ".cache", "circular-fl");
  return join(root, "zk");
}

/** Prepared powers-of-tau files are shared by every instance of the same power. */
export function ptauPath(power: number, cacheRoot: string = zkCacheRoot()): string {
  return join(cacheRoot, "ptau", `pot${power}.ptau`);
}
