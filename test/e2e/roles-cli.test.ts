import { expect } from "chai";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hexlify, JsonRpcProvider, keccak256, toUtf8Bytes, Wallet } from "ethers";
import { attachContracts } from "../../src/chain/index.js";
import { deployConsortium } from "../../src/cli/commands/deploy.js";
import { loadReaderKey, writeReaderKey } from "../../src/config/index.js";
import { EntityKind, Operation, Role, validatePolicy, type TaskPolicy } from "../../src/governance/index.js";
import { encodeGlobalModel, globalModelHash, initialGlobalModel } from "../../src/model/index.js";
import {
  aggregateRound,
  attestRound,
  auditRound,
  closeRoundIfReady,
  commitMemberUpdate,
  openNextRound,
  type ReaderKey,
  type RoleEnvironment,
} from "../../src/roles/index.js";
import { generateReaderKeyPair } from "../../src/seal/index.js";
import { createHeliaStore, type HeliaContentStore } from "../../src/storage/index.js";
import { loadCircuitArtifacts, releaseZkWorkers, type CircuitArtifacts } from "../../src/zk/index.js";
import { runCli } from "./helpers.js";
import {
  devAccount,
  freePort,
  governanceClient,
  killAllChildren,
  startHardhatNode,
} from "./roles-helpers.js";

function expectOneErrorLine(stderr: string, ...fragments: string[]): void {
  const lines = stderr.trimEnd().split("\n");
  expect(lines, stderr).to.have.length(1);
  expect(lines[0]).to.match(/^error: /);
  for (const f of fragments) expect(lines[0]).to.include(f);
}

describe("cfl role commands: configuration errors", function () {
  let dir: string;
  before(async function () {
    dir = await mkdtemp(join(tmpdir(), "cfl-roles-cli-"));
  });

  it("refuses a config with a wrong field type in one error line naming the field (exit 2)", async function () {
    const path = join(dir, "bad-type.json");
    await writeFile(path, JSON.stringify({ pollIntervalMs: "fast", taskId: 1 }));
    const run = await runCli(["aggregator", "run", "--config", path]);
    expect(run.code).to.equal(2);
    expectOneErrorLine(run.stderr, "pollIntervalMs", path);
  });

  it("refuses an IPFS section without its path, and an unknown field, naming them", async function () {
    const path = join(dir, "bad-ipfs.json");
    await writeFile(
      path,
      JSON.stringify({ ipfs: { mode: "embedded", listen: [] }, rpcUrll: "http://127.0.0.1:1" }),
    );
    const run = await runCli(["member", "run", "--config", path]);
    expect(run.code).to.equal(2);
    expectOneErrorLine(run.stderr, "ipfs.path is required", "unknown field: rpcUrll");
  });

  it("names a field the command needs but the file lacks", async function () {
    const path = join(dir, "no-reader.json");
    await writeFile(path, JSON.stringify({ taskId: 1 }));
    const run = await runCli(["audit", "--config", path]);
    expect(run.code).to.equal(2);
    expectOneErrorLine(run.stderr, "readerKeyFile is required for cfl audit");
  });

  it("reports an unreachable chain by its rpcUrl, and a missing key by where keys come from", async function () {
    const port = await freePort();
    const path = join(dir, "no-chain.json");
    await writeFile(path, JSON.stringify({ rpcUrl: `http://127.0.0.1:${port}` }));
    const env = { CFL_PRIVATE_KEY: devAccount(0).privateKey };
    const unreachable = await runCli(
      ["deploy", "--config", path, "--governors", devAccount(0).address, "--quorum", "1"],
      {
        env,
      },
    );
    expect(unreachable.code).to.equal(2);
    expectOneErrorLine(unreachable.stderr, `rpcUrl http://127.0.0.1:${port}`);
    const noKey = await runCli(["member", "join", "--config", path], { env: { CFL_PRIVATE_KEY: "" } });
    expect(noKey.code).to.equal(2);
    expectOneErrorLine(noKey.stderr, "CFL_PRIVATE_KEY", "keystore.path");
  });

  it("refuses a malformed governance payload naming the field", async function () {
    const path = join(dir, "gov.json");
    await writeFile(
      path,
      JSON.stringify({ addresses: { consortium: devAccount(1).address, rounds: devAccount(2).address } }),
    );
    const payload = join(dir, "admit.json");
    await writeFile(
      payload,
      JSON.stringify({ account: "0x12", roles: ["member"], kind: "Supplier", encryptionKey: "00" }),
    );
    const run = await runCli(["governance", "propose", "AdmitMember", "--json", payload, "--config", path]);
    expect(run.code).to.equal(2);
    expectOneErrorLine(run.stderr, "AdmitMember payload", "account", "encryptionKey");
  });

  it("`member join --new-account` creates an encrypted account and a reader key, and never overwrites the key", async function () {
    const keystore = join(dir, "new.keystore.json");
    const readerKey = join(dir, "new.reader.json");
    const env = { CFL_KEYSTORE_PASSWORD: "pw", CFL_PRIVATE_KEY: "" };
    const run = await runCli(["member", "join", "--new-account", keystore, "--key-out", readerKey], { env });
    expect(run.code, run.stderr).to.equal(0);
    const joined = JSON.parse(run.stdout) as { address: string; encryptionKey: string };
    const wallet = await Wallet.fromEncryptedJson(await readFile(keystore, "utf8"), "pw");
    expect(wallet.address).to.equal(joined.address);
    const key = await loadReaderKey({ path: readerKey });
    expect(key.id).to.equal(joined.address);
    expect(hexlify(key.publicKey)).to.equal(joined.encryptionKey);
    const config = join(dir, "joined.json");
    await writeFile(config, JSON.stringify({ keystore: { path: keystore }, readerKeyFile: readerKey }));
    const again = await runCli(["member", "join", "--config", config], { env });
    expect(again.code).to.equal(2);
    expectOneErrorLine(again.stderr, "refusing to replace a key");
  });

  it("prints --help for every role command", async function () {
    for (const args of [
      ["deploy"],
      ["governance", "propose"],
      ["member", "run"],
      ["aggregator", "run"],
      ["auditor", "run"],
      ["audit"],
    ]) {
      const run = await runCli([...args, "--help"]);
      expect(run.code, args.join(" ")).to.equal(0);
      expect(run.stdout).to.include("--config");
    }
  });
});

