/**
 * Multi-party phase 2 on the `test` instance: three contributors, each contribution verified and listed;
 * a tampered key fails verification; the finalized key proves and verifies with its own verifying key only.
 */
import { copyFile, mkdtemp, open, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { Command } from "commander";
import { registerZkCommands } from "../../src/cli/commands/zk.js";
import {
  ceremonyContribute,
  ceremonyFinalize,
  ceremonyInit,
  ceremonyVerify,
  proveUpdate,
  randomSalt,
  releaseZkWorkers,
  verifyUpdateProof,
  type CircuitArtifacts,
} from "../../src/zk/index.js";
import { artifacts, BOUNDS, CONTEXT } from "./helpers.js";

/** Overwrites `count` bytes at each relative position of the file with their complement. */
async function flipBytes(path: string, positions: readonly number[], count = 8): Promise<void> {
  const { size } = await stat(path);
  const handle = await open(path, "r+");
  try {
    for (const at of positions) {
      const offset = Math.floor(size * at);
      const buf = Buffer.alloc(count);
      await handle.read(buf, 0, count, offset);
      for (let i = 0; i < count; i++) buf[i] = buf[i]! ^ 0xff;
      await handle.write(buf, 0, count, offset);
    }
  } finally {
    await handle.close();
  }
}

describe("phase-2 ceremony (test instance)", function () {
  let dir: string;
  let dev: CircuitArtifacts;
  const hashes: string[] = [];
  const names = ["alice (recycler)", "bob (manufacturer)", "carol (supplier)"];

  before(async function () {
    dev = await artifacts();
    dir = await mkdtemp(join(tmpdir(), "cfl-ceremony-"));
  });

  after(async function () {
    await releaseZkWorkers();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it("three contributors in turn: verification passes and lists each contribution hash", async function () {
    let current = (await ceremonyInit({ instance: "test", out: join(dir, "c0.zkey") })).zkeyPath;
    for (const [i, name] of names.entries()) {
      const next = join(dir, `c${i + 1}.zkey`);
      const { contributionHash } = await ceremonyContribute({ input: current, out: next, name });
      expect(contributionHash).to.match(/^[0-9a-f]{128}$/);
      hashes.push(contributionHash);
      current = next;
    }
    const result = await ceremonyVerify({ instance: "test", zkeyPath: current });
    expect(result.errors).to.deep.equal([]);
    expect(result.ok).to.equal(true);
    expect(result.contributions.map((c) => c.name)).to.deep.equal(names);
    expect(result.contributions.map((c) => c.hash)).to.deep.equal(hashes);
    expect(new Set(hashes).size).to.equal(3);
  });

  it("a tampered contribution fails verification (library and CLI)", async function () {
    const tampered = join(dir, "tampered.zkey");
    await copyFile(join(dir, "c3.zkey"), tampered);
    await flipBytes(tampered, [0.55, 0.7, 0.85]);
    const result = await ceremonyVerify({ instance: "test", zkeyPath: tampered });
    expect(result.ok).to.equal(false);
    expect(result.contributions).to.deep.equal([]);

    const program = new Command().exitOverride();
    registerZkCommands(program);
    let failure: unknown;
    try {
      await program.parseAsync(["zk", "ceremony", "verify", "--instance", "test", "--zkey", tampered], {
        from: "user",
      });
    } catch (err) {
      failure = err;
    }
    expect(failure).to.be.instanceOf(Error);
    expect((failure as Error).message).to.match(/FAILED verification/);
  });

  it("finalize applies a beacon; the final key proves, and only its own verifying key accepts the proof", async function () {
    const final = await ceremonyFinalize({
      instance: "test",
      input: join(dir, "c3.zkey"),
      out: join(dir, "final.zkey"),
      beaconHash: "a1".repeat(32),
    });
    expect(final.vkeyHash).to.match(/^0x[0-9a-f]{64}$/);
    expect(final.vkeyHash).to.not.equal(dev.vkeyHash);
    expect(final.verifierSource).to.contain("contract TestUpdateVerifier {");
    expect(final.verifierSource).to.contain(final.vkeyHash);

    const verified = await ceremonyVerify({ instance: "test", zkeyPath: final.zkeyPath });
    expect(verified.ok).to.equal(true);
    expect(verified.contributions.map((c) => c.beacon)).to.deep.equal([false, false, false, true]);

    const update = {
      dimension: BOUNDS.d,
      indices: Uint32Array.from([1, 2]),
      values: Int32Array.from([3, -4]),
    };
    const proved = await proveUpdate({
      update,
      context: CONTEXT,
      salt: randomSalt(),
      policyBounds: BOUNDS,
      artifacts: { ...dev, zkeyPath: final.zkeyPath, vkey: final.vkey, vkeyHash: final.vkeyHash },
    });
    expect(
      await verifyUpdateProof({ vkey: final.vkey, proof: proved.proof, publicInputs: proved.publicSignals }),
    ).to.equal(true);
    expect(
      await verifyUpdateProof({ vkey: dev.vkey, proof: proved.proof, publicInputs: proved.publicSignals }),
    ).to.equal(false);
  });
});
