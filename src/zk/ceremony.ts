import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import * as snarkjs from "snarkjs";
import { vkeyHash as hashVkey } from "./canonical.js";
import { ZkCeremonyError } from "./errors.js";
import { ensureInstanceBuilt } from "./setup/build.js";
import { findInstance, verifierContractName } from "./setup/instances.js";
import { progress } from "./setup/log.js";
import { renderVerifier } from "./setup/verifier.js";
import { ensurePreparedPtau } from "./setup/ptau.js";
import type { SnarkjsLogger } from "snarkjs";

/**
 * Multi-party phase 2 for one circuit instance, so that no member has to trust whoever ran the setup: the
 * keys are sound as long as ONE contributor destroyed their randomness. Phase 1 is still the local
 * development ptau (nothing can be downloaded here); a production deployment swaps in a public phase-1
 * transcript of the same power.
 *
 *   init -> contribute (each member, in turn) -> verify (anyone, any time) -> finalize (public beacon)
 */

export interface ContributionRecord {
  /** 1-based position in the transcript. */
  readonly index: number;
  readonly name: string;
  /** blake2b-512 contribution hash, hex; each contributor checks their own appears. */
  readonly hash: string;
  readonly beacon: boolean;
}

export interface CeremonyVerification {
  readonly ok: boolean;
  readonly contributions: ContributionRecord[];
  /** The verifier's error lines when ok is false. */
  readonly errors: string[];
}

function requireFile(path: string, what: string): void {
  if (!existsSync(path)) throw new ZkCeremonyError(`${what} not found: ${path}`);
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("hex");
}

/** Starts a ceremony: the initial phase-2 key (zkey new) from the instance's r1cs and ptau. */
export async function ceremonyInit({
  instance,
  out,
}: {
  instance: string;
  out: string;
}): Promise<{ zkeyPath: string }> {
  const entry = await findInstance({ instance });
  const build = await ensureInstanceBuilt({ instance: entry });
  await ensurePreparedPtau({ power: entry.ptauPower });
  await mkdir(dirname(out), { recursive: true });
  progress(`ceremony ${instance}: initial key from ${build.r1csPath}`);
  await snarkjs.zKey.newZKey(build.r1csPath, build.ptauPath, out);
  return { zkeyPath: out };
}

/**
 * Adds one contribution. Entropy defaults to 64 fresh random bytes; snarkjs also mixes in its own OS
 * randomness, so a contribution can never be replayed from its inputs.
 */
export async function ceremonyContribute({
  input,
  out,
  name,
  entropy,
}: {
  input: string;
  out: string;
  name: string;
  entropy?: string;
}): Promise<{ zkeyPath: string; contributionHash: string }> {
  if (name.trim() === "") throw new ZkCeremonyError("a contribution needs a contributor name");
  requireFile(input, "input zkey");
  await mkdir(dirname(out), { recursive: true });
  const hash = await snarkjs.zKey.contribute(input, out, name, entropy ?? randomBytes(64).toString("hex"));
  if (!(hash instanceof Uint8Array))
    throw new ZkCeremonyError(`contribution by ${name} failed: ${input} is not a valid zkey`);
  progress(`ceremony: ${name} contributed ${hex(hash)}`);
  return { zkeyPath: out, contributionHash: hex(hash) };
}

/** Captures snarkjs's verification log, which is the only place it reports the contribution list. */
function capturingLogger(): { logger: SnarkjsLogger; infos: string[]; errors: string[] } {
  const infos: string[] = [];
  const errors: string[] = [];
  return {
    infos,
    errors,
    logger: {
      debug: () => undefined,
      info: (m) => infos.push(m),
      warn: (m) => errors.push(m),
      error: (m) => errors.push(m),
    },
  };
}

