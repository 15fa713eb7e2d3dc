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
import { sha256File } from "./ptau.js";

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
