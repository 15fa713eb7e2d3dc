import { expect } from "chai";
import { copyFile, mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encryptKeystoreJsonSync, hexlify, JsonRpcProvider } from "ethers";
import { EntityKind, Role } from "../../src/governance/index.js";
import { RoundStatus } from "../../src/chain/index.js";
import { AI4I_DEFAULT_PATH, initBackend } from "../../src/learning/index.js";
import { tf } from "../../src/learning/backend.js";
import { generateReaderKeyPair } from "../../src/seal/index.js";
import { FederatedRounds__factory } from "../../types/ethers-contracts/index.js";
import { runCli } from "./helpers.js";
import {
  deployWithCli,
  devAccount,
  freePort,
  governanceClient,
  governWithCli,
  killAllChildren,
  readerGroupWithCli,
  roleConfigWriter,
  spawnCfl,
  startHardhatNode,
  type Child,
} from "./roles-helpers.js";

const TASK = 1n;

/** Splits the shipped AI4I file into one file per product type, as three plants' own records. */
async function writeMemberRecords(dir: string): Promise<string[] & { rows: number[] }> {
  const [header, ...lines] = (await readFile(AI4I_DEFAULT_PATH, "utf8")).trim().split("\n");
  const files = Object.assign([] as string[], { rows: [] as number[] });
  for (const type of ["L", "M", "H"]) {
    // Every third row keeps the members' training quick.
    const rows = lines.filter((l, i) => l.split(",")[2] === type && i % 3 === 0);
    const path = join(dir, `plant-${type}.csv`);
    await writeFile(path, [header, ...rows].join("\n") + "\n");
    files.push(path);
    files.rows.push(rows.length);
  }
  return files;
}

/** The task's model as TF.js writes it: model.json and a weights file beside it. */
async function saveTaskModel({ dir, features }: { dir: string; features: number }): Promise<string> {
  await initBackend();
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ name: "hidden", units: 16, activation: "relu", inputShape: [features] }),
      tf.layers.dense({ name: "failure", units: 2, activation: "softmax" }),
    ],
  });
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler((artifacts) => {
      saved = artifacts;
      return Promise.resolve({ modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } });
    }),
  );
  model.dispose();
  const path = join(dir, "model.json");
  await writeFile(join(dir, "weights.bin"), new Uint8Array(saved!.weightData as ArrayBuffer));
  await writeFile(
    path,
    JSON.stringify({
      format: "layers-model",
      modelTopology: saved!.modelTopology,
      weightsManifest: [{ paths: ["weights.bin"], weights: saved!.weightSpecs }],
    }),
  );
  return path;
}
/** The aggregator's commit window; the chain idles for longer than this before the first round opens. */
const ROUND_SECONDS = 45;

/**
 * The deployment shape of a real consortium on one machine: a JSON-RPC chain (`hardhat node`, which mines
 * only when a transaction arrives), and every role as its own `cfl ... run` process with its own key,
 * configuration and embedded Helia node; the nodes find each other through a shared directory of
 * multiaddrs and move blocks by Bitswap over TCP on 127.0.0.1. The whole set-up goes through the CLI:
 * deploy (development), register the `test` development key, create the reader group, draft and create
 * the task. The chain then idles for longer than a round before the aggregator starts. Members run
 * `cfl member run --rounds 1` and exit right after committing; the aggregator is killed with SIGKILL
 * between closing round 2 and publishing it. At the end a fresh `cfl audit` with a new IPFS node that
 * peers only with the auditors replays the history.
 */
