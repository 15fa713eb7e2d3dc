/**
 * `npm run zk:setup -- --ptau FILE --out DIR`: the setup on an existing phase-1 file instead of the development
 * one. The file is verified before anything is built, what comes out works (a real proof verifies under its
 * key), and the repository's committed development keys are never touched.
 */
import { execFile } from "node:child_process";
import { readFile, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { expect } from "chai";
import * as snarkjs from "snarkjs";
import {
  buildWitnessInput,
  proveWitnessInput,
  randomSalt,
  releaseZkWorkers,
  verifyUpdateProof,
  ZkSetupError,
} from "../../src/zk/index.js";
import { readKeyFile, REPO_ROOT, runSetupWithPhase1 } from "../../src/zk/setup/index.js";
import { verifierPath } from "../../src/zk/setup/lock.js";
import { twoPartyPtau } from "./ceremony-fixtures.js";
import { BOUNDS, CONTEXT } from "./helpers.js";

const run = promisify(execFile);

interface PowersOfTau {
  newAccumulator(curve: unknown, power: number, out: string): Promise<unknown>;
}

async function refusal(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a refusal");
}

describe("zk:setup --ptau: the setup on an existing phase-1 file", function () {
  this.timeout(20 * 60_000);
  let out: string;

  before(async function () {
    out = await mkdtemp(join(tmpdir(), "cfl-setup-ptau-"));
  });
  after(async function () {
    await rm(out, { recursive: true, force: true });
    await releaseZkWorkers();
  });

  it("verifies a two-party phase 1, builds the test instance on it and writes only to --out", async function () {
    const committedBefore = await readFile(verifierPath("test"), "utf8");
    const result = await runSetupWithPhase1({ instances: ["test"], ptau: await twoPartyPtau(), out });
    expect(result.phase1.info.contributions).to.have.length(2);
    expect(result.phase1.blake2b512).to.match(/^[0-9a-f]{128}$/);
    const [only] = result.builds;
    expect(only!.verifier).to.equal(join(out, "TestUpdateVerifier.sol"));
    // Another phase 1, another key: not the committed development key, which stays as it was.
    const committed = await readKeyFile({ instance: "test" });
    expect(only!.build.keyHash).to.not.equal(committed.keyHash);
    expect(await readFile(verifierPath("test"), "utf8")).to.equal(committedBefore);
    const written = JSON.parse(await readFile(only!.keyFile, "utf8")) as { keyHash: string };
    expect(written.keyHash).to.equal(only!.build.keyHash);
    // The key works: an honest update proves under it and verifies with its verifying key.
    const input = buildWitnessInput({
      update: { dimension: BOUNDS.d, indices: Uint32Array.of(3, 70), values: Int32Array.of(-500, 900) },
      context: CONTEXT,
      salt: randomSalt(),
      policyBounds: BOUNDS,
      params: only!.build.instance.parameters,
    });
    const proved = await proveWitnessInput({
      input,
      artifacts: { wasmPath: only!.build.wasmPath, zkeyPath: only!.zkey },
    });
    expect(
      await verifyUpdateProof({
        vkey: only!.build.vkey,
        proof: proved.proof,
        publicInputs: proved.publicSignals,
      }),
    ).to.equal(true);
  });

  it("refuses a phase 1 without contributions, or of too small a power, before building anything", async function () {
    const empty = join(out, "empty.ptau");
    const curve = await snarkjs.curves.getCurveFromName("bn128");
    try {
      await (snarkjs.powersOfTau as unknown as PowersOfTau).newAccumulator(curve, 12, empty);
    } finally {
      // Its worker threads would otherwise keep the test process alive.
      await curve.terminate();
    }
    const dir = join(out, "refused");
    const none = await refusal(runSetupWithPhase1({ instances: ["test"], ptau: empty, out: dir }));
    expect(none).to.be.instanceOf(ZkSetupError);
    expect(none.message).to.match(/has no contribution: its secrets are public/);
    const small = await refusal(
      runSetupWithPhase1({ instances: ["demo"], ptau: await twoPartyPtau(), out: dir }),
    );
    expect(small.message).to.match(/has power 12; this circuit needs at least 14/);
  });

  it("the script needs --ptau and --out together and says so in one line", async function () {
    const script = join(REPO_ROOT, "scripts", "zk-setup.ts");
    const failure = await run("npx", ["tsx", script, "--ptau", "x.ptau", "test"], { cwd: REPO_ROOT }).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failure?.code).to.equal(1);
    expect(failure?.stderr.trim().split("\n")).to.deep.equal([
      "zk: zk-setup: --ptau FILE and --out DIR go together, without --check",
    ]);
  });
});
