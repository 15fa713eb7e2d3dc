import { createHash, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, readFile, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getAddress, isAddress, verifyMessage } from "ethers";
import * as snarkjs from "snarkjs";
import { z } from "zod";
import { canonicalJson, vkeyHash as hashVkey } from "./canonical.js";
import { ZkCeremonyError, ZkSetupError } from "./errors.js";
import { circuitHash as hashCircuit, compileInstance } from "./setup/build.js";
import { findInstance, verifierContractName } from "./setup/instances.js";
import { progress } from "./setup/log.js";
import {
  ensurePreparedPtau,
  fileDigests,
  importPhase1,
  inspectPhase1,
  readPtauInfo,
  sha256File,
} from "./setup/ptau.js";
import { renderVerifier } from "./setup/verifier.js";
import { exportVerificationKey, snarkInput } from "./snark-input.js";
import type { SnarkjsLogger } from "snarkjs";

/**
 * Multi-party phase 2 for one circuit instance. The keys are sound as long as ONE phase-1 contributor and
 * ONE phase-2 contributor destroyed their randomness, so:
 *
 * - phase 1 comes from an existing multi-party file (`ptau`, e.g. Perpetual Powers of Tau), verified with
 *   snarkjs; the development file (secrets derivable from a public beacon) only with `development`, and
 *   then every output says `developmentOnly: true`;
 * - the ordered list of expected contributors (consortium accounts) is fixed at init and, with everything
 *   else init decides, hashed into the ceremony id; each contributor signs (EIP-191) the id, its position,
 *   the previous and new key hashes, its contribution hash and its name, so a coordinator can neither
 *   substitute, drop, add nor reorder contributions;
 * - the final beacon is the hash of a block of the consortium's chain whose number was fixed at init,
 *   before it was mined (every contributor refuses to contribute once it exists).
 *
 *   init -> contribute (each expected account, in order) -> verify (anyone, any time) -> finalize
 *
 * Everything lives in one directory: ceremony.json (the state), phase1.ptau, circuit.r1cs, zkeys/NNNN.zkey
 * and, after finalize, final.zkey, vkey.json, the Solidity verifier and ceremony-result.json.
 */

export const CEREMONY_FORMAT = "cfl-ceremony/1";
export const CEREMONY_RESULT_FORMAT = "cfl-ceremony-result/1";
/** 2^20 chained sha256 of the block hash (snarkjs beacon): about a second, recomputed by every verifier. */
export const DEFAULT_BEACON_ITERATIONS_EXP = 20;
/** Iterations of a raw development beacon. */
export const DEVELOPMENT_BEACON_ITERATIONS_EXP = 10;
/** snarkjs stores at most 64 characters of a name, with a one-byte length: keep names within 64 bytes. */
export const MAX_NAME_BYTES = 64;

const STATE_FILE = "ceremony.json";
const PHASE1_FILE = "phase1.ptau";
const R1CS_FILE = "circuit.r1cs";
const FINAL_ZKEY = "final.zkey";
const VKEY_FILE = "vkey.json";
const RESULT_FILE = "ceremony-result.json";

const hex64 = z.string().regex(/^[0-9a-f]{64}$/);
const hex128 = z.string().regex(/^[0-9a-f]{128}$/);
const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/);

const blockBeaconSchema = z.strictObject({
  source: z.literal("block"),
  chainId: z.string().regex(/^\d+$/),
  blockNumber: z.number().int().positive(),
  /** Latest block when init recorded blockNumber: blockNumber is above it, so it was not mined yet. */
  committedAtBlock: z.number().int().nonnegative(),
  iterationsExp: z.number().int().min(10).max(32),
});

const initSchema = z.strictObject({
  format: z.literal(CEREMONY_FORMAT),
  instance: z.string(),
  circuitHash: hex64,
  r1csSha256: hex64,
  phase1: z.strictObject({
    sha256: hex64,
    blake2b512: hex128,
    power: z.number().int(),
    ceremonyPower: z.number().int(),
    contributions: z.array(z.strictObject({ name: z.string(), beacon: z.boolean() })),
    publicSecrets: z.boolean(),
    developmentFile: z.boolean(),
  }),
  initialZkeySha256: hex64,
  contributors: z.array(address).min(1),
  beacon: blockBeaconSchema.nullable(),
  developmentOnly: z.boolean(),
});

const entrySchema = z.strictObject({
  index: z.number().int().positive(),
  name: z.string(),
  address,
  previousZkeySha256: hex64,
  zkeySha256: hex64,
  contributionHash: hex128,
  signature: z.string().regex(/^0x[0-9a-fA-F]{130}$/),
});

const finalBeaconSchema = z.discriminatedUnion("source", [
  z.strictObject({
    source: z.literal("block"),
    chainId: z.string(),
    blockNumber: z.number().int().positive(),
    blockHash: hex64,
    iterationsExp: z.number().int(),
  }),
  z.strictObject({ source: z.literal("raw"), hash: hex64, iterationsExp: z.number().int() }),
]);

const stateSchema = z.strictObject({
  id: z.string().regex(/^0x[0-9a-f]{64}$/),
  init: initSchema,
  contributions: z.array(entrySchema),
  final: z
    .strictObject({
      zkeySha256: hex64,
      beacon: finalBeaconSchema,
      vkeyHash: z.string(),
      developmentOnly: z.boolean(),
    })
    .nullable(),
});

export type CeremonyInit = z.infer<typeof initSchema>;
export type CeremonyEntry = z.infer<typeof entrySchema>;
export type CeremonyState = z.infer<typeof stateSchema>;
export type FinalBeacon = z.infer<typeof finalBeaconSchema>;

