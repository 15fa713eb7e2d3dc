/**
 * The drift check (`npm run zk:check`) passes on the committed verifier, key file and lock and fails, with
 * one line naming the file, when any of them differs from a regeneration.
 */
import { copyFile, mkdir, mkdtemp, readFile, rm, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { releaseZkWorkers, ZkDriftError } from "../../src/zk/index.js";
import { checkSetup, keyFilePath, LOCK_PATH, verifierPath } from "../../src/zk/setup/index.js";

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
});
