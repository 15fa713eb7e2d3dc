/**
 * The drift check (`npm run zk:check`) passes on the committed verifier, key file and lock and fails, with
 * one line naming the file, when any of them differs from a regeneration.
 */
import { copyFile, mkdir, mkdtemp, readFile, rm, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { releaseZkWorkers, ZkDriftError } from "../../src/zk/index.js";
import {
  checkSetup,
  committedZkeyPath,
  ensureInstanceBuilt,
  findInstance,
  keyFilePath,
  LOCK_PATH,
  ptauPath,
  readLock,
  sha256File,
  verifierPath,
} from "../../src/zk/setup/index.js";
import { ZkSetupError } from "../../src/zk/errors.js";
import { existsSync } from "node:fs";

describe("zk:check drift detection (test instance)", function () {
  let dir: string;
  let verifiersDir: string;
  let keysDir: string;
  let lockPath: string;
  let buildRoot: string;

  before(async function () {
    dir = await mkdtemp(join(tmpdir(), "cfl-drift-"));
    verifiersDir = join(dir, "verifiers");
    keysDir = join(dir, "keys");
    buildRoot = join(dir, "build");
    lockPath = join(dir, "instances.lock.json");
    await mkdir(verifiersDir);
    await mkdir(keysDir);
  });

  beforeEach(async function () {
    await copyFile(verifierPath("test"), join(verifiersDir, "TestUpdateVerifier.sol"));
    await copyFile(keyFilePath("test"), keyFilePath("test", keysDir));
    await copyFile(committedZkeyPath("test"), committedZkeyPath("test", keysDir));
    await copyFile(LOCK_PATH, lockPath);
  });

  after(async function () {
    await releaseZkWorkers();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  async function drift(): Promise<string | undefined> {
    try {
      await checkSetup({ instances: ["test"], verifiersDir, keysDir, lockPath, buildRoot });
      return undefined;
    } catch (err) {
      expect(err).to.be.instanceOf(ZkDriftError);
      return (err as Error).message;
    }
  }

  it("passes on the committed files (a full regeneration is byte-identical)", async function () {
    expect(await drift()).to.equal(undefined);
  });

  it("fails when the verifier was edited", async function () {
    const file = join(verifiersDir, "TestUpdateVerifier.sol");
    const source = await readFile(file, "utf8");
    await writeFile(
      file,
      source.replace(
        /uint256 constant deltax1 *= *\d/,
        (m) => m.slice(0, -1) + (m.endsWith("1") ? "2" : "1"),
      ),
    );
    expect(await drift()).to.match(/TestUpdateVerifier\.sol differs from a regeneration/);
  });

  it("fails when the lock's verifying-key hash was edited", async function () {
    const lock = await readFile(lockPath, "utf8");
    const entry = /"test": \{[\s\S]*?"vkeyHash": "0x([0-9a-f])/.exec(lock)!;
    const flipped = lock.replace(entry[0], entry[0].slice(0, -1) + (entry[1] === "0" ? "1" : "0"));
    await writeFile(lockPath, flipped);
    expect(await drift()).to.match(/entry "test" differs/);
  });

  it("fails when a word of the registry key file was edited", async function () {
    const file = keyFilePath("test", keysDir);
    const text = await readFile(file, "utf8");
    const word = /"words": \[\s*"0x([0-9a-f]{63})([0-9a-f])"/.exec(text)!;
    const flipped = word[0].slice(0, -2) + (word[2] === "0" ? "1" : "0") + '"';
    await writeFile(file, text.replace(word[0], flipped));
    expect(await drift()).to.match(/circuits\/keys\/test\.vk\.json differs from a regeneration/);
  });

  it("fails when the registry key file is missing", async function () {
    await unlink(keyFilePath("test", keysDir));
    expect(await drift()).to.match(/circuits\/keys\/test\.vk\.json is missing/);
  });

  it("fails when the lock's registry key hash was edited", async function () {
    const lock = await readFile(lockPath, "utf8");
    const entry = /"test": \{[\s\S]*?"keyHash": "0x([0-9a-f])/.exec(lock)!;
    const flipped = lock.replace(entry[0], entry[0].slice(0, -1) + (entry[1] === "0" ? "1" : "0"));
    await writeFile(lockPath, flipped);
    expect(await drift()).to.match(/entry "test" differs/);
  });

  it("fails when the committed proving key was edited or is missing", async function () {
    const file = committedZkeyPath("test", keysDir);
    const bytes = await readFile(file);
    bytes[bytes.length - 100]! ^= 1;
    await writeFile(file, bytes);
    expect(await drift()).to.match(/circuits\/keys\/test\.zkey differs from a regeneration/);
    await unlink(file);
    expect(await drift()).to.match(/circuits\/keys\/test\.zkey is missing/);
  });
});

describe("the committed development proving key (a first run in seconds)", function () {
  let dir: string;

  before(async function () {
    dir = await mkdtemp(join(tmpdir(), "cfl-committed-key-"));
  });

  after(async function () {
    await releaseZkWorkers();
    await rm(dir, { recursive: true, force: true });
  });

  it("a new machine takes it after checking its bytes and circuit against the lock: no phase 1, no phase 2", async function () {
    const instance = await findInstance({ instance: "test" });
    const ptauRoot = join(dir, "no-ptau");
    const build = await ensureInstanceBuilt({ instance, buildRoot: join(dir, "fresh"), ptauRoot });
    const entry = (await readLock()).instances.test!;
    expect(await sha256File(build.zkeyPath)).to.equal(entry.zkeySha256);
    expect(build.vkeyHash).to.equal(entry.vkeyHash);
    expect(build.verifierSource).to.equal(await readFile(verifierPath("test"), "utf8"));
    expect(existsSync(ptauPath(instance.ptauPower, ptauRoot)), "no phase-1 file was made").to.equal(false);
  });

  it("refuses a committed key whose bytes differ from the lock, naming both hashes", async function () {
    const instance = await findInstance({ instance: "test" });
    const keysDir = join(dir, "tampered-keys");
    await mkdir(keysDir, { recursive: true });
    const bytes = await readFile(committedZkeyPath("test"));
    bytes[bytes.length - 100]! ^= 1;
    await writeFile(committedZkeyPath("test", keysDir), bytes);
    let refusal: unknown;
    try {
      await ensureInstanceBuilt({
        instance,
        buildRoot: join(dir, "tampered"),
        ptauRoot: join(dir, "no-ptau"),
        keysDir,
      });
    } catch (error) {
      refusal = error;
    }
    expect(refusal).to.be.instanceOf(ZkSetupError);
    expect((refusal as Error).message).to.match(
      /test\.zkey has sha256 [0-9a-f]{64}, the lock records [0-9a-f]{64}: restore it/,
    );
  });

  it("ignores a committed key of another circuit and runs the setup", async function () {
    const instance = await findInstance({ instance: "test" });
    const lock = await readLock();
    const otherLock = join(dir, "other.lock.json");
    const entry = lock.instances.test!;
    await writeFile(
      otherLock,
      JSON.stringify({ ...lock, instances: { test: { ...entry, circuitHash: "0".repeat(64) } } }),
    );
    const build = await ensureInstanceBuilt({ instance, buildRoot: join(dir, "other"), lockPath: otherLock });
    // Regenerated from the (cached) phase-1 file: the same bytes as the committed key.
    expect(await sha256File(build.zkeyPath)).to.equal(entry.zkeySha256);
  });
});