/** The chain calls the ceremony needs (an ethers Provider, a Hardhat provider). */
export interface BeaconChain {
  getBlockNumber(): Promise<number>;
  getNetwork(): Promise<{ chainId: bigint }>;
  getBlock(blockNumber: number): Promise<{ hash: string | null } | null>;
}

/** The contributor's consortium account (an ethers Wallet / Signer). */
export interface ContributorSigner {
  getAddress(): Promise<string>;
  signMessage(message: string): Promise<string>;
}

/** One contribution as `verify` reports it. */
export interface ContributionRecord {
  /** 1-based position in the transcript. */
  readonly index: number;
  /** As recorded: print it with `displayText`, never raw. */
  readonly name: string;
  /** The expected contributor whose signature was checked. */
  readonly address: string;
  /** blake2b-512 contribution hash, hex; each contributor checks their own appears. */
  readonly hash: string;
}

export interface CeremonyVerification {
  readonly ok: boolean;
  readonly id: string;
  readonly instance: string;
  readonly developmentOnly: boolean;
  readonly contributors: readonly string[];
  readonly phase1: CeremonyInit["phase1"] & { readonly verified: boolean };
  readonly contributions: ContributionRecord[];
  /** Every expected contribution is in. */
  readonly complete: boolean;
  readonly beacon: CeremonyInit["beacon"];
  readonly final: CeremonyState["final"];
  /** What failed, when ok is false. Names inside are already escaped. */
  readonly errors: string[];
}

// ------------------------------------------------------------------------------------------------ helpers

/**
 * Text from a transcript for a terminal or a log: JSON string syntax, so control characters, ANSI escape
 * sequences, C1 controls, bidirectional overrides and line separators appear as \uXXXX, never raw.
 */
export function displayText(text: string): string {
  return JSON.stringify(text).replace(
    /[\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

function zkeyName(index: number): string {
  return join("zkeys", `${String(index).padStart(4, "0")}.zkey`);
}

function sha256Hex(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** The ceremony id: sha256 over the canonical JSON of everything init decided. */
export function ceremonyId(init: CeremonyInit): string {
  return `0x${sha256Hex(canonicalJson(init))}`;
}

/** The text each contributor signs (EIP-191 personal_sign); one field per line, the name JSON-escaped. */
export function contributionMessage({
  id,
  instance,
  index,
  total,
  previousZkeySha256,
  zkeySha256,
  contributionHash,
  name,
}: {
  id: string;
  instance: string;
  index: number;
  total: number;
  previousZkeySha256: string;
  zkeySha256: string;
  contributionHash: string;
  name: string;
}): string {
  return [
    "circular-fl phase-2 ceremony contribution",
    `ceremony: ${id}`,
    `instance: ${instance}`,
    `contribution: ${index} of ${total}`,
    `previous zkey sha256: ${previousZkeySha256}`,
    `new zkey sha256: ${zkeySha256}`,
    `contribution hash: ${contributionHash}`,
    `name: ${displayText(name)}`,
  ].join("\n");
}

function checkName(name: string): void {
  if (typeof name !== "string" || name.trim() === "") {
    throw new ZkCeremonyError("a contribution needs a contributor name");
  }
  if (Buffer.byteLength(name, "utf8") > MAX_NAME_BYTES) {
    throw new ZkCeremonyError(`contributor name must be at most ${MAX_NAME_BYTES} bytes of UTF-8`);
  }
}

function parseContributors(list: readonly string[]): string[] {
  if (!Array.isArray(list) || list.length === 0) {
    throw new ZkCeremonyError("the ceremony needs the ordered list of expected contributor addresses");
  }
  const out = list.map((a) => {
    if (typeof a !== "string" || !isAddress(a.trim())) {
      throw new ZkCeremonyError(`not an Ethereum address in the contributor list: ${displayText(String(a))}`);
    }
    return getAddress(a.trim());
  });
  const dup = out.find((a, i) => out.indexOf(a) !== i);
  if (dup !== undefined) throw new ZkCeremonyError(`contributor ${dup} is listed twice`);
  return out;
}

async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  const tmp = `${path}.${process.pid}-${randomBytes(4).toString("hex")}.tmp`;
  await writeFile(tmp, `${JSON.stringify(value, null, 2)}\n`);
  await rename(tmp, path);
}

/** Reads and validates `<dir>/ceremony.json` (shape only; `ceremonyVerify` checks what it claims). */
export async function readCeremonyState({ dir }: { dir: string }): Promise<CeremonyState> {
  const path = join(dir, STATE_FILE);
  if (!existsSync(path)) throw new ZkCeremonyError(`no ceremony in ${dir} (${STATE_FILE} not found)`);
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path, "utf8"));
  } catch (err) {
    throw new ZkCeremonyError(`${path} is not valid JSON: ${(err as Error).message}`);
  }
  const parsed = stateSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ZkCeremonyError(
      `${path} is not a ${CEREMONY_FORMAT} state: ${issue ? `${issue.path.join(".") || "(top)"}: ${issue.message}` : "invalid"}`,
    );
  }
  return parsed.data;
}

