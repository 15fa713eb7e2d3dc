import { createHash, randomBytes } from "node:crypto";
import { createReadStream, existsSync } from "node:fs";
import { copyFile, mkdir, open, rename, rm, type FileHandle } from "node:fs/promises";
import { dirname } from "node:path";
import * as snarkjs from "snarkjs";
import { ZkSetupError } from "../errors.js";
import { snarkInput } from "../snark-input.js";
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
/** Name snarkjs records for the development beacon contribution. */
export const DEV_BEACON_NAME = "circular-fl development-only beacon";

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
      DEV_BEACON_NAME,
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

// ---------------------------------------------------------------------------------------------------------
// Phase-1 files from elsewhere: a multi-party transcript (Perpetual Powers of Tau) for a ceremony.
// ---------------------------------------------------------------------------------------------------------

/** BN254 base-field order, the `q` a bn128 ptau header records. */
const BN254_Q = 21888242871839275222246405745257275088696311157297823662689037894645226208583n;
/** Montgomery radix inverse for BN254's base field (R = 2^256): coordinates are stored as x*R mod q. */
const BN254_Q_R_INV = modInverse((1n << 256n) % BN254_Q, BN254_Q);

function modInverse(a: bigint, m: bigint): bigint {
  let [oldR, r] = [((a % m) + m) % m, m];
  let [oldS, s] = [1n, 0n];
  while (r !== 0n) {
    const q = oldR / r;
    [oldR, r] = [r, oldR - q * r];
    [oldS, s] = [s, oldS - q * s];
  }
  if (oldR !== 1n) throw new ZkSetupError("internal: value not invertible");
  return ((oldS % m) + m) % m;
}

/** One phase-1 contribution as recorded in a ptau file's contributions section. */
export interface Phase1Contribution {
  /** 1-based position. */
  readonly index: number;
  /** As recorded (unauthenticated, may hold any characters: escape before printing). */
  readonly name: string;
  /** A beacon contribution: its key is derived from a public value, so it adds no secret. */
  readonly beacon: boolean;
  /** Beacon value, hex (beacon contributions only). */
  readonly beaconHash?: string;
  readonly beaconIterationsExp?: number;
  /** τ·G1, α·G1, β·G1 after this contribution (affine, integers). */
  readonly tauG1: readonly [bigint, bigint];
  readonly alphaG1: readonly [bigint, bigint];
  readonly betaG1: readonly [bigint, bigint];
}

export interface PtauInfo {
  readonly path: string;
  /** Powers available in this file (2^power points). */
  readonly power: number;
  /** Power of the ceremony the file came from (greater than `power` for a truncated file). */
  readonly ceremonyPower: number;
  /** Has the Lagrange-basis sections phase 2 needs (snarkjs `powersoftau prepare phase2`). */
  readonly prepared: boolean;
  readonly contributions: readonly Phase1Contribution[];
  /**
   * Every contribution is a beacon (or there is none): τ, α and β follow from public values, so anyone can
   * forge proofs for keys built on this file. Only ever acceptable for development.
   */
  readonly publicSecrets: boolean;
  /** This is circular-fl's own development file (one beacon contribution with DEV_BEACON_HASH). */
  readonly developmentFile: boolean;
}

interface BinSection {
  readonly offset: number;
  readonly size: number;
}

/** Reads the section table of a snarkjs binary file (magic, version, then type/size/data records). */
async function readSections(
  handle: FileHandle,
  path: string,
  magic: string,
): Promise<Map<number, BinSection[]>> {
  const head = Buffer.alloc(12);
  const { bytesRead } = await handle.read(head, 0, 12, 0);
  if (bytesRead < 12 || head.toString("latin1", 0, 4) !== magic) {
    throw new ZkSetupError(`${path} is not a snarkjs ${magic} file`);
  }
  const count = head.readUInt32LE(8);
  const { size: fileSize } = await handle.stat();
  const sections = new Map<number, BinSection[]>();
  let pos = 12;
  const rec = Buffer.alloc(12);
  for (let i = 0; i < count; i++) {
    const got = await handle.read(rec, 0, 12, pos);
    if (got.bytesRead < 12) throw new ZkSetupError(`${path}: truncated section table`);
    const type = rec.readUInt32LE(0);
    const size = Number(rec.readBigUInt64LE(4));
    pos += 12;
    if (pos + size > fileSize)
      throw new ZkSetupError(`${path}: section ${type} runs past the end of the file`);
    const list = sections.get(type) ?? [];
    list.push({ offset: pos, size });
    sections.set(type, list);
    pos += size;
  }
  return sections;
}