describe("multi-process federation: role processes over a JSON-RPC chain and libp2p on loopback", function () {
  this.timeout(900_000);

  let work: string;
  let rpcUrl: string;
  let rounds: ReturnType<typeof FederatedRounds__factory.connect>;
  let provider: JsonRpcProvider;
  let configs: Record<string, string>;
  const keys = {
    governors: [0, 1, 2].map(devAccount),
    aggregator: devAccount(3),
    auditors: [4, 5].map(devAccount),
    members: [6, 7, 8].map(devAccount),
  };
  const roleEnv = (privateKey: string): Record<string, string> => ({
    CFL_PRIVATE_KEY: privateKey,
    CFL_TASK_ID: "1",
  });
  let firstAggregator: Child;
  let killedAt: { status: number; publishedEvents: number };
  let secondAggregator: Child;
  let secondExit: number | null;
  /** Each batch of members: `cfl member run --rounds 1`, one process per member, for rounds 1 and 2. */
  const memberBatches: Child[][] = [];
  /** Whether every round-1 member had exited when round 1 was closed and published. */
  let membersGoneBeforeRound1Published = false;
  let idle: { blockBefore: number; blockAfter: number; timestampBefore: bigint; seconds: number };

  const publishedEvents = async (round: bigint) =>
    (await rounds.queryFilter(rounds.filters.AggregatePublished(TASK, round))).length;

  const waitForStatus = async (round: bigint, status: number, timeoutMs: number) => {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const count = await rounds.roundCount(TASK);
      if (count >= round && Number((await rounds.getRound(TASK, round)).status) === status) return;
      await new Promise((r) => setTimeout(r, 500));
    }
    throw new Error(`round ${round} did not reach status ${status} within ${timeoutMs} ms`);
  };

  const withTimeout = <T>(what: string, promise: Promise<T>, ms: number): Promise<T> =>
    Promise.race([
      promise,
      new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`${what} within ${ms} ms`)), ms)),
    ]);

  const spawnMembers = (batch: number): Child[] =>
    keys.members.map((m, i) =>
      spawnCfl(
        `member-${i} (batch ${batch})`,
        ["member", "run", "--config", configs[`member-${i}`]!, "--rounds", "1"],
        roleEnv(m.privateKey),
        join(work, `member-${i}-batch-${batch}.log`),
      ),
    );

  before(async function () {
    work = await mkdtemp(join(tmpdir(), "cfl-multiprocess-"));
    console.log(`      (work directory and role logs: ${work})`);
    const node = await startHardhatNode(await freePort());
    rpcUrl = node.rpcUrl;
    provider = new JsonRpcProvider(rpcUrl, undefined, { staticNetwork: true, cacheTimeout: -1 });
    const base = { rpcUrl, circuit: "test", pollIntervalMs: 1000, fetchTimeoutMs: 10_000 };
    const governorKeys = keys.governors.map((g) => g.privateKey);

    // Deploy through the CLI (Ignition modules) with the first governor's key, as a development
    // deployment: the `test` circuit's key is a development key.
    const deployment = await deployWithCli({ work, base, governors: keys.governors });
    expect(deployment.development).to.equal(true);
    expect(deployment.verifyingKeyRegistry).to.match(/^0x[0-9a-fA-F]{40}$/);
    const addresses = { consortium: deployment.consortium, rounds: deployment.rounds };
    rounds = FederatedRounds__factory.connect(addresses.rounds, provider);

    // One configuration per party; the second auditor keeps its account in an encrypted keystore.
    const peersDir = join(work, "peers");
    await mkdir(peersDir);
    const keystore = join(work, "auditor-2.keystore.json");
    await writeFile(
      keystore,
      encryptKeystoreJsonSync(keys.auditors[1]!, "correct horse", { scrypt: { N: 1024 } }),
    );
    configs = {};
    const writeConfig = roleConfigWriter({ work, base, addresses, peersDir, configs });
    await writeFile(join(work, "governor.json"), JSON.stringify({ ...base, addresses }));
    configs.governor = join(work, "governor.json");
    const readerGroupFile = "reader-group.json";
    // The aggregator closes a round and publishes it on its next poll; a longer poll leaves the test a wide
    // window to kill it in between even on a loaded machine.
    await writeConfig("aggregator", {
      readerKeyFile: "aggregator.reader.json",
      readerGroupFile,
      pollIntervalMs: 2500,
    });
    await writeConfig("auditor-1", { readerKeyFile: "auditor-1.reader.json", readerGroupFile });
    await writeConfig("auditor-2", {
      readerKeyFile: "auditor-2.reader.json",
      readerGroupFile,
      keystore: { path: keystore },
    });
    // Each member brings its own records (one product type of AI4I each, as three plants would) and the
    // task's own model: a schema drafted from a sample and reviewed (the failure-mode flags leak the label),
    // and a TF.js model saved by model.save.
    const ownData = await writeMemberRecords(work);
    const inferred = await runCli(["data", "infer-schema", AI4I_DEFAULT_PATH, "--label", "Machine failure"]);
    expect(inferred.code, inferred.stderr).to.equal(0);
    const schema = JSON.parse(inferred.stdout) as { features: { name: string }[]; ignored?: string[] };
    const leaking = ["TWF", "HDF", "PWF", "OSF", "RNF"];
    schema.features = schema.features.filter((f) => !leaking.includes(f.name));
    schema.ignored = [...(schema.ignored ?? []), ...leaking];
    const schemaFile = join(work, "schema.json");
    await writeFile(schemaFile, JSON.stringify(schema, null, 2));
    const modelFile = await saveTaskModel({ dir: work, features: 8 });
    for (const [i] of keys.members.entries()) {
      await writeConfig(`member-${i}`, {
        member: { seed: 5, residualDir: `residuals-${i}`, data: { path: ownData[i], schemaFile, modelFile } },
      });
    }
    // A member whose schema differs from the task's (another scaling of one column) must refuse to train.
    const otherSchema = join(work, "other-schema.json");
    await writeFile(
      otherSchema,
      JSON.stringify({
        ...schema,
        features: schema.features.map((f, i) => (i === 1 ? { ...f, spread: 1 } : f)),
      }),
    );
    await writeConfig("member-wrong-schema", {
      member: {
        seed: 5,
        residualDir: "residuals-wrong",
        data: { path: ownData[0], schemaFile: otherSchema, modelFile },
      },
    });

    // The development key of the `test` circuit, registered by proposal through the CLI.
    const registered = await governWithCli({
      config: configs.governor,
      governorKeys,
      quorum: 2,
      propose: ["register-key", "--instance", "test"],
    });
    expect(registered.proposed).to.include({ kind: "RegisterVerifyingKey", developmentOnly: true });
    const keyHash = String(registered.proposed.keyHash);

    // Readers create their encryption keys with `cfl member join`, in parallel.
    const joins = await Promise.all([
      runCli(["member", "join", "--config", configs.aggregator!], {
        env: { CFL_PRIVATE_KEY: keys.aggregator.privateKey },
      }),
      runCli(["member", "join", "--config", configs["auditor-1"]!], {
        env: { CFL_PRIVATE_KEY: keys.auditors[0]!.privateKey },
      }),
      runCli(["member", "join", "--config", configs["auditor-2"]!], {
        env: { CFL_KEYSTORE_PASSWORD: "correct horse" },
      }),
    ]);
    for (const j of joins) expect(j.code, j.stderr).to.equal(0);
    const [aggregatorJoin, auditor1Join, auditor2Join] = joins.map(
      (j) => JSON.parse(j.stdout) as { address: string; encryptionKey: string },
    );
    expect(aggregatorJoin!.address).to.equal(keys.aggregator.address);
    expect(auditor2Join!.address).to.equal(keys.auditors[1]!.address);

    // Admissions and task access through the 2-of-3 quorum (in-process, to keep the test short).
    const governance = governanceClient({
      rpcUrl,
      consortium: addresses.consortium,
      governorKeys,
    });
    const { admit } = governance;
    await admit(
      keys.aggregator.address,
      Role.Aggregator,
      EntityKind.Manufacturer,
      aggregatorJoin!.encryptionKey,
    );
    await admit(keys.auditors[0]!.address, Role.Auditor, EntityKind.Recycler, auditor1Join!.encryptionKey);
    await admit(
      keys.auditors[1]!.address,
      Role.Auditor,
      EntityKind.Remanufacturer,
      auditor2Join!.encryptionKey,
    );
    for (const m of keys.members) {
      await admit(m.address, Role.Member, EntityKind.Supplier, hexlify(generateReaderKeyPair().publicKey));
    }

    // The reader group over the aggregator and the auditors, dealt by the aggregator (a reader itself).
    const readers = [keys.aggregator.address, ...keys.auditors.map((a) => a.address)];
    const group = await readerGroupWithCli({
      config: configs.aggregator!,
      readers,
      out: join(work, readerGroupFile),
      privateKey: keys.aggregator.privateKey,
    });
    expect(group.dealer).to.equal(keys.aggregator.address);

    // The task through the CLI: draft (initial model into the aggregator's IPFS node; the key's circuit
    // read from the registry), propose, approve, execute.
    const drafted = await runCli([
      "governance",
      "draft-task",
      "--config",
      configs.aggregator!,
      "--reader-group",
      join(work, readerGroupFile),
      "--key-hash",
      keyHash,
      "--min-participants",
      "3",
      "--attestation-quorum",
      "2",
      "--schema",
      schemaFile,
      "--model",
      modelFile,
    ]);
    expect(drafted.code, drafted.stderr).to.equal(0);
    const pinned = drafted.stderr
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((e) => e["event"] === "task-model")!;
    expect(pinned).to.include({ parameters: 8 * 16 + 16 + 16 * 2 + 2, initialWeights: "weights file" });
    expect(pinned["files"]).to.have.keys("model.json", "schema.json");
    const policyFile = join(work, "task.json");
    await writeFile(policyFile, drafted.stdout);
    const draft = JSON.parse(drafted.stdout) as { policy: Record<string, unknown> };
    expect(draft.policy).to.include({
      readerKey: group.readerKey,
      verifyingKeyHash: keyHash,
      maxNonZeros: 16,
      maxCommits: 256,
      maxRoundDuration: 3600,
      publishWindow: 900,
      attestationWindow: 900,
    });
    expect(draft.policy.readers).to.deep.equal(readers);
    const created = await governWithCli({
      config: configs.governor,
      governorKeys,
      quorum: 2,
      propose: ["CreateTask", "--json", policyFile],
    });
    const listed = await runCli(["governance", "list", "--json", "--config", configs.governor], {
      env: { CFL_PRIVATE_KEY: keys.governors[0]!.privateKey },
    });
    const proposals = (
      JSON.parse(listed.stdout) as { proposals: { id: string; kind: string; state: string }[] }
    ).proposals;
    expect(proposals.find((p) => p.id === created.proposed.proposalId)).to.include({
      kind: "CreateTask",
      state: "executed",
    });
    for (const account of [keys.aggregator, ...keys.auditors, ...keys.members]) {
      await governance.govern({ kind: "GrantTaskAccess", taskId: TASK, account: account.address });
    }
    governance.close();

    // Auditors and the first batch of members start and wait: nothing is open yet, and polling sends no
    // transaction, so the chain (which mines only on demand) stays idle.
    spawnCfl(
      "auditor-1",
      ["auditor", "run", "--config", configs["auditor-1"]!],
      roleEnv(keys.auditors[0]!.privateKey),
      join(work, "auditor-1.log"),
    );
    spawnCfl(
      "auditor-2",
      ["auditor", "run", "--config", configs["auditor-2"]!],
      { CFL_KEYSTORE_PASSWORD: "correct horse", CFL_TASK_ID: "1" },
      join(work, "auditor-2.log"),
    );
    const wrong = await runCli(
      ["member", "run", "--config", configs["member-wrong-schema"]!, "--rounds", "1"],
      {
        env: roleEnv(keys.members[0]!.privateKey),
      },
    );
    expect(wrong.code).to.not.equal(0);
    expect(wrong.stderr.trim().split("\n").at(-1)).to.match(
      /^error: this member's model and data are not the task's: the policy pins modelId 0x[0-9a-f]{64}, member\.data/,
    );
    memberBatches.push(spawnMembers(1));
    const ready = await Promise.all(
      memberBatches[0]!.map((m) => m.waitFor((e) => e.event === "member-ready", 180_000)),
    );
    // Each trains on the rows of its own file.
    expect(ready.map((e) => Number(e["rows"]))).to.deep.equal(ownData.rows);

    // An idle spell longer than a round: no block is mined, so the latest block's time stands still. (After
    // the set-up's burst of one-transaction blocks, Hardhat's clock also runs ahead of the wall clock: the
    // next block is mined later than `Date.now()`, which deadlines must allow for.)
    const before = (await provider.getBlock("latest"))!;
    const idleUntil = (before.timestamp + ROUND_SECONDS + 5) * 1000;
    await new Promise((r) => setTimeout(r, Math.max(0, idleUntil - Date.now())));
    idle = {
      blockBefore: before.number,
      blockAfter: await provider.getBlockNumber(),
      timestampBefore: BigInt(before.timestamp),
      seconds: Math.round(Date.now() / 1000 - before.timestamp),
    };

    const aggregatorArgs = [
      "aggregator",
      "run",
      "--config",
      configs.aggregator!,
      "--rounds",
      "2",
      "--round-seconds",
      String(ROUND_SECONDS),
    ];
    firstAggregator = spawnCfl(
      "aggregator",
      aggregatorArgs,
      roleEnv(keys.aggregator.privateKey),
      join(work, "aggregator.log"),
    );
    await firstAggregator.waitFor((e) => e.event === "round-opened" && e.round === 1, 180_000);

    // Round 1: once every member has the base model (the aggregator's node serves it), the aggregator is
    // paused until the members have committed and exited, so that it checks, aggregates and publishes
    // their updates with none of them online.
    await Promise.all(
      memberBatches[0]!.map((m) => m.waitFor((e) => e.event === "training" && e.round === 1, 180_000)),
    );
    firstAggregator.process.kill("SIGSTOP");
    const exits = await withTimeout(
      "round-1 members did not commit and exit",
      Promise.all(memberBatches[0]!.map((m) => m.exited)),
      240_000,
    );
    membersGoneBeforeRound1Published = (await publishedEvents(1n)) === 0;
    // Round 2 has fresh member processes (same accounts); they wait for it and exit after committing.
    memberBatches.push(spawnMembers(2));
    firstAggregator.process.kill("SIGCONT");
    expect(exits, "round-1 members' exit codes").to.deep.equal([0, 0, 0]);

    await waitForStatus(1n, RoundStatus.Finalized, 240_000);
    await firstAggregator.waitFor((e) => e.event === "round-closed" && e.round === 2, 240_000);
    firstAggregator.process.kill("SIGKILL");
    await firstAggregator.exited;
    killedAt = {
      status: Number((await rounds.getRound(TASK, 2n)).status),
      publishedEvents: await publishedEvents(2n),
    };
    secondAggregator = spawnCfl(
      "aggregator (restarted)",
      aggregatorArgs,
      roleEnv(keys.aggregator.privateKey),
      join(work, "aggregator-restarted.log"),
    );
    secondExit = await withTimeout(
      `restarted aggregator did not finish:\n${secondAggregator.stderr().slice(-3000)}`,
      secondAggregator.exited,
      240_000,
    );
    await withTimeout(
      "round-2 members did not exit",
      Promise.all(memberBatches[1]!.map((m) => m.exited)),
      60_000,
    );
  });

  after(async function () {
    await killAllChildren();
    provider?.destroy();
  });

  it("the chain mined nothing during the idle spell, which outlasted a round", function () {
    expect(idle.blockAfter, "no block without a transaction").to.equal(idle.blockBefore);
    expect(idle.seconds).to.be.greaterThan(ROUND_SECONDS);
  });

  it("opened round 1 after the idle spell with a full commit window on the chain's clock", async function () {
    const [opened] = await rounds.queryFilter(rounds.filters.RoundOpened(TASK, 1n));
    const openedAt = BigInt((await provider.getBlock(opened!.blockNumber))!.timestamp);
    const { deadline } = opened!.args;
    expect(Number(deadline - openedAt)).to.be.within(ROUND_SECONDS - 2, ROUND_SECONDS + 2);
    // Measured from the stale block before the idle spell it would have been over before it began.
    expect(deadline > idle.timestampBefore + BigInt(2 * ROUND_SECONDS)).to.equal(true);
    const [closed] = await rounds.queryFilter(rounds.filters.RoundClosed(TASK, 1n));
    expect(closed!.args.commitCount).to.equal(3n);
  });

  it("finalizes round 1 with the updates of members that had committed and exited", async function () {
    expect(membersGoneBeforeRound1Published, "round 1 was published only after its members exited").to.equal(
      true,
    );
    for (const member of memberBatches[0]!) {
      const committed = member.events().filter((e) => e.event === "member-committed");
      expect(
        committed.map((e) => e.round),
        member.name,
      ).to.deep.equal([1]);
    }
    const [published] = await rounds.queryFilter(rounds.filters.AggregatePublished(TASK, 1n));
    expect(published, "round 1 was published").to.not.equal(undefined);
    expect(published!.args.included).to.have.length(3);
    expect(published!.args.excluded).to.have.length(0);
    expect(Number((await rounds.getRound(TASK, 1n)).status)).to.equal(RoundStatus.Finalized);
    expect(await publishedEvents(1n)).to.equal(1);
  });

  it("members never retried a commit: one training per round, no DeadlinePassed retries", function () {
    for (const member of memberBatches.flat()) {
      const trainings = member.events().filter((e) => e.event === "training");
      const perRound = new Map<unknown, number>();
      for (const t of trainings) perRound.set(t.round, (perRound.get(t.round) ?? 0) + 1);
      for (const [round, count] of perRound)
        expect(count, `${member.name} round ${String(round)}`).to.equal(1);
      const failures = member.events().filter((e) => e.event === "step-failed");
      expect(
        failures.filter((e) => String(e.error).includes("DeadlinePassed")),
        member.name,
      ).to.deep.equal([]);
      const refused = member.events().filter((e) => e.event === "commit-refused");
      expect(refused.length, `${member.name} refused commits`).to.be.at.most(perRound.size);
    }
  });

  it("killed the aggregator after round 2 closed and before it was published", function () {
    expect(killedAt.status).to.equal(RoundStatus.Closed);
    expect(killedAt.publishedEvents).to.equal(0);
  });

  it("the restarted aggregator publishes round 2 exactly once and the auditors finalize it", async function () {
    expect(secondExit, secondAggregator.stderr().slice(-2000)).to.equal(0);
    expect(await publishedEvents(2n)).to.equal(1);
    expect(Number((await rounds.getRound(TASK, 2n)).status)).to.equal(RoundStatus.Finalized);
    expect(await rounds.roundCount(TASK)).to.equal(2n);
    // It resumed the closed round instead of opening another one.
    const events = secondAggregator.events();
    const trace = events.map((e) => JSON.stringify(e)).join("\n");
    expect(
      events.some((e) => e.event === "aggregate-published" && e.round === 2),
      trace,
    ).to.equal(true);
    expect(events.some((e) => e.event === "round-opened")).to.equal(false);
    const [published] = await rounds.queryFilter(rounds.filters.AggregatePublished(TASK, 2n));
    expect(published!.args.included).to.have.length(3);
  });

  it("a fresh `cfl audit` whose new IPFS node peers only with the auditors replays every round as matching", async function () {
    // Every member and the aggregator are gone: the envelopes are on chain, the models on the auditors'
    // nodes (each pinned what it checked). The audit's node knows the auditors' addresses only.
    const auditPeers = join(work, "peers-audit");
    await mkdir(auditPeers);
    for (const name of ["auditor-1", "auditor-2"]) {
      await copyFile(join(work, "peers", `${name}.addrs`), join(auditPeers, `${name}.addrs`));
    }
    const auditConfig = join(work, "audit.json");
    const auditor1 = JSON.parse(await readFile(configs["auditor-1"]!, "utf8")) as Record<string, unknown>;
    await writeFile(
      auditConfig,
      JSON.stringify({
        ...auditor1,
        ipfs: {
          mode: "embedded",
          path: join(work, "ipfs-audit-fresh"),
          peersDir: auditPeers,
          peerName: "audit",
        },
      }),
    );
    const audit = await runCli(["audit", "--config", auditConfig, "--json"], { env: { CFL_TASK_ID: "1" } });
    expect(audit.code, audit.stderr).to.equal(0);
    const report = JSON.parse(audit.stdout) as {
      rounds: { round: number; verdict: string; status: string; included: number }[];
    };
    expect(report.rounds.map((r) => [r.round, r.status, r.verdict, r.included])).to.deep.equal([
      [1, "finalized", "match", 3],
      [2, "finalized", "match", 3],
    ]);
  });
});
