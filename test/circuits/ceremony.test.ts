/**
 * The phase-2 ceremony of the `test` instance, production path and refusals:
 * - phase 1 is a locally made TWO-PARTY file passed as --ptau (verified by snarkjs); the development file is
 *   refused without --development, and a beacon block that is already mined is refused;
 * - two expected contributors (consortium accounts) contribute in order and sign; anyone else is refused;
 * - verify checks every key and signature; a wrong signer, a swapped order, a key made outside the
 *   ceremony, a missing or extra contribution, another contributor list are each refused;
 * - finalize waits for the beacon block fixed at init and uses its hash; the final key proves a real
 *   update that only its own verifying key accepts;
 * - a development ceremony through the CLI: zero contributions and one-byte / non-development raw beacons
 *   are refused, names with control characters are printed escaped, the private key is never printed,
 *   and every output says developmentOnly.
 */
import { cp, mkdtemp, readFile, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { Wallet } from "ethers";
import * as snarkjs from "snarkjs";
import { Command, CommanderError } from "commander";
import { registerZkCommands } from "../../src/cli/commands/zk.js";
import {
  ceremonyContribute,
  ceremonyInit,
  ceremonyVerify,
  contributionMessage,
  readCeremonyState,
  type CeremonyResult,
  type CeremonyState,
} from "../../src/zk/ceremony.js";
import {
  proveUpdate,
  randomSalt,
  releaseZkWorkers,
  verifyUpdateProof,
  type CircuitArtifacts,
} from "../../src/zk/index.js";
import { ensurePreparedPtau, fileDigests, sha256File } from "../../src/zk/setup/ptau.js";
import { artifacts, BOUNDS, CONTEXT } from "./helpers.js";
import { productionCeremony, twoPartyPtau, type ProductionCeremony } from "./ceremony-fixtures.js";

/**
 * `cfl zk ...` as src/cli/main.ts runs it (one `error: ...` line on stderr, exit code 2), with only the zk
 * commands registered so that this test does not depend on every other command module loading.
 */
async function runZk(args: string[]): Promise<number> {
  const program = new Command().exitOverride().configureOutput({
    writeErr: (text) => process.stderr.write(text.split("\n")[0] + "\n"),
  });
  registerZkCommands(program);
  try {
    await program.parseAsync(args, { from: "user" });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`error: ${message.split("\n")[0]}\n`);
    return 2;
  }
}