async function readSection(
  handle: FileHandle,
  path: string,
  sections: Map<number, BinSection[]>,
  type: number,
): Promise<Buffer> {
  const list = sections.get(type);
  if (list === undefined || list.length !== 1) {
    throw new ZkSetupError(`${path}: expected exactly one section ${type}`);
  }
  const { offset, size } = list[0]!;
  const buf = Buffer.alloc(size);
  await handle.read(buf, 0, size, offset);
  return buf;
}

function g1FromLem(buf: Buffer, at: number): readonly [bigint, bigint] {
  const coord = (o: number): bigint => {
    const le = Buffer.from(buf.subarray(o, o + 32)).reverse();
    const mont = BigInt(`0x${le.toString("hex")}`);
    return (mont * BN254_Q_R_INV) % BN254_Q;
  };
  return [coord(at), coord(at + 32)];
}

/**
 * Header and contribution record of a phase-1 (ptau) file, read directly (snarkjs exposes no reader).
 * Layout per contribution: τG1, τG2, αG1, βG1, βG2, the contributor's public key (6 G1 + 3 G2 points), a
 * 216-byte partial hash, the 64-byte next challenge, the type (1 = beacon) and tagged parameters.
 */
export async function readPtauInfo({ path }: { path: string }): Promise<PtauInfo> {
  if (!existsSync(path)) throw new ZkSetupError(`phase-1 file not found: ${path}`);
  const handle = await open(path, "r");
  try {
    const sections = await readSections(handle, path, "ptau");
    const header = await readSection(handle, path, sections, 1);
    const n8 = header.readUInt32LE(0);
    const q = BigInt(
      `0x${Buffer.from(header.subarray(4, 4 + n8))
        .reverse()
        .toString("hex")}`,
    );
    if (n8 !== 32 || q !== BN254_Q) throw new ZkSetupError(`${path} is not a bn128 (BN254) phase-1 file`);
    const power = header.readUInt32LE(4 + n8);
    const ceremonyPower = header.readUInt32LE(8 + n8);
    const body = await readSection(handle, path, sections, 7);
    const contributions: Phase1Contribution[] = [];
    const n = body.readUInt32LE(0);
    let pos = 4;
    const fixed = 64 + 128 + 64 + 64 + 128 + (6 * 64 + 3 * 128) + 216 + 64;
    for (let i = 0; i < n; i++) {
      if (pos + fixed + 8 > body.length) throw new ZkSetupError(`${path}: truncated contributions section`);
      const tauG1 = g1FromLem(body, pos);
      const alphaG1 = g1FromLem(body, pos + 64 + 128);
      const betaG1 = g1FromLem(body, pos + 64 + 128 + 64);
      pos += fixed;
      const type = body.readUInt32LE(pos);
      const paramLength = body.readUInt32LE(pos + 4);
      pos += 8;
      const end = pos + paramLength;
      if (end > body.length) throw new ZkSetupError(`${path}: truncated contribution parameters`);
      let name = "";
      let beaconHash: string | undefined;
      let beaconIterationsExp: number | undefined;
      while (pos < end) {
        const tag = body[pos]!;
        if (tag === 1) {
          const len = body[pos + 1]!;
          name = body.toString("utf8", pos + 2, pos + 2 + len);
          pos += 2 + len;
        } else if (tag === 2) {
          beaconIterationsExp = body[pos + 1]!;
          pos += 2;
        } else if (tag === 3) {
          const len = body[pos + 1]!;
          beaconHash = body.toString("hex", pos + 2, pos + 2 + len);
          pos += 2 + len;
        } else {
          throw new ZkSetupError(`${path}: unknown contribution parameter ${tag}`);
        }
      }
      if (pos !== end) throw new ZkSetupError(`${path}: malformed contribution parameters`);
      contributions.push({
        index: i + 1,
        name,
        beacon: type === 1,
        ...(beaconHash !== undefined ? { beaconHash } : {}),
        ...(beaconIterationsExp !== undefined ? { beaconIterationsExp } : {}),
        tauG1,
        alphaG1,
        betaG1,
      });
    }
    const prepared = [12, 13, 14, 15].every((s) => sections.has(s));
    const developmentFile =
      contributions.length === 1 &&
      contributions[0]!.beacon &&
      contributions[0]!.beaconHash === DEV_BEACON_HASH &&
      contributions[0]!.beaconIterationsExp === DEV_BEACON_ITERATIONS_EXP;
    return {
      path,
      power,
      ceremonyPower,
      prepared,
      contributions,
      publicSecrets: contributions.every((c) => c.beacon),
      developmentFile,
    };
  } finally {
    await handle.close();
  }
}

