/**
 * `cfl` runs after `npm ci --omit=dev`: the project's files (what git tracks, or would: no node_modules, no
 * build output) are copied to a temporary directory and installed there without development dependencies;
 * then `cfl` from that tree prints its help, deploys the contracts with plain ethers factories to a
 * `hardhat node` on loopback, proposes, approves, executes and lists a governance proposal, and refuses the
 * commands that need Hardhat with one line each.
 *
 * The install runs offline, from the npm cache the project's own install filled: this test makes no
 * connection other than to 127.0.0.1.
 */
import { expect } from "chai";
import { execFileSync, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { ROOT, type CliRun } from "./helpers.js";
import { devAccount, freePort, startHardhatNode, type Child } from "./roles-helpers.js";

/** The project's files as a fresh clone would have them: tracked or committable, and present. */
function projectFiles(): string[] {
  const listed = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
    cwd: ROOT,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  return listed.split("\0").filter((f) => f !== "" && existsSync(join(ROOT, f)));
}

/** Environment for children: this Node 22 first on PATH, and no settings of the npm run that started us. */
function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  for (const key of Object.keys(env)) if (key.toLowerCase().startsWith("npm_")) delete env[key];
  env.PATH = `${dirname(process.execPath)}:${process.env.PATH ?? ""}`;
  return env;
}

