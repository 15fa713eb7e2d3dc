import { existsSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join, relative } from "node:path";
import { ZkDriftError } from "../errors.js";
import type { CircuitInstance } from "../types.js";
import { committedZkeyPath, ensureInstanceBuilt, type InstanceBuild } from "./build.js";
import {
  findInstance,
  KEYS_DIR,
  LOCK_PATH,
  readInstanceRegistry,
  REPO_ROOT,
  VERIFIERS_DIR,
} from "./instances.js";
import { keyFilePath, renderKeyFile, writeKeyFile } from "./keyfile.js";
import { lockEntryFor, readLock, renderLock, verifierPath, writeLockEntry } from "./lock.js";
import { progress } from "./log.js";
import { importPhase1, sha256File, type Phase1Import } from "./ptau.js";

async function selectInstances(names: readonly string[]): Promise<CircuitInstance[]> {
  if (names.length === 0) return readInstanceRegistry();
  return Promise.all(names.map((instance) => findInstance({ instance })));
}

/**
 * `npm run zk:setup [instance...]`: builds (or reuses from the cache) each instance and writes its verifier
 * into contracts/verifiers/, its registry key words into circuits/keys/<instance>.vk.json and its entry into
 * circuits/instances.lock.json.
 */
export async function runSetup({ instances }: { instances: readonly string[] }): Promise<InstanceBuild[]> {
  const builds: InstanceBuild[] = [];
  for (const instance of await selectInstances(instances)) {
    const started = Date.now();
    const build = await ensureInstanceBuilt({ instance });
    await writeFile(verifierPath(instance.name), build.verifierSource);
    await mkdir(KEYS_DIR, { recursive: true });
    await writeKeyFile({ build });
    // The development proving key itself, so that a new machine skips the minutes of setup (its sha256
    // goes into the lock, and zk:check regenerates it).
    await copyFile(build.zkeyPath, committedZkeyPath(instance.name));
    await writeLockEntry({ build });
    progress(
      `${instance.name}: ${build.constraints} constraints, verifier ${relative(REPO_ROOT, verifierPath(instance.name))}, ` +
        `key ${relative(REPO_ROOT, keyFilePath(instance.name))}, vkey hash ${build.vkeyHash}, key hash ${build.keyHash} ` +
        `(${((Date.now() - started) / 1000).toFixed(1)} s)`,
    );
    builds.push(build);
  }
  return builds;
}

/** What `zk:setup --ptau` produced: the verified phase 1 and each instance's files in the output directory. */
export interface Phase1SetupResult {
  readonly phase1: Phase1Import;
  readonly builds: readonly { build: InstanceBuild; verifier: string; keyFile: string; zkey: string }[];
}

/**
 * `npm run zk:setup -- --ptau FILE --out DIR [instance...]`: the setup on an existing phase-1 file (such as a
 * Perpetual Powers of Tau file) instead of the development one. The file is verified first (`importPhase1`:
 * BN254, power at least every selected instance's `ptauPower`, secrets not public unless `development`, every
 * contribution and the powers checked by snarkjs) and nothing is built unless it passes. Phase 2 still ends
 * with the development beacon, so the keys remain DEVELOPMENT-ONLY (whoever knows the beacon can forge
 * proofs); a consortium's production keys come from `cfl zk ceremony` on the same file. Everything goes to
 * `out` (phase1.ptau, build/, <Pascal>UpdateVerifier.sol, <instance>.vk.json, <instance>.zkey): the repository's
 * committed development keys, verifiers and lock are not touched.
 */