function parseContributions(infos: readonly string[]): ContributionRecord[] {
  const records: ContributionRecord[] = [];
  for (let i = 0; i < infos.length; i++) {
    const m = /^contribution #(\d+) ?(.*?):\n([\s0-9a-f]+)$/.exec(infos[i]!);
    if (m === null) continue;
    const beacon = (infos[i + 1] ?? "").startsWith("Beacon generator:");
    records.push({ index: Number(m[1]), name: m[2] ?? "", hash: m[3]!.replace(/\s+/g, ""), beacon });
  }
  return records.sort((a, b) => a.index - b.index);
}

/**
 * Checks a ceremony key against the instance's r1cs and ptau (every contribution's proof of knowledge and
 * the whole key's consistency) and lists the contributions.
 */
export async function ceremonyVerify({
  instance,
  zkeyPath,
}: {
  instance: string;
  zkeyPath: string;
}): Promise<CeremonyVerification> {
  requireFile(zkeyPath, "zkey");
  const entry = await findInstance({ instance });
  const build = await ensureInstanceBuilt({ instance: entry });
  await ensurePreparedPtau({ power: entry.ptauPower });
  const { logger, infos, errors } = capturingLogger();
  let ok: boolean;
  try {
    ok = await snarkjs.zKey.verifyFromR1cs(build.r1csPath, build.ptauPath, zkeyPath, logger);
  } catch (err) {
    // A corrupted file can make snarkjs throw while parsing rather than return false.
    errors.push(err instanceof Error ? err.message : String(err));
    ok = false;
  }
  return { ok, contributions: ok ? parseContributions(infos) : [], errors };
}

/**
 * Closes the ceremony: verifies the transcript, applies a public beacon (e.g. a future block hash, announced
 * in advance), exports the verifying key and the Solidity verifier. The returned vkeyHash goes into the task
 * policy so members and the contract agree on which keys are in force.
 */
export async function ceremonyFinalize({
  instance,
  input,
  out,
  beaconHash,
  beaconIterationsExp = 10,
  vkeyOut,
  verifierOut,
}: {
  instance: string;
  input: string;
  out: string;
  beaconHash: string;
  beaconIterationsExp?: number;
  vkeyOut?: string;
  verifierOut?: string;
}): Promise<{ zkeyPath: string; vkey: Record<string, unknown>; vkeyHash: string; verifierSource: string }> {
  if (!/^([0-9a-fA-F]{2}){1,255}$/.test(beaconHash)) {
    throw new ZkCeremonyError(
      "beacon hash must be a non-empty even-length hex string (no 0x), at most 255 bytes",
    );
  }
  const before = await ceremonyVerify({ instance, zkeyPath: input });
  if (!before.ok)
    throw new ZkCeremonyError(
      `refusing to finalize: ${input} fails verification (${before.errors.join("; ")})`,
    );
  const tmp = `${out}.${process.pid}.tmp`;
  await mkdir(dirname(out), { recursive: true });
  const result = await snarkjs.zKey.beacon(input, tmp, "final beacon", beaconHash, beaconIterationsExp);
  if (result === false) throw new ZkCeremonyError("snarkjs rejected the beacon parameters");
  await rename(tmp, out).catch(async (err: unknown) => {
    await rm(tmp, { force: true });
    throw err;
  });
  const vkey = await snarkjs.zKey.exportVerificationKey(out);
  const vkeyHash = hashVkey(vkey);
  const verifierSource = await renderVerifier({
    zkeyPath: out,
    contractName: verifierContractName(instance),
    headerLines: [
      `GENERATED by cfl zk ceremony finalize for circuit instance "${instance}". DO NOT EDIT.`,
      `Multi-party phase 2 (${before.contributions.length} contributions, final beacon ${beaconHash}).`,
      `Verifying-key hash (record in the task policy): ${vkeyHash}`,
      "Public inputs: [commitment, context, bounds].",
    ],
  });
  if (vkeyOut !== undefined) await writeFile(vkeyOut, `${JSON.stringify(vkey, null, 2)}\n`);
  if (verifierOut !== undefined) await writeFile(verifierOut, verifierSource);
  return { zkeyPath: out, vkey, vkeyHash, verifierSource };
}