/** Runs `cfl <args>` in-process; returns the exit code and everything it printed. */
async function cfl(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const saved = {
    out: process.stdout.write.bind(process.stdout),
    err: process.stderr.write.bind(process.stderr),
    env: { ...process.env },
  };
  const capture =
    (append: (text: string) => void): typeof process.stdout.write =>
    (chunk: string | Uint8Array): boolean => {
      append(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"));
      return true;
    };
  process.stdout.write = capture((t) => (stdout += t));
  process.stderr.write = capture((t) => (stderr += t));
  Object.assign(process.env, env);
  try {
    const code = await runZk(args);
    return { code, stdout, stderr };
  } finally {
    process.stdout.write = saved.out;
    process.stderr.write = saved.err;
    for (const k of Object.keys(env)) {
      if (saved.env[k] === undefined) delete process.env[k];
      else process.env[k] = saved.env[k];
    }
  }
}

async function readState(dir: string): Promise<CeremonyState> {
  return JSON.parse(await readFile(join(dir, "ceremony.json"), "utf8")) as CeremonyState;
}

async function writeState(dir: string, state: CeremonyState): Promise<void> {
  await writeFile(join(dir, "ceremony.json"), JSON.stringify(state, null, 2));
}

describe("phase-2 ceremony (test instance)", function () {
  let dev: CircuitArtifacts;
  let prod: ProductionCeremony;
  let scratch: string;
  const copies: string[] = [];

  /** A copy of the production ceremony directory, to attack. */
  async function copyOfProduction(): Promise<string> {
    const dir = join(scratch, `copy-${copies.length}`);
    copies.push(dir);
    await cp(prod.dir, dir, { recursive: true });
    return dir;
  }

  before(async function () {
    dev = await artifacts();
    prod = await productionCeremony();
    scratch = await mkdtemp(join(tmpdir(), "cfl-ceremony-test-"));
    const started = Date.now();
    await twoPartyPtau();
    console.log(`      (two-party phase 1 ready in ${((Date.now() - started) / 1000).toFixed(1)} s)`);
  });

  after(async function () {
    await releaseZkWorkers();
    if (scratch !== undefined) await rm(scratch, { recursive: true, force: true });
  });

  describe("init", function () {
    it("refuses the development phase-1 file without --development, a mined beacon block, missing inputs", async function () {
      await prod.mine(2); // a fresh chain is at block 0; the ceremony's beacon block is still ahead
      const current = await prod.chain.getBlockNumber();
      expect(current).to.be.lessThan(prod.beaconBlock);
      const base = {
        instance: "test",
        contributors: prod.contributors.map((w) => w.address),
        chain: prod.chain,
      };
      const attempt = (over: Partial<Parameters<typeof ceremonyInit>[0]>, name: string) =>
        ceremonyInit({ ...base, dir: join(scratch, name), ...over }).then(
          () => expect.fail("init should have been refused"),
          (err: Error) => err.message,
        );
      // Made here when no earlier test has made it: on a fresh cache the committed keys need no phase-1 file.
      const developmentPtau = await ensurePreparedPtau({ power: 12 });
      expect(await attempt({ ptau: developmentPtau, beaconBlock: current + 5 }, "dev")).to.match(
        /development phase-1 file: its secrets follow from a public beacon/,
      );
      expect(await attempt({ ptau: await twoPartyPtau(), beaconBlock: current }, "mined")).to.match(
        /beacon block \d+ is not in the future/,
      );
      expect(await attempt({ beaconBlock: current + 5 }, "no-ptau")).to.match(/phase-1 file is required/);
      expect(await attempt({ ptau: await twoPartyPtau() }, "no-beacon")).to.match(
        /beacon block must be fixed/,
      );
      expect(
        await attempt({ ptau: await twoPartyPtau(), beaconBlock: current + 5, contributors: [] }, "no-list"),
      ).to.match(/list of expected contributor/);
    });

    it("takes the two-party phase 1 (verified), fixes the contributors and the future beacon block", async function () {
      const { id, state } = await prod.init();
      expect(id).to.match(/^0x[0-9a-f]{64}$/);
      expect(state.init.developmentOnly).to.equal(false);
      expect(state.init.phase1.publicSecrets).to.equal(false);
      expect(state.init.phase1.contributions).to.deep.equal([
        { name: "phase-1 party one", beacon: false },
        { name: "phase-1 party two", beacon: false },
      ]);
      expect(state.init.contributors).to.deep.equal(prod.contributors.map((w) => w.address));
      expect(state.init.beacon).to.include({ source: "block", blockNumber: prod.beaconBlock });
      expect(state.init.beacon!.committedAtBlock).to.be.lessThan(prod.beaconBlock);
      expect(await sha256File(join(prod.dir, "phase1.ptau"))).to.equal(
        await sha256File(await twoPartyPtau()),
      );
      expect(state.init.phase1.blake2b512).to.equal(
        (await fileDigests({ path: await twoPartyPtau() })).blake2b512,
      );
    });
  });

  describe("contributions", function () {
    it("only the expected account, in order, may contribute; each contribution is signed", async function () {
      const [alice, bob] = prod.contributors;
      const outOfTurn = await ceremonyContribute({
        dir: prod.dir,
        name: "bob first",
        signer: bob,
        chain: prod.chain,
      }).then(
        () => "accepted",
        (err: Error) => err.message,
      );
      expect(outOfTurn).to.equal(
        `contribution #1 is expected from ${alice.address}; this key is ${bob.address}`,
      );

      const first = await prod.contribute(0);
      const second = await prod.contribute(1);
      expect(first.index).to.equal(1);
      expect(second.index).to.equal(2);
      expect(first.contributionHash).to.match(/^[0-9a-f]{128}$/);
      expect(second.entry.address).to.equal(bob.address);
      expect(second.entry.previousZkeySha256).to.equal(first.entry.zkeySha256);

      const extra = await ceremonyContribute({
        dir: prod.dir,
        name: "eve",
        signer: Wallet.createRandom(),
        chain: prod.chain,
      }).then(
        () => "accepted",
        (err: Error) => err.message,
      );
      expect(extra).to.match(/all 2 expected contributions are in/);
    });

    it("verify checks phase 1, every key and every signature, in order", async function () {
      const result = await ceremonyVerify({
        dir: prod.dir,
        expectedContributors: prod.contributors.map((w) => w.address),
        instance: "test",
      });
      expect(result.errors).to.deep.equal([]);
      expect(result.ok).to.equal(true);
      expect(result.complete).to.equal(true);
      expect(result.phase1.verified).to.equal(true);
      expect(result.contributions.map((c) => c.name)).to.deep.equal(prod.names);
      expect(result.contributions.map((c) => c.address)).to.deep.equal(
        prod.contributors.map((w) => w.address),
      );
      const state = await readCeremonyState({ dir: prod.dir });
      expect(result.contributions.map((c) => c.hash)).to.deep.equal(
        state.contributions.map((e) => e.contributionHash),
      );
    });
  });

  describe("transcript attacks, refused by verify", function () {
    it("a contribution signed by an account that is not the expected one", async function () {
      const dir = await copyOfProduction();
      const state = await readState(dir);
      const eve = Wallet.createRandom();
      const e = state.contributions[0]!;
      const message = contributionMessage({
        id: state.id,
        instance: state.init.instance,
        index: 1,
        total: 2,
        previousZkeySha256: e.previousZkeySha256,
        zkeySha256: e.zkeySha256,
        contributionHash: e.contributionHash,
        name: e.name,
      });
      state.contributions[0] = { ...e, address: eve.address, signature: await eve.signMessage(message) };
      await writeState(dir, state);
      const result = await ceremonyVerify({ dir });
      expect(result.ok).to.equal(false);
      expect(result.errors.join("\n")).to.contain(
        `is signed by ${eve.address}, expected ${prod.contributors[0].address}`,
      );
      const run = await cfl(["zk", "ceremony", "verify", "--dir", dir]);
      expect(run.code).to.equal(2);
      expect(run.stderr).to.match(/^error: .* FAILED verification: .*signed by/m);
    });

    it("contributions in another order", async function () {
      const dir = await copyOfProduction();
      const state = await readState(dir);
      const [one, two] = state.contributions as [
        CeremonyState["contributions"][0],
        CeremonyState["contributions"][0],
      ];
      state.contributions = [
        { ...two, index: 1 },
        { ...one, index: 2 },
      ];
      await rename(join(dir, "zkeys", "0001.zkey"), join(dir, "zkeys", "tmp.zkey"));
      await rename(join(dir, "zkeys", "0002.zkey"), join(dir, "zkeys", "0001.zkey"));
      await rename(join(dir, "zkeys", "tmp.zkey"), join(dir, "zkeys", "0002.zkey"));
      await writeState(dir, state);
      const result = await ceremonyVerify({ dir });
      expect(result.ok).to.equal(false);
      const text = result.errors.join("\n");
      expect(text).to.contain(`#1 is expected from ${prod.contributors[0].address}`);
      expect(text).to.contain("does not build on the key before it");
    });

    it("a key produced outside the ceremony, with or without rewriting the state", async function () {
      const dir = await copyOfProduction();
      const outside = join(dir, "outside.zkey");
      const hash = await snarkjs.zKey.contribute(
        join(dir, "zkeys", "0001.zkey"),
        outside,
        prod.names[1],
        "coordinator",
      );
      await cp(outside, join(dir, "zkeys", "0002.zkey"));
      let result = await ceremonyVerify({ dir });
      expect(result.ok).to.equal(false);
      expect(result.errors.join("\n")).to.match(/0002\.zkey is not the signed key \(sha256 differs\)/);

      const state = await readState(dir);
      state.contributions[1] = {
        ...state.contributions[1]!,
        zkeySha256: await sha256File(outside),
        contributionHash: Buffer.from(hash).toString("hex"),
      };
      await writeState(dir, state);
      result = await ceremonyVerify({ dir });
      expect(result.ok).to.equal(false);
      expect(result.errors.join("\n")).to.match(new RegExp(`expected ${prod.contributors[1].address}`));
    });

    it("a missing or an extra contribution, another contributor list, an edited init record", async function () {
      let dir = await copyOfProduction();
      let state = await readState(dir);
      state.contributions = [{ ...state.contributions[1]!, index: 1 }];
      await writeState(dir, state);
      expect((await ceremonyVerify({ dir })).ok).to.equal(false);

      state = await readState(prod.dir);
      state.contributions = [...state.contributions, { ...state.contributions[1]!, index: 3 }];
      await writeState(dir, state);
      expect((await ceremonyVerify({ dir })).errors).to.deep.equal([
        "3 contributions recorded; only 2 are expected",
      ]);

      dir = await copyOfProduction();
      const others = [Wallet.createRandom().address, Wallet.createRandom().address];
      const listed = await ceremonyVerify({ dir, expectedContributors: others });
      expect(listed.ok).to.equal(false);
      expect(listed.errors[0]).to.match(/^expected contributors/);

      state = await readState(dir);
      state.init.contributors = others;
      await writeState(dir, state);
      expect((await ceremonyVerify({ dir })).errors[0]).to.match(/is not the hash of its init record/);
    });
  });

  describe("finalize", function () {
    it("waits for the beacon block, uses its hash, writes the result; the final key proves real updates", async function () {
      const final = await prod.finalize();
      expect(prod.waitedForBeacon).to.equal(true);
      const block = await prod.chain.getBlock(prod.beaconBlock);
      expect(final.result.beacon).to.deep.equal({
        source: "block",
        chainId: (await prod.chain.getNetwork()).chainId.toString(),
        blockNumber: prod.beaconBlock,
        blockHash: block!.hash!.slice(2),
        iterationsExp: 10,
      });
      expect(final.developmentOnly).to.equal(false);
      expect(final.vkeyHash).to.match(/^0x[0-9a-f]{64}$/);
      expect(final.vkeyHash).to.not.equal(dev.vkeyHash);
      expect(final.verifierSource).to.contain("contract TestUpdateVerifier {");
      expect(final.verifierSource).to.contain(final.vkeyHash);
      expect(final.verifierSource).to.not.contain("DEVELOPMENT-ONLY");

      const result = JSON.parse(await readFile(final.resultPath, "utf8")) as CeremonyResult;
      expect(result).to.include({ developmentOnly: false, vkeyHash: final.vkeyHash, instance: "test" });
      expect(result.transcript.map((e) => e.address)).to.deep.equal(prod.contributors.map((w) => w.address));
      expect(JSON.parse(await readFile(final.vkeyPath, "utf8"))).to.deep.equal(final.vkey);

      const again = await ceremonyVerify({ dir: prod.dir, depth: "latest", chain: prod.chain });
      expect(again.errors).to.deep.equal([]);
      expect(again.final?.vkeyHash).to.equal(final.vkeyHash);

      const update = {
        dimension: BOUNDS.d,
        indices: Uint32Array.from([1, 2, 700]),
        values: Int32Array.from([3, -4, 2000]),
      };
      const proved = await proveUpdate({
        update,
        context: CONTEXT,
        salt: randomSalt(),
        policyBounds: BOUNDS,
        artifacts: { ...dev, zkeyPath: final.zkeyPath, vkey: final.vkey, vkeyHash: final.vkeyHash },
      });
      expect(
        await verifyUpdateProof({
          vkey: final.vkey,
          proof: proved.proof,
          publicInputs: proved.publicSignals,
        }),
      ).to.equal(true);
      expect(
        await verifyUpdateProof({ vkey: dev.vkey, proof: proved.proof, publicInputs: proved.publicSignals }),
      ).to.equal(false);
      expect(
        await cfl([
          "zk",
          "ceremony",
          "finalize",
          "--dir",
          prod.dir,
          "--development",
          "--beacon",
          "ab".repeat(32),
        ]),
      ).to.deep.include({ code: 2, stderr: "error: the ceremony is already finalized\n" });
    });
  });

  describe("a development ceremony through the CLI", function () {
    const key = Wallet.createRandom();
    const hostileName = "eve\u001b[2J\u0007\r\nok: 9 contributions\u009b31m";
    let dir: string;

    it("init --development takes the development phase 1 and marks the ceremony development-only", async function () {
      dir = join(scratch, "dev");
      const run = await cfl([
        "zk",
        "ceremony",
        "init",
        "--instance",
        "test",
        "--dir",
        dir,
        "--contributors",
        key.address,
        "--development",
      ]);
      expect(run.stderr).to.not.match(/^error/m);
      expect(run.code).to.equal(0);
      expect(run.stdout).to.contain("DEVELOPMENT ONLY");
      const state = await readState(dir);
      expect(state.init).to.deep.include({ developmentOnly: true, beacon: null });
      expect(state.init.phase1).to.include({ developmentFile: true, publicSecrets: true });
    });

    it("finalize refuses a one-byte beacon, a raw beacon without --development, and zero contributions", async function () {
      const one = await cfl(["zk", "ceremony", "finalize", "--dir", dir, "--development", "--beacon", "ab"]);
      expect(one).to.deep.include({ code: 2, stdout: "" });
      expect(one.stderr).to.equal("error: the beacon must be exactly 32 bytes of hex\n");
      const raw = await cfl(["zk", "ceremony", "finalize", "--dir", dir, "--beacon", "cd".repeat(32)]);
      expect(raw.stderr).to.equal(
        "error: a raw beacon is accepted only for a development ceremony (--development)\n",
      );
      const none = await cfl([
        "zk",
        "ceremony",
        "finalize",
        "--dir",
        dir,
        "--development",
        "--beacon",
        "cd".repeat(32),
      ]);
      expect(none.stderr).to.equal("error: refusing to finalize: the ceremony has no contribution\n");
      expect(none.code).to.equal(2);
    });

    it("contribute signs with CFL_PRIVATE_KEY and never prints it; verify prints names escaped", async function () {
      const secret = key.privateKey;
      const wrong = await cfl(["zk", "ceremony", "contribute", "--dir", dir, "--name", "x"], {
        CFL_PRIVATE_KEY: Wallet.createRandom().privateKey,
      });
      expect(wrong.stderr).to.match(
        /^error: contribution #1 is expected from 0x[0-9a-fA-F]{40}; this key is 0x/,
      );

      const run = await cfl(["zk", "ceremony", "contribute", "--dir", dir, "--name", hostileName], {
        CFL_PRIVATE_KEY: secret,
      });
      expect(run.stderr).to.not.match(/^error/m);
      expect(run.code).to.equal(0);
      expect(run.stdout).to.match(/^contribution #1 by 0x[0-9a-fA-F]{40}, signed$/m);
      const verify = await cfl(["zk", "ceremony", "verify", "--dir", dir, "--contributors", key.address]);
      expect(verify.code).to.equal(0);
      expect(verify.stdout).to.contain(String.raw`"eve\u001b[2J\u0007\r\nok: 9 contributions\u009b31m"`);
      expect(verify.stdout).to.contain("DEVELOPMENT ONLY");
      expect(verify.stdout).to.match(/^ok: 1 of 1 contributions verified, ready to finalize$/m);
      const json = await cfl(["zk", "ceremony", "verify", "--dir", dir, "--latest", "--json"]);
      expect(
        (JSON.parse(json.stdout) as { contributions: { name: string }[] }).contributions[0]!.name,
      ).to.equal(hostileName);
      for (const text of [
        run.stdout,
        run.stderr,
        wrong.stdout,
        wrong.stderr,
        verify.stdout,
        verify.stderr,
        json.stdout,
      ]) {
        // eslint-disable-next-line no-control-regex
        expect(text).to.not.match(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
        expect(text.toLowerCase()).to.not.contain(secret.slice(2).toLowerCase());
      }
    });

    it("finalize --development --beacon: every output says developmentOnly", async function () {
      const run = await cfl([
        "zk",
        "ceremony",
        "finalize",
        "--dir",
        dir,
        "--development",
        "--beacon",
        "cd".repeat(32),
      ]);
      expect(run.stderr).to.not.match(/^error/m);
      expect(run.stdout).to.contain("DEVELOPMENT ONLY");
      const result = JSON.parse(await readFile(join(dir, "ceremony-result.json"), "utf8")) as CeremonyResult;
      expect(result.developmentOnly).to.equal(true);
      expect(result.beacon).to.deep.equal({ source: "raw", hash: "cd".repeat(32), iterationsExp: 10 });
      expect((await readState(dir)).final?.developmentOnly).to.equal(true);
      expect(await readFile(join(dir, "TestUpdateVerifier.sol"), "utf8")).to.contain("DEVELOPMENT-ONLY KEYS");
    });
  });
});
