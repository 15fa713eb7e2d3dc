import { expect } from "chai";
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encryptKeystoreJsonSync, hexlify, JsonRpcProvider, keccak256, toUtf8Bytes } from "ethers";
import { EntityKind, Role } from "../../src/governance/index.js";
import { RoundStatus } from "../../src/chain/index.js";
import { generateReaderKeyPair } from "../../src/seal/index.js";
import { FederatedRounds__factory } from "../../types/ethers-contracts/index.js";
import { runCli } from "./helpers.js";
import {
  devAccount,
  freePort,
  governanceClient,
  killAllChildren,
  spawnCfl,
  startHardhatNode,
  type Child,
} from "./roles-helpers.js";

const TASK = 1n;

/**
 * The deployment shape of a real consortium on one machine: a JSON-RPC chain (`hardhat node`), and every
 * role as its own `cfl ... run` process with its own key, configuration and embedded Helia node; the
 * nodes find each other through a shared directory of multiaddrs and move blocks by Bitswap over TCP on
 * 127.0.0.1. The aggregator is killed with SIGKILL between closing round 2 and publishing it.
 */
describe("multi-process federation: role processes over a JSON-RPC chain and libp2p on loopback", function () {
  this.timeout(600_000);

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

  before(async function () {
    work = await mkdtemp(join(tmpdir(), "cfl-multiprocess-"));
    console.log(`      (work directory and role logs: ${work})`);
    const node = await startHardhatNode(await freePort());
    rpcUrl = node.rpcUrl;
    provider = new JsonRpcProvider(rpcUrl, undefined, { staticNetwork: true, cacheTimeout: -1 });
    const base = { rpcUrl, circuit: "test", pollIntervalMs: 1000, fetchTimeoutMs: 10_000 };

    // Deploy through the CLI (Ignition modules) with the first governor's key.
    await writeFile(join(work, "governor.json"), JSON.stringify(base));
    const deployed = await runCli(
      [
        "deploy",
        "--config",
        join(work, "governor.json"),
        "--governors",
        keys.governors.map((g) => g.address).join(","),
        "--quorum",
        "2",
        "--verifier",
        "test",
        "--deployments",
        join(work, "deployments"),
      ],
      { env: { CFL_PRIVATE_KEY: keys.governors[0]!.privateKey } },
    );
    expect(deployed.code, deployed.stderr).to.equal(0);
    const deployment = JSON.parse(deployed.stdout) as {
      consortium: string;
      rounds: string;
      verifier: string;
    };
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
    const writeConfig = async (name: string, extra: Record<string, unknown>) => {
      const path = join(work, `${name}.json`);
      const ipfs = { mode: "embedded", path: join(work, `ipfs-${name}`), peersDir, peerName: name };
      await writeFile(path, JSON.stringify({ ...base, addresses, ipfs, ...extra }, null, 2));
      configs[name] = path;
    };
    await writeFile(join(work, "governor.json"), JSON.stringify({ ...base, addresses }));
    configs.governor = join(work, "governor.json");
    // The aggregator closes a round and publishes it on its next poll; a longer poll leaves the test a wide
    // window to kill it in between even on a loaded machine.
    await writeConfig("aggregator", { readerKeyFile: "aggregator.reader.json", pollIntervalMs: 2500 });
    await writeConfig("auditor-1", { readerKeyFile: "auditor-1.reader.json" });
    await writeConfig("auditor-2", { readerKeyFile: "auditor-2.reader.json", keystore: { path: keystore } });
    await writeConfig("audit", { readerKeyFile: "auditor-1.reader.json" });
    for (const [i] of keys.members.entries()) {
      await writeConfig(`member-${i}`, {
        member: { dataset: "ai4i", partitions: 3, partitionIndex: i, seed: 5, residualDir: `residuals-${i}` },
      });
    }

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
      governorKeys: keys.governors.map((g) => g.privateKey),
    });
    const admit = (account: string, roles: number, kind: number, encryptionKey: string) =>
      governance.govern({
        kind: "AdmitMember",
        account,
        profile: { roles, kind, encryptionKey, metadataHash: keccak256(toUtf8Bytes(account)) },
      });
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

    // The task through the CLI: draft (initial model into the aggregator's IPFS node), propose, approve, execute.
    const drafted = await runCli([
      "governance",
      "draft-task",
      "--config",
      configs.aggregator!,
      "--verifier",
      deployment.verifier,
      "--readers",
      [keys.aggregator.address, ...keys.auditors.map((a) => a.address)].join(","),
      "--min-participants",
      "3",
      "--attestation-quorum",
      "2",
    ]);
    expect(drafted.code, drafted.stderr).to.equal(0);
    const policyFile = join(work, "task.json");
    await writeFile(policyFile, drafted.stdout);
    const gov = (i: number, args: string[]) =>
      runCli(["governance", ...args, "--config", configs.governor!], {
        env: { CFL_PRIVATE_KEY: keys.governors[i]!.privateKey },
      });
    const proposed = await gov(0, ["propose", "CreateTask", "--json", policyFile]);
    expect(proposed.code, proposed.stderr).to.equal(0);
    const { proposalId } = JSON.parse(proposed.stdout) as { proposalId: string };
    for (const [i, verb] of [
      [0, "approve"],
      [1, "approve"],
      [2, "execute"],
    ] as const) {
      const step = await gov(i, [verb, proposalId]);
      expect(step.code, step.stderr).to.equal(0);
    }
    const listed = await gov(0, ["list", "--json"]);
    const proposals = (
      JSON.parse(listed.stdout) as { proposals: { id: string; kind: string; state: string }[] }
    ).proposals;
    expect(proposals.find((p) => p.id === proposalId)).to.include({ kind: "CreateTask", state: "executed" });
    for (const account of [keys.aggregator, ...keys.auditors, ...keys.members]) {
      await governance.govern({ kind: "GrantTaskAccess", taskId: TASK, account: account.address });
    }
    governance.close();

    // The roles, each its own process.
    const aggregatorArgs = [
      "aggregator",
      "run",
      "--config",
      configs.aggregator!,
      "--rounds",
      "2",
      "--round-seconds",
      "900",
    ];
    firstAggregator = spawnCfl(
      "aggregator",
      aggregatorArgs,
      roleEnv(keys.aggregator.privateKey),
      join(work, "aggregator.log"),
    );
    await firstAggregator.waitFor((e) => e.event === "aggregator-ready", 120_000);
    spawnCfl(
      "auditor-1",
      ["auditor", "run", "--config", configs["auditor-1"]!],
      roleEnv(keys.auditors[0]!.privateKey),
      join(work, "auditor-1.log"),
    );
    spawnCfl(
      "auditor-2",
      ["auditor", "run", "--config", configs["auditor-2"]!],
      {
        CFL_KEYSTORE_PASSWORD: "correct horse",
        CFL_TASK_ID: "1",
      },
      join(work, "auditor-2.log"),
    );
    for (const [i, m] of keys.members.entries()) {
      spawnCfl(
        `member-${i}`,
        ["member", "run", "--config", configs[`member-${i}`]!],
        roleEnv(m.privateKey),
        join(work, `member-${i}.log`),
      );
    }

    // Round 1 runs to finalization; in round 2 the aggregator dies after closing, before publishing.
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
    secondExit = await Promise.race([
      secondAggregator.exited,
      new Promise<null>((_, reject) =>
        setTimeout(
          () =>
            reject(
              new Error(`restarted aggregator did not finish:\n${secondAggregator.stderr().slice(-3000)}`),
            ),
          240_000,
        ),
      ),
    ]);
  });

  after(async function () {
    await killAllChildren();
    provider?.destroy();
  });

  it("finalizes round 1 with every member's update included", async function () {
    const [published] = await rounds.queryFilter(rounds.filters.AggregatePublished(TASK, 1n));
    expect(published, "round 1 was published").to.not.equal(undefined);
    expect(published!.args.included).to.have.length(3);
    expect(published!.args.excluded).to.have.length(0);
    expect(Number((await rounds.getRound(TASK, 1n)).status)).to.equal(RoundStatus.Finalized);
    expect(await publishedEvents(1n)).to.equal(1);
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

  it("`cfl audit` replays the whole history from events and finds every round matching", async function () {
    const audit = await runCli(["audit", "--config", configs.audit!, "--json"], {
      env: { CFL_TASK_ID: "1" },
    });
    expect(audit.code, audit.stderr).to.equal(0);
    const report = JSON.parse(audit.stdout) as {
      rounds: { round: number; verdict: string; status: string }[];
    };
    expect(report.rounds.map((r) => [r.round, r.status, r.verdict])).to.deep.equal([
      [1, "finalized", "match"],
      [2, "finalized", "match"],
    ]);
  });
});