/**
 * A history with one honest, finalized round and one round whose aggregator published a wrong model hash,
 * built in-process with real proofs against a `hardhat node`; `cfl audit` then replays it as a separate
 * process from events and the IPFS blockstore alone.
 */
describe("cfl audit on a tampered history", function () {
  this.timeout(600_000);
  let dir: string;
  let configPath: string;

  before(async function () {
    dir = await mkdtemp(join(tmpdir(), "cfl-audit-"));
    const { rpcUrl } = await startHardhatNode(await freePort());
    const provider = new JsonRpcProvider(rpcUrl, undefined, { staticNetwork: true, cacheTimeout: -1 });
    const wallet = (i: number) => new Wallet(devAccount(i).privateKey, provider);
    const governors = [0, 1, 2].map(wallet);
    const aggregator = wallet(3);
    const auditors = [4, 5].map(wallet);
    const members = [6, 7].map(wallet);
    const deployed = await deployConsortium({
      signer: governors[0]!,
      governors: governors.map((g) => g.address),
      quorum: 2,
      verifier: "test",
    });
    const addresses = { consortium: deployed.consortium, rounds: deployed.rounds };
    const contracts = attachContracts({ addresses, runner: provider });
    const governance = governanceClient({
      rpcUrl,
      consortium: addresses.consortium,
      governorKeys: [0, 1, 2].map((i) => devAccount(i).privateKey),
    });
    const readers = new Map<string, ReaderKey>();
    for (const [w, roles] of [
      [aggregator, Role.Aggregator],
      [auditors[0]!, Role.Auditor],
      [auditors[1]!, Role.Auditor],
      [members[0]!, Role.Member],
      [members[1]!, Role.Member],
    ] as const) {
      const pair = generateReaderKeyPair();
      readers.set(w.address, { id: w.address, ...pair });
      await governance.govern({
        kind: "AdmitMember",
        account: w.address,
        profile: {
          roles,
          kind: EntityKind.Manufacturer,
          encryptionKey: hexlify(pair.publicKey),
          metadataHash: keccak256(toUtf8Bytes(w.address)),
        },
      });
    }
    const artifacts: CircuitArtifacts = await loadCircuitArtifacts({ instance: "test" });
    const storePath = join(dir, "ipfs");
    const store: HeliaContentStore = await createHeliaStore({ path: storePath });
    try {
      const dimension = 64;
      const scale = 4096;
      const params0 = Float32Array.from({ length: dimension }, (_, i) => Math.sin(i) / 10);
      const model0 = encodeGlobalModel(initialGlobalModel({ task: 1, dimension, scale, params: params0 }));
      const cid0 = await store.put(model0);
      await store.pin(cid0);
      const now = BigInt((await provider.getBlock("latest"))!.timestamp);
      const policy: TaskPolicy = validatePolicy({
        policy: {
          modelId: keccak256(toUtf8Bytes("roles-cli test model")),
          initialModelHash: globalModelHash(model0),
          initialModelCid: cid0,
          dimension,
          maxNonZeros: artifacts.params.K,
          lInfBound: BigInt(2 ** (artifacts.params.VAL_BITS - 1) - 1),
          l2Bound: 4n * BigInt(scale),
          scale,
          aggregationRule: 0,
          ruleParameter: 0n,
          minParticipants: 2,
          attestationQuorum: 2,
          sensitivity: 1,
          allowedOperations: Operation.All,
          expiry: now + 86_400n,
          verifier: deployed.verifier!,
          verifyingKeyHash: artifacts.vkeyHash,
          readers: [aggregator.address, ...auditors.map((a) => a.address)],
        },
        circuit: {
          maxEntries: artifacts.params.K,
          idxBits: artifacts.params.IDX_BITS,
          valBits: artifacts.params.VAL_BITS,
        },
        now,
      });
      await governance.govern({ kind: "CreateTask", policy });
      for (const w of [aggregator, ...auditors, ...members]) {
        await governance.govern({ kind: "GrantTaskAccess", taskId: 1n, account: w.address });
      }
      governance.close();
      const env = (w: Wallet): RoleEnvironment => ({
        signer: w,
        address: w.address,
        contracts,
        store,
        taskId: 1n,
        fetchTimeoutMs: 5_000,
      });
      for (const tamper of ["none", "wrong-hash"] as const) {
        const round = await openNextRound({ env: env(aggregator), durationSeconds: 3600 });
        for (const [i, m] of members.entries()) {
          const delta = Float32Array.from(
            { length: dimension },
            (_, j) => Math.cos(j * (i + 2) + Number(round)) / 200,
          );
          await commitMemberUpdate({ env: env(m), round, delta, artifacts });
        }
        expect(await closeRoundIfReady({ env: env(aggregator), round })).to.equal(true);
        const reader = readers.get(aggregator.address)!;
        await aggregateRound({ env: env(aggregator), round, reader, circuit: artifacts.params, tamper });
        if (tamper === "none") {
          for (const a of auditors) {
            const verdict = await auditRound({
              env: env(a),
              round,
              reader: readers.get(a.address)!,
              circuit: artifacts.params,
            });
            await attestRound({ env: env(a), verdict });
          }
        }
      }
    } finally {
      await store.stop();
      await releaseZkWorkers();
      provider.destroy();
    }
    const readerKeyFile = join(dir, "auditor.reader.json");
    await writeReaderKey({ path: readerKeyFile, key: readers.get(auditors[0]!.address)! });
    await writeReaderKey({ path: join(dir, "member.reader.json"), key: readers.get(members[0]!.address)! });
    configPath = join(dir, "audit.json");
    await writeFile(
      configPath,
      JSON.stringify({
        rpcUrl,
        addresses,
        taskId: 1,
        readerKeyFile,
        circuit: "test",
        ipfs: { mode: "embedded", path: storePath },
      }),
    );
  });

  after(async function () {
    await killAllChildren();
  });

  it("prints a table with the honest round matching and the tampered one as MISMATCH, and exits 1", async function () {
    const run = await runCli(["audit", "--config", configPath]);
    expect(run.code, run.stderr).to.equal(1);
    const lines = run.stdout.trimEnd().split("\n");
    expect(lines[0]).to.match(/^round\s+status\s+commits/);
    expect(lines[2]).to.match(/^1\s+finalized\s+2\s+2\s+0\s+\S+\s+2\/0\s+match$/);
    expect(lines[3]).to.match(/^2\s+published\s+2\s+2\s+0\s+\S+\s+0\/0\s+MISMATCH$/);
    expect(run.stdout).to.match(/round 2: model hash: published 0x[0-9a-f]{64}, replay gives 0x[0-9a-f]{64}/);
  });

  it("refuses a reader key that is not the one admitted on chain (it would open no update)", async function () {
    const original = JSON.parse(await readFile(configPath, "utf8")) as Record<string, unknown>;
    const stranger = join(dir, "stranger.reader.json");
    await writeReaderKey({ path: stranger, key: { id: devAccount(4).address, ...generateReaderKeyPair() } });
    const strangerConfig = join(dir, "stranger.json");
    await writeFile(strangerConfig, JSON.stringify({ ...original, readerKeyFile: stranger }));
    const run = await runCli(["audit", "--config", strangerConfig]);
    expect(run.code).to.equal(2);
    expectOneErrorLine(run.stderr, "not the encryption key admitted on chain");
  });

  it("marks rounds a non-reader's key cannot open as not-a-reader and fails the audit", async function () {
    const original = JSON.parse(await readFile(configPath, "utf8")) as Record<string, unknown>;
    const memberConfig = join(dir, "member-audit.json");
    await writeFile(
      memberConfig,
      JSON.stringify({ ...original, readerKeyFile: join(dir, "member.reader.json") }),
    );
    const run = await runCli(["audit", "--config", memberConfig, "--json"]);
    expect(run.code, run.stderr).to.equal(1);
    const report = JSON.parse(run.stdout) as { unverifiable: number; rounds: { verdict: string }[] };
    expect(report.rounds.map((r) => r.verdict)).to.deep.equal(["not-a-reader", "not-a-reader"]);
    expect(report.unverifiable).to.equal(2);
  });

  it("gives the same verdicts as JSON with --json", async function () {
    const run = await runCli(["audit", "--config", configPath, "--json"]);
    expect(run.code, run.stderr).to.equal(1);
    const report = JSON.parse(run.stdout) as {
      mismatches: number;
      rounds: { round: number; verdict: string }[];
    };
    expect(report.mismatches).to.equal(1);
    expect(report.rounds.map((r) => r.verdict)).to.deep.equal(["match", "mismatch"]);
  });
});
