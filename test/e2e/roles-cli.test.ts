import { expect } from "chai";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hexlify, JsonRpcProvider, keccak256, toUtf8Bytes, Wallet } from "ethers";
import { tamperingAggregator } from "../../src/adversary/index.js";
import { attachContracts } from "../../src/chain/index.js";
import { deployConsortium } from "../../src/cli/commands/deploy.js";
import { loadReaderKey, writeReaderKey } from "../../src/config/index.js";
import {
  draftTaskPolicy,
  EntityKind,
  MemberStatus,
  Role,
  type TaskPolicy,
} from "../../src/governance/index.js";
import { encodeGlobalModel, globalModelHash, initialGlobalModel } from "../../src/model/index.js";
import {
  aggregateRound,
  attestRound,
  auditRound,
  closeRoundIfReady,
  commitMemberUpdate,
  openNextRound,
  type ReaderGroupKey,
  type ReaderKey,
  type RoleEnvironment,
} from "../../src/roles/index.js";
import { createReaderGroup, generateReaderKeyPair } from "../../src/seal/index.js";
import { createHeliaStore, type HeliaContentStore } from "../../src/storage/index.js";
import {
  committedDevelopmentKey,
  loadCircuitArtifacts,
  releaseZkWorkers,
  type CircuitArtifacts,
} from "../../src/zk/index.js";
import { runCli } from "./helpers.js";
import {
  devAccount,
  freePort,
  governanceClient,
  governWithCli,
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

  it("no longer deploys verifiers, and refuses a committed development key passed off as a production key", async function () {
    const noVerifier = await runCli([
      "deploy",
      "--governors",
      devAccount(0).address,
      "--quorum",
      "1",
      "--verifier",
      "test",
    ]);
    expect(noVerifier.code).to.equal(2);
    expectOneErrorLine(noVerifier.stderr, "--verifier");
    // The committed development key of `test`, as a snarkjs verifying key (what a ceremony hands out).
    const { vkey } = await loadCircuitArtifacts({ instance: "test" });
    const vkeyFile = join(dir, "test.vkey.json");
    await writeFile(vkeyFile, JSON.stringify(vkey));
    const env = { CFL_PRIVATE_KEY: devAccount(0).privateKey };
    const passedOff = await runCli(
      ["governance", "propose", "register-key", "--vkey", vkeyFile, "--shape", "16,12,16"],
      { env },
    );
    expect(passedOff.code).to.equal(2);
    expectOneErrorLine(passedOff.stderr, 'committed development key of instance "test"', "--development");
    const mixed = await runCli(
      ["governance", "propose", "register-key", "--instance", "test", "--round", "2"],
      { env },
    );
    expect(mixed.code).to.equal(2);
    expectOneErrorLine(mixed.stderr, "--round does not apply to RegisterVerifyingKey");
    const noKey = await runCli(
      [
        "governance",
        "draft-task",
        "--reader-key",
        "0x" + "11".repeat(32),
        "--readers",
        devAccount(3).address,
      ],
      { env },
    );
    expect(noKey.code).to.equal(2);
    expectOneErrorLine(noKey.stderr, "--key-hash", "--instance");
  });

  it("prints --help for every role command", async function () {
    for (const args of [
      ["deploy"],
      ["governance", "propose"],
      ["governance", "execute"],
      ["governance", "apply-resolution"],
      ["governance", "reader-group", "create"],
      ["governance", "draft-task"],
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
 * A history built in-process with real proofs against a `hardhat node`: round 1 honest and finalized,
 * round 2 with a wrong model hash that both auditors dispute, round 3 honest but disputed by a lying
 * auditor. `cfl audit` replays it as a separate process (envelopes from the chain, models from the IPFS
 * blockstore), shows each dispute's evidence, and governance resolves both disputes through the CLI.
 */
describe("cfl audit and dispute resolution on a tampered history", function () {
  this.timeout(600_000);
  let dir: string;
  let configPath: string;
  let governorConfig: string;
  let rpcUrl: string;
  let addresses: { consortium: string; rounds: string };
  let aggregatorAddress: string;
  let auditorAddresses: string[];
  const governorKeys = [0, 1, 2].map((i) => devAccount(i).privateKey);

  before(async function () {
    dir = await mkdtemp(join(tmpdir(), "cfl-audit-"));
    ({ rpcUrl } = await startHardhatNode(await freePort()));
    const provider = new JsonRpcProvider(rpcUrl, undefined, { staticNetwork: true, cacheTimeout: -1 });
    const wallet = (i: number) => new Wallet(devAccount(i).privateKey, provider);
    const governors = [0, 1, 2].map(wallet);
    const aggregator = wallet(3);
    const auditors = [4, 5].map(wallet);
    const members = [6, 7].map(wallet);
    aggregatorAddress = aggregator.address;
    auditorAddresses = auditors.map((a) => a.address);
    const deployed = await deployConsortium({
      signer: governors[0]!,
      governors: governors.map((g) => g.address),
      quorum: 2,
      development: true,
    });
    expect(deployed.development).to.equal(true);
    addresses = { consortium: deployed.consortium, rounds: deployed.rounds };
    const contracts = attachContracts({ addresses, runner: provider });
    expect(await contracts.consortium.verifyingKeys()).to.equal(deployed.verifyingKeyRegistry);
    const governance = governanceClient({
      rpcUrl,
      consortium: addresses.consortium,
      governorKeys: [0, 1, 2].map((i) => devAccount(i).privateKey),
    });
    const key = await committedDevelopmentKey({ instance: "test" });
    await governance.govern({
      kind: "RegisterVerifyingKey",
      words: key.words,
      shape: key.shape,
      developmentOnly: key.developmentOnly,
    });
    const personal = new Map<string, ReaderKey>();
    for (const [w, roles] of [
      [aggregator, Role.Aggregator],
      [auditors[0]!, Role.Auditor],
      [auditors[1]!, Role.Auditor],
      [members[0]!, Role.Member],
      [members[1]!, Role.Member],
    ] as const) {
      const pair = generateReaderKeyPair();
      personal.set(w.address, { id: w.address, ...pair });
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
    const readers = [aggregator, ...auditors].map((w) => personal.get(w.address)!);
    const group = createReaderGroup({
      readers: readers.map((r) => ({ id: r.id, publicKey: r.publicKey })),
      dealer: aggregator.address,
    });
    await writeFile(join(dir, "group.json"), JSON.stringify(group.bundle));
    const groupKey = (w: Wallet): ReaderGroupKey => ({ reader: w.address, secretKey: group.secretKey });
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
      const policy: TaskPolicy = draftTaskPolicy({
        model: { name: "roles-cli test model", dimension, hash: globalModelHash(model0), cid: cid0 },
        verifyingKey: key,
        readers: {
          key: group.bundle.publicKey,
          addresses: [aggregator.address, ...auditors.map((a) => a.address)],
        },
        now,
        settings: {
          scale,
          minParticipants: 2,
          maxCommits: 16,
          // One of the two auditors suffices (rounds still wait for both, or the window), so governance can
          // suspend a lying auditor without leaving the task below its quorum.
          attestationQuorum: 1,
          sensitivity: 1,
          expiry: now + 86_400n,
        },
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
      for (const tamper of ["none", "wrong-hash", "lying-auditor"] as const) {
        const round = await openNextRound({ env: env(aggregator), durationSeconds: 3600 });
        for (const [i, m] of members.entries()) {
          const delta = Float32Array.from(
            { length: dimension },
            (_, j) => Math.cos(j * (i + 2) + Number(round)) / 200,
          );
          await commitMemberUpdate({ env: env(m), round, delta, artifacts });
        }
        expect(await closeRoundIfReady({ env: env(aggregator), round })).to.equal(true);
        await aggregateRound({
          env: env(aggregator),
          round,
          reader: groupKey(aggregator),
          seams: tamperingAggregator({
            tamper: tamper === "wrong-hash" ? "wrong-hash" : "none",
            groupSecretKey: groupKey(aggregator).secretKey,
          }),
        });
        for (const [i, a] of auditors.entries()) {
          const verdict = await auditRound({ env: env(a), round, reader: groupKey(a) });
          // In round 3 the second auditor lies: it attests a mismatch on an honest round.
          const lie = tamper === "lying-auditor" && i === 1;
          await attestRound({ env: env(a), verdict: lie ? { ...verdict, matches: false } : verdict });
        }
      }
    } finally {
      await store.stop();
      await releaseZkWorkers();
      provider.destroy();
    }
    const readerKeyFile = join(dir, "auditor.reader.json");
    await writeReaderKey({ path: readerKeyFile, key: personal.get(auditors[0]!.address)! });
    await writeReaderKey({ path: join(dir, "member.reader.json"), key: personal.get(members[0]!.address)! });
    configPath = join(dir, "audit.json");
    await writeFile(
      configPath,
      JSON.stringify({
        rpcUrl,
        addresses,
        taskId: 1,
        readerKeyFile,
        readerGroupFile: "group.json",
        circuit: "test",
        ipfs: { mode: "embedded", path: storePath },
      }),
    );
    governorConfig = join(dir, "governor.json");
    await writeFile(governorConfig, JSON.stringify({ rpcUrl, addresses, taskId: 1 }));
  });

  after(async function () {
    await killAllChildren();
  });

  it("prints a table (finalized, disputed) with each dispute's evidence, and exits 1 while a mismatch is unresolved", async function () {
    const run = await runCli(["audit", "--config", configPath]);
    expect(run.code, run.stderr).to.equal(1);
    const lines = run.stdout.trimEnd().split("\n");
    expect(lines[0]).to.match(/^round\s+status\s+commits/);
    expect(lines[2]).to.match(/^1\s+finalized\s+2\s+2\s+0\s+\S+\s+2\/0\s+match$/);
    expect(lines[3]).to.match(/^2\s+disputed\s+2\s+2\s+0\s+\S+\s+0\/2\s+MISMATCH$/);
    expect(lines[4]).to.match(/^3\s+disputed\s+2\s+2\s+0\s+\S+\s+1\/1\s+match$/);
    expect(run.stdout).to.match(/round 2: model hash: published 0x[0-9a-f]{64}, replay gives 0x[0-9a-f]{64}/);
    const [agg, aud1, aud2] = [aggregatorAddress, ...auditorAddresses];
    expect(run.stdout).to.include(`round 2 dispute: aggregator ${agg} published`);
    expect(run.stdout).to.match(
      new RegExp(`${aud1}\\s+attested MISMATCH, replayed \\S+ \\(differs from published\\)`),
    );
    expect(run.stdout).to.include(`round 3 dispute: aggregator ${agg} published`);
    expect(run.stdout).to.include("this replay gives the published hash");
    expect(run.stdout).to.match(new RegExp(`${aud1}\\s+attested match, replayed \\S+ \\(= published\\)`));
    expect(run.stdout).to.match(new RegExp(`${aud2}\\s+attested MISMATCH, replayed \\S+ \\(= published\\)`));
    expect(run.stdout).to.include(
      "unresolved: governors decide with `cfl governance propose resolve-dispute --task 1 --round 2",
    );
  });

  it("gives the same verdicts and the evidence as JSON with --json", async function () {
    const run = await runCli(["audit", "--config", configPath, "--json"]);
    expect(run.code, run.stderr).to.equal(1);
    const report = JSON.parse(run.stdout) as {
      mismatches: number;
      rounds: { round: number; verdict: string; status: string }[];
      disputes: { round: number; resolution: string; attestations: { matches: boolean }[] }[];
    };
    expect(report.mismatches).to.equal(1);
    expect(report.rounds.map((r) => [r.status, r.verdict])).to.deep.equal([
      ["finalized", "match"],
      ["disputed", "mismatch"],
      ["disputed", "match"],
    ]);
    expect(
      report.disputes.map((d) => [d.round, d.resolution, d.attestations.map((a) => a.matches)]),
    ).to.deep.equal([
      [2, "unresolved", [false, false]],
      [3, "unresolved", [true, false]],
    ]);
  });

  it("refuses a reader key that is not the one admitted on chain (it would open nothing)", async function () {
    const original = JSON.parse(await readFile(configPath, "utf8")) as Record<string, unknown>;
    const stranger = join(dir, "stranger.reader.json");
    await writeReaderKey({ path: stranger, key: { id: devAccount(4).address, ...generateReaderKeyPair() } });
    const strangerConfig = join(dir, "stranger.json");
    await writeFile(strangerConfig, JSON.stringify({ ...original, readerKeyFile: stranger }));
    const run = await runCli(["audit", "--config", strangerConfig]);
    expect(run.code).to.equal(2);
    expectOneErrorLine(run.stderr, "not the encryption key admitted on chain");
  });

  it("refuses a reader group other than the one the task's policy pins, and a key outside the group", async function () {
    const original = JSON.parse(await readFile(configPath, "utf8")) as Record<string, unknown>;
    // The same readers, a different group: its key is not the policy's readerKey.
    const provider = new JsonRpcProvider(rpcUrl, undefined, { staticNetwork: true, cacheTimeout: -1 });
    const { consortium } = attachContracts({ addresses, runner: provider });
    const readers = await Promise.all(
      [aggregatorAddress, ...auditorAddresses].map(async (id) => ({
        id,
        publicKey: Uint8Array.from(
          Buffer.from((await consortium.member(id)).profile.encryptionKey.slice(2), "hex"),
        ),
      })),
    );
    provider.destroy();
    const other = createReaderGroup({ readers, dealer: aggregatorAddress });
    await writeFile(join(dir, "other-group.json"), JSON.stringify(other.bundle));
    const otherConfig = join(dir, "other-group-audit.json");
    await writeFile(otherConfig, JSON.stringify({ ...original, readerGroupFile: "other-group.json" }));
    const wrongGroup = await runCli(["audit", "--config", otherConfig]);
    expect(wrongGroup.code).to.equal(2);
    expectOneErrorLine(wrongGroup.stderr, "other-group.json", "policy v1 pins readerKey");
    // A member's own key is admitted on chain but cannot open the readers' group.
    const memberConfig = join(dir, "member-audit.json");
    await writeFile(
      memberConfig,
      JSON.stringify({ ...original, readerKeyFile: join(dir, "member.reader.json") }),
    );
    const member = await runCli(["audit", "--config", memberConfig]);
    expect(member.code).to.equal(2);
    expectOneErrorLine(member.stderr, "not one of the group's readers");
    // The group file from the environment overrides the configuration's.
    const fromEnv = await runCli(["audit", "--config", configPath], {
      env: { CFL_READER_GROUP: join(dir, "other-group.json") },
    });
    expect(fromEnv.code).to.equal(2);
    expectOneErrorLine(fromEnv.stderr, "other-group.json");
  });

  it("`propose resolve-dispute` computes whom to suspend from the chain and shows the evidence", async function () {
    const env = { CFL_PRIVATE_KEY: governorKeys[0]! };
    const confirm = await runCli(
      [
        "governance",
        "propose",
        "resolve-dispute",
        "--round",
        "2",
        "--confirm",
        "--dry-run",
        "--config",
        governorConfig,
      ],
      { env },
    );
    expect(confirm.code, confirm.stderr).to.equal(0);
    const plan = JSON.parse(confirm.stdout) as {
      suspend: string[];
      upholdModel: boolean;
      evidence: { attestations: unknown[] };
    };
    expect(plan.upholdModel).to.equal(false);
    expect(plan.suspend).to.deep.equal([aggregatorAddress]);
    expect(plan.evidence.attestations).to.have.length(2);
    expect(confirm.stderr)
      .to.include("task 1 round 2 (disputed)")
      .and.include("proposal: confirm the dispute");
    const uphold = await runCli(
      [
        "governance",
        "propose",
        "resolve-dispute",
        "--round",
        "3",
        "--uphold",
        "--dry-run",
        "--config",
        governorConfig,
      ],
      { env },
    );
    expect(uphold.code, uphold.stderr).to.equal(0);
    expect((JSON.parse(uphold.stdout) as { suspend: string[] }).suspend).to.deep.equal([auditorAddresses[1]]);
    const both = await runCli(
      [
        "governance",
        "propose",
        "resolve-dispute",
        "--round",
        "3",
        "--uphold",
        "--confirm",
        "--config",
        governorConfig,
      ],
      { env },
    );
    expect(both.code).to.equal(2);
    expectOneErrorLine(both.stderr, "exactly one of --uphold or --confirm");
    const notDisputed = await runCli(
      ["governance", "propose", "resolve-dispute", "--round", "1", "--uphold", "--config", governorConfig],
      { env },
    );
    expect(notDisputed.code).to.equal(2);
    expectOneErrorLine(notDisputed.stderr, "round 1 of task 1 is finalized, not disputed");
  });

  it("resolves both disputes by governance; `execute` applies them, and the audit then passes", async function () {
    const confirmed = await governWithCli({
      config: governorConfig,
      governorKeys,
      quorum: 2,
      propose: ["resolve-dispute", "--round", "2", "--confirm", "--quiet"],
    });
    expect(confirmed.proposed.kind).to.equal("ResolveDispute");
    expect(confirmed.executed.applied).to.deep.include({ round: "2", status: "resolved" });
    const upheld = await governWithCli({
      config: governorConfig,
      governorKeys,
      quorum: 2,
      propose: ["resolve-dispute", "--round", "3", "--uphold", "--quiet"],
    });
    expect(upheld.executed.applied).to.deep.include({ round: "3", status: "resolved" });
    const provider = new JsonRpcProvider(rpcUrl, undefined, { staticNetwork: true, cacheTimeout: -1 });
    const { consortium, rounds } = attachContracts({ addresses, runner: provider });
    expect(Number((await consortium.member(aggregatorAddress)).status)).to.equal(MemberStatus.Suspended);
    expect(Number((await consortium.member(auditorAddresses[1]!)).status)).to.equal(MemberStatus.Suspended);
    expect(Number((await consortium.member(auditorAddresses[0]!)).status)).to.equal(MemberStatus.Active);
    // The upheld round 3 is the task's model now (nothing later finalized).
    const [finalizedRound] = await rounds.lastFinalized(1n);
    expect(finalizedRound).to.equal(3n);
    provider.destroy();

    const run = await runCli(["audit", "--config", configPath]);
    expect(run.code, run.stdout + run.stderr).to.equal(0);
    const lines = run.stdout.trimEnd().split("\n");
    expect(lines[3]).to.match(/^2\s+resolved\s+2\s+2\s+0\s+\S+\s+0\/2\s+MISMATCH$/);
    expect(lines[4]).to.match(/^3\s+resolved\s+2\s+2\s+0\s+\S+\s+1\/1\s+match$/);
    expect(run.stdout).to.include(`resolution: DisputeConfirmed, suspended ${aggregatorAddress}`);
    expect(run.stdout).to.include(`resolution: ModelUpheld, suspended ${auditorAddresses[1]}`);
    const again = await runCli(
      ["governance", "propose", "resolve-dispute", "--round", "2", "--uphold", "--config", governorConfig],
      { env: { CFL_PRIVATE_KEY: governorKeys[0]! } },
    );
    expect(again.code).to.equal(2);
    expectOneErrorLine(again.stderr, "round 2 of task 1 is resolved, not disputed");
  });
});