export async function runSetupWithPhase1({
  instances,
  ptau,
  out,
  development = false,
}: {
  instances: readonly string[];
  ptau: string;
  out: string;
  development?: boolean;
}): Promise<Phase1SetupResult> {
  const selected = await selectInstances(instances);
  const minPower = Math.max(...selected.map((i) => i.ptauPower));
  const phase1 = await importPhase1({ source: ptau, minPower, out: join(out, "phase1.ptau"), development });
  progress(
    `phase 1: ${ptau} verified (power ${phase1.info.power}, ${phase1.info.contributions.length} contributions, blake2b-512 ${phase1.blake2b512})`,
  );
  const builds: Phase1SetupResult["builds"][number][] = [];
  for (const instance of selected) {
    const build = await ensureInstanceBuilt({
      instance,
      buildRoot: join(out, "build"),
      phase1: phase1.path,
      useCommittedKey: false,
    });
    const verifier = join(out, basename(verifierPath(instance.name)));
    await writeFile(verifier, build.verifierSource);
    const keyFile = keyFilePath(instance.name, out);
    await writeFile(keyFile, await renderKeyFile(build));
    const zkey = committedZkeyPath(instance.name, out);
    await copyFile(build.zkeyPath, zkey);
    progress(
      `${instance.name}: ${build.constraints} constraints, key hash ${build.keyHash}, files in ${out}`,
    );
    builds.push({ build, verifier, keyFile, zkey });
  }
  return { phase1, builds };
}

/**
 * `npm run zk:check`: regenerates every instance into a temporary directory (the prepared ptau is reused from
 * the cache; it is itself deterministic) and throws ZkDriftError if the committed verifier, key file or lock
 * entry differs from the regeneration. `verifiersDir`, `keysDir`, `lockPath` and `buildRoot` exist for tests.
 */
export async function checkSetup({
  instances,
  verifiersDir = VERIFIERS_DIR,
  keysDir = KEYS_DIR,
  lockPath = LOCK_PATH,
  buildRoot,
}: {
  instances: readonly string[];
  verifiersDir?: string;
  keysDir?: string;
  lockPath?: string;
  buildRoot?: string;
}): Promise<void> {
  const scratch = buildRoot ?? (await mkdtemp(join(tmpdir(), "cfl-zk-check-")));
  try {
    const lock = await readLock(lockPath);
    for (const instance of await selectInstances(instances)) {
      // A full regeneration: the committed proving key is what this check vouches for, never its input.
      const build = await ensureInstanceBuilt({ instance, buildRoot: scratch, useCommittedKey: false });
      const file = join(verifiersDir, basename(verifierPath(instance.name)));
      const rel = relative(REPO_ROOT, verifierPath(instance.name));
      if (!existsSync(file)) {
        throw new ZkDriftError(`${rel} is missing; run npm run zk:setup ${instance.name}`);
      }
      if ((await readFile(file, "utf8")) !== build.verifierSource) {
        throw new ZkDriftError(`${rel} differs from a regeneration; run npm run zk:setup ${instance.name}`);
      }
      const keyFile = keyFilePath(instance.name, keysDir);
      const keyRel = relative(REPO_ROOT, keyFilePath(instance.name));
      if (!existsSync(keyFile)) {
        throw new ZkDriftError(`${keyRel} is missing; run npm run zk:setup ${instance.name}`);
      }
      if ((await readFile(keyFile, "utf8")) !== (await renderKeyFile(build))) {
        throw new ZkDriftError(
          `${keyRel} differs from a regeneration; run npm run zk:setup ${instance.name}`,
        );
      }
      const zkeyFile = committedZkeyPath(instance.name, keysDir);
      const zkeyRel = relative(REPO_ROOT, committedZkeyPath(instance.name));
      if (!existsSync(zkeyFile)) {
        throw new ZkDriftError(`${zkeyRel} is missing; run npm run zk:setup ${instance.name}`);
      }
      const expected = await lockEntryFor(build);
      if ((await sha256File(zkeyFile)) !== expected.zkeySha256) {
        throw new ZkDriftError(
          `${zkeyRel} differs from a regeneration; run npm run zk:setup ${instance.name}`,
        );
      }
      const committed = lock.instances[instance.name];
      if (committed === undefined || JSON.stringify(committed) !== JSON.stringify(expected)) {
        throw new ZkDriftError(
          `circuits/instances.lock.json entry "${instance.name}" differs from a regeneration; run npm run zk:setup ${instance.name}`,
        );
      }
    }
    if ((await renderLock(lock)) !== (await readFile(lockPath, "utf8"))) {
      throw new ZkDriftError(
        "circuits/instances.lock.json is not in its generated form; run npm run zk:setup",
      );
    }
  } finally {
    if (buildRoot === undefined) await rm(scratch, { recursive: true, force: true });
  }
}
