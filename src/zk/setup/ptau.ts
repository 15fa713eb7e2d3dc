import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, rename, rm } from "node:fs/promises";
import { dirname } from "node:path";
import * as snarkjs from "snarkjs";
import { ZkSetupError } from "../errors.js";
import { ptauPath } from "./cache.js";
import { progress, snarkjsLogger } from "./log.js";

/**
 * Public, fixed beacon for the DEVELOPMENT-ONLY setup: sha256("circular-fl development-only beacon v1").
 * Because it is public, anyone can recompute the toxic waste; that is the price of byte-identical keys on
 * every machine (so the committed verifier can be drift-checked). Production keys come from the phase-2
 * ceremony (`cfl zk ceremony`).
 */
export const DEV_BEACON_HASH = "2aef5ebb2c28db24c64d37dbec41f361d1dd0582f0c3f2b05e91909c19d02e3d";
export const DEV_BEACON_ITERATIONS_EXP = 10;

/**
 * Produces (or reuses) the prepared phase-1 file for `power`: new accumulator, one public beacon, prepare
 * phase 2. Deterministic: the same power always yields the same bytes.
 */
export async function ensurePreparedPtau({
  power,
  cacheRoot,
}: {
  power: number;
  cacheRoot?: string;
}): Promise<string> {
  if (!Number.isInteger(power) || power < 8 || power > 20) {
    throw new ZkSetupError(`ptau power must be an integer in [8, 20], got ${power}`);
  }
  const finalPath = ptauPath(power, cacheRoot);
  if (existsSync(finalPath)) return finalPath;
  const pending = inFlight.get(finalPath);
  if (pending !== undefined) return pending;
  const made = preparePtau(power, finalPath).finally(() => inFlight.delete(finalPath));
  inFlight.set(finalPath, made);
  return made;
}

const inFlight = new Map<string, Promise<string>>();

async function preparePtau(power: number, finalPath: string): Promise<string> {
  await mkdir(dirname(finalPath), { recursive: true });
  const tmp = `${finalPath}.${process.pid}-${randomBytes(4).toString("hex")}.tmp`;
  const started = Date.now();
  const log = snarkjsLogger(`ptau ${power}`);
  try {
    const curve = await snarkjs.curves.getCurveFromName("bn128");
    progress(`phase 1, power ${power}: new accumulator`);
    await snarkjs.powersOfTau.newAccumulator(curve, power, `${tmp}.0`, log);
    progress(`phase 1, power ${power}: development beacon`);
    await snarkjs.powersOfTau.beacon(
      `${tmp}.0`,
      `${tmp}.1`,
      "circular-fl development-only beacon",
      DEV_BEACON_HASH,
      DEV_BEACON_ITERATIONS_EXP,
      log,
    );
    progress(`phase 1, power ${power}: prepare phase 2 (slow: minutes)`);
    await snarkjs.powersOfTau.preparePhase2(`${tmp}.1`, tmp, log);
    await rename(tmp, finalPath);
    progress(`phase 1, power ${power}: done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return finalPath;
  } finally {
    await rm(`${tmp}.0`, { force: true });
    await rm(`${tmp}.1`, { force: true });
    await rm(tmp, { force: true });
  }
}