/** Compiles the instance's r1cs from the sources in this repository into a fresh temporary directory. */
async function freshR1cs(
  instance: string,
): Promise<{ r1csPath: string; sha256: string; cleanup(): Promise<void> }> {
  const entry = await findInstance({ instance });
  const dir = await mkdtemp(join(tmpdir(), "cfl-ceremony-r1cs-"));
  try {
    const { r1csPath } = await compileInstance({ instance: entry, outDir: dir });
    return {
      r1csPath,
      sha256: await sha256File(r1csPath),
      cleanup: () => rm(dir, { recursive: true, force: true }),
    };
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

interface EmbeddedContribution {
  readonly index: number;
  readonly name: string;
  readonly hash: string;
  readonly beaconHash?: string;
  readonly beaconIterationsExp?: number;
}

/** snarkjs reports the contributions of a key only in its verification log; this reads them back. */
function parseEmbedded(infos: readonly string[]): EmbeddedContribution[] {
  const out: EmbeddedContribution[] = [];
  for (let i = 0; i < infos.length; i++) {
    const m = /^contribution #(\d+) /.exec(infos[i]!);
    if (m === null) continue;
    const text = infos[i]!;
    // The hash block (hex and whitespace only) follows the LAST ":\n"; the name may contain anything.
    const split = text.lastIndexOf(":\n");
    if (split < 0) continue;
    const hash = text.slice(split + 2).replace(/\s+/g, "");
    if (!/^[0-9a-f]{128}$/.test(hash)) continue;
    const beacon = /^Beacon generator: ([0-9a-f]*)$/.exec(infos[i + 1] ?? "");
    const exp = /^Beacon iterations Exp: (\d+)$/.exec(infos[i + 2] ?? "");
    out.push({
      index: Number(m[1]),
      name: text.slice(m[0].length, split),
      hash,
      ...(beacon !== null ? { beaconHash: beacon[1]! } : {}),
      ...(beacon !== null && exp !== null ? { beaconIterationsExp: Number(exp[1]) } : {}),
    });
  }
  // snarkjs logs the newest contribution first.
  return out.sort((a, b) => a.index - b.index);
}

/** snarkjs verifyFromInit with its log captured: the key's embedded contributions, or the failure. */
async function verifyZkey({
  initPath,
  ptauPath,
  zkeyPath,
}: {
  initPath: string;
  ptauPath: string;
  zkeyPath: string;
}): Promise<{ ok: boolean; embedded: EmbeddedContribution[]; errors: string[] }> {
  const infos: string[] = [];
  const errors: string[] = [];
  const logger: SnarkjsLogger = {
    debug: () => undefined,
    info: (m) => infos.push(m),
    warn: (m) => errors.push(m),
    error: (m) => errors.push(m),
  };
  let ok: boolean;
  try {
    // As bytes: given the phase-1 file by name, verifyFromInit leaves it open (see ./snark-input.ts).
    ok = await snarkjs.zKey.verifyFromInit(
      await snarkInput({ path: initPath, type: "zkey" }),
      await snarkInput({ path: ptauPath, type: "ptau" }),
      await snarkInput({ path: zkeyPath, type: "zkey" }),
      logger,
    );
  } catch (err) {
    errors.push(err instanceof Error ? err.message : String(err));
    ok = false;
  }
  return { ok, embedded: ok ? parseEmbedded(infos) : [], errors };
}

// ------------------------------------------------------------------------------------------------- init

/** What `ceremonyInit` (and its input checks) take. */
export interface CeremonyInitOptions {
  instance: string;
  dir: string;
  contributors: readonly string[];
  /** Multi-party phase-1 file (prepared or not); the development file only with `development`. */
  ptau?: string;
  development?: boolean;
  /** Block of the chain whose hash will be the final beacon; required unless `development`. */
  beaconBlock?: number;
  beaconIterationsExp?: number;
}

/**
 * Everything `ceremonyInit` checks before touching the chain or writing anything: contributor list, beacon
 * parameters, phase-1 file (power, public secrets), a free directory. The CLI runs it before connecting.
 */
export async function checkInitInputs({
  instance,
  dir,
  contributors,
  ptau,
  development = false,
  beaconBlock,
  beaconIterationsExp = DEFAULT_BEACON_ITERATIONS_EXP,
  chainGiven = true,
}: CeremonyInitOptions & {
  /** Whether a chain will be available (the CLI connects only after these checks). */
  chainGiven?: boolean;
}): Promise<{ list: string[]; entry: Awaited<ReturnType<typeof findInstance>> }> {
  if (typeof dir !== "string" || dir === "") throw new ZkCeremonyError("a ceremony directory is required");
  const list = parseContributors(contributors);
  if (beaconBlock !== undefined && (!Number.isSafeInteger(beaconBlock) || beaconBlock <= 0)) {
    throw new ZkCeremonyError("the beacon block must be a positive block number");
  }
  if (!Number.isInteger(beaconIterationsExp) || beaconIterationsExp < 10 || beaconIterationsExp > 32) {
    throw new ZkCeremonyError("beacon iterations exponent must be an integer in [10, 32]");
  }
  if (!development) {
    if (ptau === undefined) {
      throw new ZkCeremonyError(
        "a phase-1 file is required (--ptau FILE, e.g. a Perpetual Powers of Tau file); the development " +
          "phase 1 only with --development",
      );
    }
    if (beaconBlock === undefined) {
      throw new ZkCeremonyError(
        "the final beacon block must be fixed now (--beacon-block N, a future block of the consortium's chain)",
      );
    }
  }
  if (beaconBlock !== undefined && !chainGiven) {
    throw new ZkCeremonyError("a beacon block needs the chain (rpcUrl) to check it is not mined yet");
  }
  const entry = await findInstance({ instance });
  if (ptau !== undefined) {
    try {
      await inspectPhase1({ source: ptau, minPower: entry.ptauPower, development });
    } catch (err) {
      if (err instanceof ZkSetupError) throw new ZkCeremonyError(err.message);
      throw err;
    }
  }
  if (existsSync(join(dir, STATE_FILE))) {
    throw new ZkCeremonyError(`${dir} already holds a ceremony (${STATE_FILE}); use a new directory`);
  }

  return { list, entry };
}

/**
 * Starts a ceremony in `dir`: takes phase 1 (verified; refused when its secrets are public unless
 * `development`), compiles the r1cs, writes the initial key, fixes the contributor list and the beacon
 * block (which must not be mined yet), and derives the ceremony id.
 */
export async function ceremonyInit({
  instance,
  dir,
  contributors,
  ptau,
  development = false,
  beaconBlock,
  beaconIterationsExp = DEFAULT_BEACON_ITERATIONS_EXP,
  chain,
}: CeremonyInitOptions & { chain?: BeaconChain }): Promise<{
  id: string;
  dir: string;
  state: CeremonyState;
}> {
  const { list, entry } = await checkInitInputs({
    instance,
    dir,
    contributors,
    development,
    beaconIterationsExp,
    ...(ptau !== undefined ? { ptau } : {}),
    ...(beaconBlock !== undefined ? { beaconBlock } : {}),
    chainGiven: chain !== undefined,
  });

  let beacon: CeremonyInit["beacon"] = null;
  if (beaconBlock !== undefined && chain !== undefined) {
    const current = await chain.getBlockNumber();
    if (beaconBlock <= current) {
      throw new ZkCeremonyError(
        `beacon block ${beaconBlock} is not in the future (the chain is at block ${current}): its hash is known`,
      );
    }
    const { chainId } = await chain.getNetwork();
    beacon = {
      source: "block",
      chainId: chainId.toString(),
      blockNumber: beaconBlock,
      committedAtBlock: current,
      iterationsExp: beaconIterationsExp,
    };
  }

  await mkdir(join(dir, "zkeys"), { recursive: true });
  const source = ptau ?? (await ensurePreparedPtau({ power: entry.ptauPower }));
  let phase1;
  try {
    phase1 = await importPhase1({
      source,
      minPower: entry.ptauPower,
      out: join(dir, PHASE1_FILE),
      development,
    });
  } catch (err) {
    if (err instanceof ZkSetupError) throw new ZkCeremonyError(err.message);
    throw err;
  }
  const r1cs = await freshR1cs(instance);
  try {
    await copyFile(r1cs.r1csPath, join(dir, R1CS_FILE));
    progress(`ceremony ${instance}: initial key`);
    await snarkjs.zKey.newZKey(r1cs.r1csPath, phase1.path, join(dir, zkeyName(0)));
  } finally {
    await r1cs.cleanup();
  }
  const init: CeremonyInit = {
    format: CEREMONY_FORMAT,
    instance,
    circuitHash: await hashCircuit({ instance: entry }),
    r1csSha256: r1cs.sha256,
    phase1: {
      sha256: phase1.sha256,
      blake2b512: phase1.blake2b512,
      power: phase1.info.power,
      ceremonyPower: phase1.info.ceremonyPower,
      contributions: phase1.info.contributions.map((c) => ({ name: c.name, beacon: c.beacon })),
      publicSecrets: phase1.info.publicSecrets,
      developmentFile: phase1.info.developmentFile,
    },
    initialZkeySha256: await sha256File(join(dir, zkeyName(0))),
    contributors: list,
    beacon,
    developmentOnly: development || phase1.info.publicSecrets,
  };
  const state: CeremonyState = { id: ceremonyId(init), init, contributions: [], final: null };
  await writeJsonAtomic(join(dir, STATE_FILE), state);
  progress(`ceremony ${state.id} started: ${list.length} contributors expected`);
  return { id: state.id, dir, state };
}

// ------------------------------------------------------------------------------------------- contribute

/**
 * Adds the next contribution, by the next expected account: checks the transcript so far, that the beacon
 * block is not mined yet, contributes fresh randomness (64 random bytes plus `entropy`, plus snarkjs's own),
 * and signs the result with `signer`.
 */
export async function ceremonyContribute({
  dir,
  name,
  signer,
  entropy,
  chain,
}: {
  dir: string;
  name: string;
  signer: ContributorSigner;
  entropy?: string;
  chain?: BeaconChain;
}): Promise<{ index: number; zkeyPath: string; contributionHash: string; entry: CeremonyEntry }> {
  checkName(name);
  if (signer === undefined || typeof signer.signMessage !== "function") {
    throw new ZkCeremonyError("a contribution needs the contributor's account key");
  }
  const state = await readCeremonyState({ dir });
  if (state.final !== null) throw new ZkCeremonyError("the ceremony is finalized; no more contributions");
  const index = state.contributions.length + 1;
  const total = state.init.contributors.length;
  if (index > total) {
    throw new ZkCeremonyError(`all ${total} expected contributions are in; nothing to add`);
  }
  const expected = state.init.contributors[index - 1]!;
  const account = getAddress(await signer.getAddress());
  if (account !== expected) {
    throw new ZkCeremonyError(`contribution #${index} is expected from ${expected}; this key is ${account}`);
  }
  if (state.init.beacon !== null) {
    if (chain === undefined) {
      throw new ZkCeremonyError(
        "this ceremony's beacon is a block: the chain (rpcUrl) is needed to contribute",
      );
    }
    await checkBeaconPending({ beacon: state.init.beacon, chain });
  }
  const before = await ceremonyVerify({ dir, depth: "latest" });
  if (!before.ok) {
    throw new ZkCeremonyError(
      `refusing to contribute on a transcript that fails verification: ${before.errors.join("; ")}`,
    );
  }
  const previous = join(dir, zkeyName(index - 1));
  const out = join(dir, zkeyName(index));
  const tmp = `${out}.${process.pid}-${randomBytes(4).toString("hex")}.tmp`;
  try {
    const mixed = `${randomBytes(64).toString("hex")}${entropy ?? ""}`;
    const hash = await snarkjs.zKey.contribute(previous, tmp, name, mixed);
    if (!(hash instanceof Uint8Array)) {
      throw new ZkCeremonyError(`contribution failed: ${previous} is not a valid zkey`);
    }
    const contributionHash = Buffer.from(hash).toString("hex");
    const zkeySha256 = await sha256File(tmp);
    const previousZkeySha256 =
      index === 1 ? state.init.initialZkeySha256 : state.contributions[index - 2]!.zkeySha256;
    const message = contributionMessage({
      id: state.id,
      instance: state.init.instance,
      index,
      total,
      previousZkeySha256,
      zkeySha256,
      contributionHash,
      name,
    });
    // The contribution took a while: the beacon must still be unknown when it is signed.
    if (state.init.beacon !== null && chain !== undefined) {
      await checkBeaconPending({ beacon: state.init.beacon, chain });
    }
    const signature = await signer.signMessage(message);
    const entry: CeremonyEntry = {
      index,
      name,
      address: account,
      previousZkeySha256,
      zkeySha256,
      contributionHash,
      signature,
    };
    // Another contributor may have written meanwhile: never overwrite their entry.
    const latest = await readCeremonyState({ dir });
    if (latest.contributions.length !== state.contributions.length || latest.id !== state.id) {
      throw new ZkCeremonyError("the ceremony changed while contributing; fetch the latest state and retry");
    }
    await rename(tmp, out);
    await writeJsonAtomic(join(dir, STATE_FILE), {
      ...state,
      contributions: [...state.contributions, entry],
    });
    progress(`ceremony: contribution #${index} by ${account} (${displayText(name)}) ${contributionHash}`);
    return { index, zkeyPath: out, contributionHash, entry };
  } finally {
    await rm(tmp, { force: true });
  }
}

async function checkBeaconPending({
  beacon,
  chain,
}: {
  beacon: NonNullable<CeremonyInit["beacon"]>;
  chain: BeaconChain;
}): Promise<void> {
  await checkChainId({ beacon, chain });
  const current = await chain.getBlockNumber();
  if (current >= beacon.blockNumber) {
    throw new ZkCeremonyError(
      `the beacon block ${beacon.blockNumber} is already mined (chain at ${current}): contributions made ` +
        "after the beacon is known are refused; start a new ceremony with a later beacon block",
    );
  }
}

async function checkChainId({
  beacon,
  chain,
}: {
  beacon: NonNullable<CeremonyInit["beacon"]>;
  chain: BeaconChain;
}): Promise<void> {
  const { chainId } = await chain.getNetwork();
  if (chainId.toString() !== beacon.chainId) {
    throw new ZkCeremonyError(`the beacon is on chain ${beacon.chainId}; the configured chain is ${chainId}`);
  }
}

// ----------------------------------------------------------------------------------------------- verify

/**
 * Checks a ceremony's whole transcript and reports every problem:
 * - the id is the hash of the init record, the contributor list is the expected one (when given);
 * - the r1cs compiled from this repository's sources, the phase-1 file (snarkjs powersOfTau.verify, unless
 *   `depth` is "latest") and the initial key (regenerated with zKey.newZKey) match what init recorded;
 *   a phase 1 with public secrets is only accepted in a development-only ceremony;
 * - contribution k is signed (EIP-191) by contributor k over the ceremony id, k, the previous and new key
 *   hashes, the contribution hash and the name; none is missing, extra or out of order;
 * - every key in the chain (or only the latest one, `depth: "latest"`) passes snarkjs zKey.verifyFromInit
 *   and embeds exactly the signed contributions;
 * - after finalize: the final key adds one beacon contribution with the recorded beacon, and (with
 *   `chain`) the beacon is the hash of the recorded block.
 */
export async function ceremonyVerify({
  dir,
  depth = "full",
  expectedContributors,
  instance,
  chain,
}: {
  dir: string;
  depth?: "full" | "latest";
  expectedContributors?: readonly string[];
  instance?: string;
  chain?: BeaconChain;
}): Promise<CeremonyVerification> {
  const state = await readCeremonyState({ dir });
  const { init } = state;
  const errors: string[] = [];
  const records: ContributionRecord[] = [];
  let phase1Verified = false;
  const report = (): CeremonyVerification => ({
    ok: errors.length === 0,
    id: state.id,
    instance: init.instance,
    developmentOnly: init.developmentOnly || (state.final?.developmentOnly ?? false),
    contributors: init.contributors,
    phase1: { ...init.phase1, verified: phase1Verified },
    contributions: records,
    complete: records.length === init.contributors.length && errors.length === 0,
    beacon: init.beacon,
    final: state.final,
    errors,
  });

  if (ceremonyId(init) !== state.id)
    errors.push(`ceremony id ${state.id} is not the hash of its init record`);
  if (instance !== undefined && instance !== init.instance) {
    errors.push(`the ceremony is for instance ${displayText(init.instance)}, not ${displayText(instance)}`);
  }
  if (expectedContributors !== undefined) {
    const want = parseContributors(expectedContributors);
    if (want.join(",") !== init.contributors.join(",")) {
      errors.push(
        `expected contributors ${want.join(",")}; the ceremony lists ${init.contributors.join(",")}`,
      );
    }
  }
  if (init.phase1.publicSecrets && !init.developmentOnly) {
    errors.push("phase 1 has public secrets but the ceremony is not marked development-only");
  }
  if (state.contributions.length > init.contributors.length) {
    errors.push(
      `${state.contributions.length} contributions recorded; only ${init.contributors.length} are expected`,
    );
  }
  if (errors.length > 0) return report();

  // The signed chain of contributions.
  let previousSha = init.initialZkeySha256;
  for (const [i, e] of state.contributions.entries()) {
    const index = i + 1;
    const expected = init.contributors[i]!;
    const label = `contribution #${index} (${displayText(e.name)})`;
    if (e.index !== index) errors.push(`${label} is recorded at position ${e.index}`);
    if (getAddress(e.address) !== expected)
      errors.push(`${label} names ${e.address}; #${index} is expected from ${expected}`);
    if (e.previousZkeySha256 !== previousSha) errors.push(`${label} does not build on the key before it`);
    if (Buffer.byteLength(e.name, "utf8") > MAX_NAME_BYTES || e.name.trim() === "")
      errors.push(`${label}: bad name`);
    const message = contributionMessage({
      id: state.id,
      instance: init.instance,
      index,
      total: init.contributors.length,
      previousZkeySha256: e.previousZkeySha256,
      zkeySha256: e.zkeySha256,
      contributionHash: e.contributionHash,
      name: e.name,
    });
    let signer = "(invalid signature)";
    try {
      signer = getAddress(verifyMessage(message, e.signature));
    } catch {
      // reported below
    }
    if (signer !== expected) errors.push(`${label} is signed by ${signer}, expected ${expected}`);
    const file = join(dir, zkeyName(index));
    if (!existsSync(file)) {
      errors.push(`${label}: ${zkeyName(index)} is missing`);
    } else if ((await sha256File(file)) !== e.zkeySha256) {
      errors.push(`${label}: ${zkeyName(index)} is not the signed key (sha256 differs)`);
    }
    previousSha = e.zkeySha256;
    records.push({ index, name: e.name, address: expected, hash: e.contributionHash });
  }
  if (errors.length > 0) return report();

  // Circuit, phase 1 and initial key, rebuilt from this repository's sources (the slow part).
  let entry;
  try {
    entry = await findInstance({ instance: init.instance });
  } catch (err) {
    errors.push((err as Error).message);
    return report();
  }
  const ptauPath = join(dir, PHASE1_FILE);
  if (!existsSync(ptauPath)) {
    errors.push(`${PHASE1_FILE} is missing`);
    return report();
  }
  const digests = await fileDigests({ path: ptauPath });
  if (digests.sha256 !== init.phase1.sha256 || digests.blake2b512 !== init.phase1.blake2b512) {
    errors.push(`${PHASE1_FILE} is not the phase-1 file the ceremony recorded (sha256 differs)`);
    return report();
  }
  const info = await readPtauInfo({ path: ptauPath });
  if (info.publicSecrets !== init.phase1.publicSecrets || info.power < entry.ptauPower) {
    errors.push(
      `${PHASE1_FILE} does not match its record (power ${info.power}, public secrets ${info.publicSecrets})`,
    );
    return report();
  }
  if (depth === "full") {
    const ptauErrors: string[] = [];
    const ok = await snarkjs.powersOfTau.verify(await snarkInput({ path: ptauPath, type: "ptau" }), {
      debug: () => undefined,
      info: () => undefined,
      warn: (m) => ptauErrors.push(m),
      error: (m) => ptauErrors.push(m),
    });
    if (!ok) {
      errors.push(`${PHASE1_FILE} fails snarkjs verification: ${ptauErrors.join("; ") || "invalid"}`);
      return report();
    }
    phase1Verified = true;
  }

  const work = await mkdtemp(join(tmpdir(), "cfl-ceremony-verify-"));
  try {
    const r1cs = await freshR1cs(init.instance);
    try {
      if (r1cs.sha256 !== init.r1csSha256) {
        errors.push("the r1cs compiled from this repository's circuit differs from the ceremony's");
        return report();
      }
      const initPath = join(work, "init.zkey");
      await snarkjs.zKey.newZKey(r1cs.r1csPath, ptauPath, initPath);
      const initSha = await sha256File(initPath);
      const storedInit = join(dir, zkeyName(0));
      if (
        initSha !== init.initialZkeySha256 ||
        !existsSync(storedInit) ||
        (await sha256File(storedInit)) !== initSha
      ) {
        errors.push("the initial key is not the one r1cs + phase 1 give");
        return report();
      }

      // The keys themselves (snarkjs), each embedding exactly the signed contributions.
      const n = state.contributions.length;
      const toCheck = depth === "full" ? Array.from({ length: n }, (_, i) => i + 1) : n > 0 ? [n] : [];
      for (const index of toCheck) {
        const result = await verifyZkey({ initPath, ptauPath, zkeyPath: join(dir, zkeyName(index)) });
        if (!result.ok) {
          errors.push(
            `${zkeyName(index)} fails snarkjs verification: ${result.errors.join("; ") || "invalid key"}`,
          );
          continue;
        }
        const problem = embeddedMismatch({
          embedded: result.embedded,
          entries: state.contributions.slice(0, index),
        });
        if (problem !== null) errors.push(`${zkeyName(index)}: ${problem}`);
      }
      if (state.final !== null) await verifyFinal({ dir, state, initPath, ptauPath, chain, errors });
    } finally {
      await r1cs.cleanup();
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return report();
}

function embeddedMismatch({
  embedded,
  entries,
}: {
  embedded: readonly EmbeddedContribution[];
  entries: readonly CeremonyEntry[];
}): string | null {
  if (embedded.length !== entries.length) {
    return `embeds ${embedded.length} contributions; the transcript signs ${entries.length}`;
  }
  for (const [i, e] of entries.entries()) {
    const k = embedded[i]!;
    if (k.index !== i + 1) return `the key's contributions are not numbered 1..${entries.length}`;
    if (k.beaconHash !== undefined) return `contribution #${i + 1} in the key is a beacon`;
    if (k.hash !== e.contributionHash) {
      return `contribution #${i + 1} in the key (${k.hash.slice(0, 16)}…) is not the signed one (${e.contributionHash.slice(0, 16)}…)`;
    }
    if (k.name !== e.name)
      return `contribution #${i + 1} in the key is named ${displayText(k.name)}, signed as ${displayText(e.name)}`;
  }
  return null;
}

async function verifyFinal({
  dir,
  state,
  initPath,
  ptauPath,
  chain,
  errors,
}: {
  dir: string;
  state: CeremonyState;
  initPath: string;
  ptauPath: string;
  chain?: BeaconChain;
  errors: string[];
}): Promise<void> {
  const final = state.final!;
  const path = join(dir, FINAL_ZKEY);
  if (!existsSync(path) || (await sha256File(path)) !== final.zkeySha256) {
    errors.push(`${FINAL_ZKEY} is missing or not the recorded final key`);
    return;
  }
  if (state.contributions.length !== state.init.contributors.length || state.contributions.length === 0) {
    errors.push("finalized without every expected contribution");
  }
  const b = final.beacon;
  const beaconHex = b.source === "block" ? b.blockHash : b.hash;
  if (b.source === "block") {
    const rec = state.init.beacon;
    if (
      rec === null ||
      rec.blockNumber !== b.blockNumber ||
      rec.chainId !== b.chainId ||
      rec.iterationsExp !== b.iterationsExp
    ) {
      errors.push("the final beacon is not the block fixed at init");
    } else if (chain !== undefined) {
      await checkChainId({ beacon: rec, chain });
      const block = await chain.getBlock(b.blockNumber);
      if (block?.hash?.replace(/^0x/, "").toLowerCase() !== b.blockHash) {
        errors.push(`the final beacon is not the hash of block ${b.blockNumber} on chain ${b.chainId}`);
      }
    }
  } else if (!final.developmentOnly) {
    errors.push("a raw beacon was used but the result is not marked development-only");
  }
  const result = await verifyZkey({ initPath, ptauPath, zkeyPath: path });
  if (!result.ok) {
    errors.push(`${FINAL_ZKEY} fails snarkjs verification: ${result.errors.join("; ") || "invalid key"}`);
    return;
  }
  const contributions = result.embedded.slice(0, -1);
  const last = result.embedded[result.embedded.length - 1];
  const problem = embeddedMismatch({ embedded: contributions, entries: state.contributions });
  if (problem !== null) errors.push(`${FINAL_ZKEY}: ${problem}`);
  if (last?.beaconHash !== beaconHex || last.beaconIterationsExp !== b.iterationsExp) {
    errors.push(`${FINAL_ZKEY}: its last contribution is not the recorded beacon`);
  }
  const vkey = await exportVerificationKey({ zkeyPath: path });
  if (hashVkey(vkey) !== final.vkeyHash) errors.push("the final verifying key hash is not the recorded one");
}

// --------------------------------------------------------------------------------------------- finalize

export interface CeremonyResult {
  readonly format: typeof CEREMONY_RESULT_FORMAT;
  readonly ceremonyId: string;
  readonly instance: string;
  readonly developmentOnly: boolean;
  readonly vkeyHash: string;
  readonly finalZkeySha256: string;
  readonly circuitHash: string;
  readonly r1csSha256: string;
  readonly phase1: CeremonyInit["phase1"];
  readonly contributors: readonly string[];
  readonly transcript: readonly CeremonyEntry[];
  readonly beacon: FinalBeacon;
}

/**
 * Closes a complete, verified ceremony with its public beacon: the hash of the block fixed at init (waits
 * until it exists), or, for a development ceremony only, a raw 32-byte `beaconHash`. Writes final.zkey,
 * vkey.json, the Solidity verifier and ceremony-result.json into the ceremony directory.
 */
export async function ceremonyFinalize({
  dir,
  chain,
  beaconHash,
  development = false,
  pollIntervalMs = 2_000,
  waitTimeoutMs = 3_600_000,
}: {
  dir: string;
  chain?: BeaconChain;
  /** Raw beacon, 32 bytes hex: development ceremonies only. */
  beaconHash?: string;
  development?: boolean;
  pollIntervalMs?: number;
  waitTimeoutMs?: number;
}): Promise<{
  zkeyPath: string;
  vkeyPath: string;
  verifierPath: string;
  resultPath: string;
  vkey: Record<string, unknown>;
  vkeyHash: string;
  developmentOnly: boolean;
  verifierSource: string;
  result: CeremonyResult;
}> {
  let raw: string | undefined;
  if (beaconHash !== undefined) {
    if (!development) {
      throw new ZkCeremonyError("a raw beacon is accepted only for a development ceremony (--development)");
    }
    raw = beaconHash.replace(/^0x/, "").toLowerCase();
    if (!/^[0-9a-f]{64}$/.test(raw)) throw new ZkCeremonyError("the beacon must be exactly 32 bytes of hex");
  }
  if (!(pollIntervalMs > 0) || !(waitTimeoutMs >= 0)) throw new ZkCeremonyError("bad wait parameters");
  const state = await readCeremonyState({ dir });
  const { init } = state;
  if (state.final !== null) throw new ZkCeremonyError("the ceremony is already finalized");
  if (state.contributions.length === 0) {
    throw new ZkCeremonyError("refusing to finalize: the ceremony has no contribution");
  }
  if (state.contributions.length < init.contributors.length) {
    const next = init.contributors[state.contributions.length]!;
    throw new ZkCeremonyError(
      `refusing to finalize: ${state.contributions.length} of ${init.contributors.length} contributions; ` +
        `#${state.contributions.length + 1} is expected from ${next}`,
    );
  }
  if (raw === undefined && init.beacon === null) {
    throw new ZkCeremonyError(
      "this ceremony fixed no beacon block at init; a development ceremony may use --development --beacon HEX",
    );
  }
  if (raw === undefined && chain === undefined) {
    throw new ZkCeremonyError("the beacon is a block: the chain (rpcUrl) is needed to finalize");
  }
  const verified = await ceremonyVerify({ dir, depth: "full" });
  if (!verified.ok || !verified.complete) {
    throw new ZkCeremonyError(
      `refusing to finalize: ${verified.errors.join("; ") || "incomplete transcript"}`,
    );
  }

  let beacon: FinalBeacon;
  if (raw !== undefined) {
    beacon = {
      source: "raw",
      hash: raw,
      iterationsExp: init.beacon?.iterationsExp ?? DEVELOPMENT_BEACON_ITERATIONS_EXP,
    };
  } else {
    const rec = init.beacon!;
    await checkChainId({ beacon: rec, chain: chain! });
    if (rec.blockNumber <= rec.committedAtBlock) {
      throw new ZkCeremonyError("the beacon block was not in the future when the ceremony fixed it");
    }
    const blockHash = await waitForBlock({
      chain: chain!,
      blockNumber: rec.blockNumber,
      pollIntervalMs,
      waitTimeoutMs,
    });
    beacon = {
      source: "block",
      chainId: rec.chainId,
      blockNumber: rec.blockNumber,
      blockHash,
      iterationsExp: rec.iterationsExp,
    };
  }
  const developmentOnly = init.developmentOnly || beacon.source === "raw";
  const beaconHex = beacon.source === "block" ? beacon.blockHash : beacon.hash;
  const beaconName =
    beacon.source === "block"
      ? `beacon: block ${beacon.blockNumber} of chain ${beacon.chainId}`
      : "development beacon";

  const last = join(dir, zkeyName(state.contributions.length));
  const zkeyPath = join(dir, FINAL_ZKEY);
  const tmp = `${zkeyPath}.${process.pid}-${randomBytes(4).toString("hex")}.tmp`;
  try {
    progress(`ceremony ${state.id}: final beacon ${beaconHex} (2^${beacon.iterationsExp} iterations)`);
    const ok = await snarkjs.zKey.beacon(last, tmp, beaconName.slice(0, 64), beaconHex, beacon.iterationsExp);
    if (ok === false) throw new ZkCeremonyError("snarkjs rejected the beacon parameters");
    await rename(tmp, zkeyPath);
  } finally {
    await rm(tmp, { force: true });
  }
  const vkey = await exportVerificationKey({ zkeyPath });
  const vkeyHash = hashVkey(vkey);
  const finalState: CeremonyState = {
    ...state,
    final: { zkeySha256: await sha256File(zkeyPath), beacon, vkeyHash, developmentOnly },
  };
  await writeJsonAtomic(join(dir, STATE_FILE), finalState);
  const after = await ceremonyVerify({
    dir,
    depth: "latest",
    ...(chain !== undefined && beacon.source === "block" ? { chain } : {}),
  });
  if (!after.ok) {
    await writeJsonAtomic(join(dir, STATE_FILE), state);
    await rm(zkeyPath, { force: true });
    throw new ZkCeremonyError(`the final key fails verification: ${after.errors.join("; ")}`);
  }

  const contractName = verifierContractName(init.instance);
  const verifierSource = await renderVerifier({
    zkeyPath,
    contractName,
    headerLines: [
      `GENERATED by cfl zk ceremony finalize for circuit instance "${init.instance}". DO NOT EDIT.`,
      ...(developmentOnly
        ? [
            "DEVELOPMENT-ONLY KEYS: phase 1 or the beacon is public; anyone can forge proofs for this verifier.",
          ]
        : []),
      `Ceremony ${state.id}: ${state.contributions.length} signed contributions, phase 1 of power ${init.phase1.power}`,
      `with ${init.phase1.contributions.length} contributions, final beacon ${
        beacon.source === "block"
          ? `hash of block ${beacon.blockNumber} (chain ${beacon.chainId})`
          : "raw (development)"
      }.`,
      `Verifying-key hash (record in the task policy): ${vkeyHash}`,
      "Public inputs: [commitment, context, bounds].",
    ],
  });
  const result: CeremonyResult = {
    format: CEREMONY_RESULT_FORMAT,
    ceremonyId: state.id,
    instance: init.instance,
    developmentOnly,
    vkeyHash,
    finalZkeySha256: finalState.final!.zkeySha256,
    circuitHash: init.circuitHash,
    r1csSha256: init.r1csSha256,
    phase1: init.phase1,
    contributors: init.contributors,
    transcript: state.contributions,
    beacon,
  };
  const vkeyPath = join(dir, VKEY_FILE);
  const verifierPath = join(dir, `${contractName}.sol`);
  const resultPath = join(dir, RESULT_FILE);
  await writeFile(vkeyPath, `${JSON.stringify(vkey, null, 2)}\n`);
  await writeFile(verifierPath, verifierSource);
  await writeJsonAtomic(resultPath, result);
  progress(
    `ceremony ${state.id}: finalized, vkey hash ${vkeyHash}${developmentOnly ? " (DEVELOPMENT ONLY)" : ""}`,
  );
  return {
    zkeyPath,
    vkeyPath,
    verifierPath,
    resultPath,
    vkey,
    vkeyHash,
    developmentOnly,
    verifierSource,
    result,
  };
}

async function waitForBlock({
  chain,
  blockNumber,
  pollIntervalMs,
  waitTimeoutMs,
}: {
  chain: BeaconChain;
  blockNumber: number;
  pollIntervalMs: number;
  waitTimeoutMs: number;
}): Promise<string> {
  const deadline = Date.now() + waitTimeoutMs;
  let announced = false;
  for (;;) {
    const block = await chain.getBlock(blockNumber);
    if (block !== null && typeof block.hash === "string") {
      const hash = block.hash.replace(/^0x/, "").toLowerCase();
      if (!/^[0-9a-f]{64}$/.test(hash))
        throw new ZkCeremonyError(`block ${blockNumber} has a malformed hash`);
      return hash;
    }
    if (Date.now() >= deadline) {
      throw new ZkCeremonyError(
        `block ${blockNumber} was not mined within ${Math.round(waitTimeoutMs / 1000)} s`,
      );
    }
    if (!announced) {
      progress(
        `ceremony: waiting for beacon block ${blockNumber} (chain at ${await chain.getBlockNumber()})`,
      );
      announced = true;
    }
    await new Promise((r) => setTimeout(r, pollIntervalMs));
  }
}