function run(
  command: string,
  args: string[],
  { cwd, env, timeoutMs }: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number },
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${command} ${args.join(" ")} timed out after ${timeoutMs} ms\n${stderr}`));
    }, timeoutMs);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function expectOneErrorLine(result: CliRun, text: string): void {
  expect(result.code, result.stderr).to.equal(2);
  expect(result.stderr.trimEnd().split("\n"), result.stderr).to.deep.equal([`error: ${text}`]);
}

describe("cfl after npm ci --omit=dev (no development dependencies)", function () {
  let tree: string;
  let work: string;
  let node: Child | undefined;
  let rpcUrl: string;
  const governor = devAccount(0);

  /** `cfl` from the production tree, with this Node 22, in a scratch directory (no ./cfl.config.json). */
  const cfl = (args: string[], env: Record<string, string> = {}): Promise<CliRun> =>
    run(process.execPath, [join(tree, "bin", "cfl.js"), ...args], {
      cwd: work,
      env: childEnv(env),
      timeoutMs: 300_000,
    });

  before(async function () {
    tree = await mkdtemp(join(tmpdir(), "cfl-production-"));
    work = await mkdtemp(join(tmpdir(), "cfl-production-work-"));
    for (const file of projectFiles()) {
      await mkdir(dirname(join(tree, file)), { recursive: true });
      await copyFile(join(ROOT, file), join(tree, file));
    }
    expect(
      existsSync(join(tree, "types", "ethers-contracts", "index.ts")),
      "the committed bindings",
    ).to.equal(true);
    const started = Date.now();
    const install = await run(
      "npm",
      ["ci", "--omit=dev", "--offline", "--no-audit", "--no-fund", "--loglevel=error"],
      { cwd: tree, env: childEnv(), timeoutMs: 900_000 },
    );
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    expect(install.code, `npm ci --omit=dev failed:\n${install.stderr}`).to.equal(0);
    console.log(`      (npm ci --omit=dev --offline: ${seconds} s)`);
    expect(existsSync(join(tree, "node_modules", "tsx")), "a production dependency").to.equal(true);
    expect(existsSync(join(tree, "node_modules", "hardhat")), "Hardhat, a development dependency").to.equal(
      false,
    );
  });

  after(async function () {
    if (node && node.process.exitCode === null && node.process.signalCode === null) {
      node.process.kill("SIGKILL");
      await node.exited;
    }
    if (tree) await rm(tree, { recursive: true, force: true });
    if (work) await rm(work, { recursive: true, force: true });
  });

  it("prints its help", async function () {
    const help = await cfl(["--help"]);
    expect(help.code, help.stderr).to.equal(0);
    expect(help.stdout).to.include("Usage: cfl");
    expect(help.stderr).to.equal("");
  });

  it("refuses the commands that run on Hardhat in one line each, naming what to install", async function () {
    expectOneErrorLine(
      await cfl(["demo"]),
      "cfl demo runs on Hardhat's in-process chain, a development dependency: install with npm ci (without --omit=dev)",
    );
    expectOneErrorLine(
      await cfl(["deploy", "--governors", governor.address, "--quorum", "1"]),
      "cfl deploy --with ignition runs Hardhat Ignition, a development dependency: install with npm ci " +
        "(without --omit=dev), or deploy with --with ethers",
    );
  });

  it("deploys with ethers factories to a hardhat node, proposes, approves, executes and lists by governance, and serves the web console", async function () {
    ({ child: node, rpcUrl } = await startHardhatNode(await freePort()));
    const env = { CFL_PRIVATE_KEY: governor.privateKey };
    const deployConfig = join(work, "deploy.json");
    await writeFile(deployConfig, JSON.stringify({ rpcUrl }));
    const deployed = await cfl(
      [
        "deploy",
        "--development",
        "--with",
        "ethers",
        "--governors",
        governor.address,
        "--quorum",
        "1",
        "--config",
        deployConfig,
        "--quiet",
      ],
      env,
    );
    expect(deployed.code, deployed.stderr).to.equal(0);
    const record = JSON.parse(deployed.stdout) as {
      consortium: string;
      rounds: string;
      development: boolean;
    };
    expect(record.development).to.equal(true);

    const config = join(work, "governor.json");
    await writeFile(
      config,
      JSON.stringify({ rpcUrl, addresses: { consortium: record.consortium, rounds: record.rounds } }),
    );
    const governance = async (args: string[]): Promise<Record<string, unknown>> => {
      const result = await cfl(["governance", ...args, "--config", config], env);
      expect(result.code, `cfl governance ${args.join(" ")}: ${result.stderr}`).to.equal(0);
      return JSON.parse(result.stdout) as Record<string, unknown>;
    };
    // The committed development key of the `test` instance: registrable on a development deployment.
    const proposed = await governance(["propose", "register-key", "--instance", "test", "--quiet"]);
    expect(proposed.kind).to.equal("RegisterVerifyingKey");
    const id = String(proposed.proposalId);
    await governance(["approve", id]);
    await governance(["execute", id]);
    const listed = (await governance(["list", "--json"])) as {
      proposals: { id: string; kind: string; state: string; approvals: number }[];
    };
    expect(listed.proposals).to.have.length(1);
    expect(listed.proposals[0]).to.include({
      id,
      kind: "RegisterVerifyingKey",
      state: "executed",
      approvals: 1,
    });

    // The web console builds and serves from the production install (esbuild and Preact are dependencies).
    const web = spawn(
      process.execPath,
      [join(tree, "bin", "cfl.js"), "web", "--config", config, "--port", "0", "--quiet"],
      {
        cwd: work,
        env: childEnv(),
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    try {
      let out = "";
      let err = "";
      web.stdout.on("data", (d: Buffer) => (out += d.toString()));
      web.stderr.on("data", (d: Buffer) => (err += d.toString()));
      const deadline = Date.now() + 120_000;
      while (!out.includes("\n") && web.exitCode === null && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 100));
      const url = out.trim();
      expect(url, err).to.match(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      const script = await fetch(`${url}app.js`);
      expect(script.status).to.equal(200);
      expect((await script.text()).length).to.be.greaterThan(100_000);
      const chainId = (await (
        await fetch(`${url}rpc`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
        })
      ).json()) as { result: string };
      expect(chainId.result).to.equal("0x7a69");
    } finally {
      web.kill("SIGINT");
      await new Promise((r) => web.once("exit", r));
    }
  });
});