export async function sha256File(path: string): Promise<string> {
  return (await fileDigests({ path })).sha256;
}

/**
 * sha256 and blake2b-512 of a file, hex. blake2b-512 (`b2sum`) is what the Perpetual Powers of Tau list
 * publishes for each `powersOfTau28_hez_final_NN.ptau`.
 */
export async function fileDigests({
  path,
}: {
  path: string;
}): Promise<{ sha256: string; blake2b512: string }> {
  const sha = createHash("sha256");
  const blake = createHash("blake2b512");
  for await (const chunk of createReadStream(path)) {
    sha.update(chunk as Buffer);
    blake.update(chunk as Buffer);
  }
  return { sha256: sha.digest("hex"), blake2b512: blake.digest("hex") };
}

/**
 * The cheap checks of a phase-1 file, before anything is written or verified: BN254, power at least
 * `minPower`, and secrets not public (beacon-only or contribution-less files) unless `development`.
 */
export async function inspectPhase1({
  source,
  minPower,
  development = false,
}: {
  source: string;
  minPower: number;
  development?: boolean;
}): Promise<PtauInfo> {
  if (!Number.isInteger(minPower) || minPower < 1) throw new ZkSetupError(`bad minimum power ${minPower}`);
  const info = await readPtauInfo({ path: source });
  if (info.power < minPower) {
    throw new ZkSetupError(
      `phase-1 file ${source} has power ${info.power}; this circuit needs at least ${minPower}`,
    );
  }
  if (info.publicSecrets && !development) {
    throw new ZkSetupError(
      info.developmentFile
        ? `${source} is circular-fl's development phase-1 file: its secrets follow from a public beacon, so ` +
            "anyone can forge proofs for keys built on it. Use a multi-party file (Perpetual Powers of Tau), " +
            "or pass --development for a development-only ceremony"
        : `${source} has ${info.contributions.length === 0 ? "no contribution" : "only beacon contributions"}: ` +
            "its secrets are public. Use a multi-party file, or pass --development for a development-only ceremony",
    );
  }
  return info;
}

/** What importPhase1 found and wrote. */
export interface Phase1Import {
  readonly path: string;
  readonly sha256: string;
  /** blake2b-512 of the file used: compare it with the published hash of a Perpetual Powers of Tau file. */
  readonly blake2b512: string;
  readonly info: PtauInfo;
}

/**
 * Takes a phase-1 file for a ceremony: checks it is BN254 and large enough, refuses a file whose secrets
 * are public (the development file, any beacon-only or contribution-less file) unless `development`,
 * prepares it for phase 2 when needed, writes the prepared file to `out`, and verifies that file with
 * snarkjs (`powersOfTau.verify`: every contribution's proof of knowledge, the powers, the Lagrange
 * sections). Nothing is written to `out` unless every check passed.
 */
export async function importPhase1({
  source,
  minPower,
  out,
  development = false,
}: {
  source: string;
  minPower: number;
  out: string;
  development?: boolean;
}): Promise<Phase1Import> {
  const info = await inspectPhase1({ source, minPower, development });
  await mkdir(dirname(out), { recursive: true });
  const tmp = `${out}.${process.pid}-${randomBytes(4).toString("hex")}.tmp`;
  try {
    if (info.prepared) {
      await copyFile(source, tmp);
    } else {
      progress(`phase 1: preparing ${source} for phase 2 (slow: minutes)`);
      await snarkjs.powersOfTau.preparePhase2(source, tmp, snarkjsLogger("prepare phase 2"));
    }
    const errors: string[] = [];
    progress(`phase 1: verifying ${info.contributions.length} contributions and the powers (snarkjs)`);
    // As bytes where it fits: given a name, verify leaves the file open when it fails (see ../snark-input.ts).
    const ok = await snarkjs.powersOfTau.verify(await snarkInput({ path: tmp, type: "ptau" }), {
      debug: () => undefined,
      info: () => undefined,
      warn: (m) => errors.push(m),
      error: (m) => errors.push(m),
    });
    if (!ok) {
      throw new ZkSetupError(
        `phase-1 file ${source} fails verification: ${errors.join("; ") || "invalid file"}`,
      );
    }
    await rename(tmp, out);
  } finally {
    await rm(tmp, { force: true });
  }
  const final = await readPtauInfo({ path: out });
  return { path: out, ...(await fileDigests({ path: out })), info: final };
}
