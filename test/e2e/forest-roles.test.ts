/**
 * The roles' defaults on AI4I grow the histogram forest: a consortium whose verifying key is the `large`
 * instance's drafts a task naming no model (`draft-task` picks `preset:ai4i-forest`, rule `sum` and the
 * support veto), members configured with nothing but `member.dataset` find the forest from the task's
 * modelId, and every role runs as its own `cfl ... run` process over a `hardhat node` and Helia on
 * loopback. The chain's models are the research simulation's to the byte, round by round, and a fresh
 * `cfl audit` replays them as matching.
 */
import { expect } from "chai";
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hexlify, JsonRpcProvider } from "ethers";
import { RoundStatus } from "../../src/chain/index.js";
import { EntityKind, Role } from "../../src/governance/index.js";
import {
  AI4I_FOREST_SPEC,
  builtinDataHash,
  forestSpecHash,
  loadDataset,
  taskModelId,
} from "../../src/learning/index.js";
import { simulateForestFederation } from "../../src/research/index.js";
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
} from "./roles-helpers.js";

const TASK = 1n;
const ROUNDS = 2;
const MEMBER_SEED = 5;

describe("roles on defaults: cfl member run grows AI4I's forest on a large key, as the simulation does", function () {
  this.timeout(900_000);

  const keys = {
    governors: [0, 1, 2].map(devAccount),
    aggregator: devAccount(3),
    auditor: devAccount(4),
    members: [6, 7, 8].map(devAccount),
  };
  const roleEnv = (privateKey: string): Record<string, string> => ({
    CFL_PRIVATE_KEY: privateKey,
    CFL_TASK_ID: String(TASK),
  });
  let work: string;
  let provider: JsonRpcProvider;
  let rounds: ReturnType<typeof FederatedRounds__factory.connect>;
  let configs: Record<string, string>;
  let policy: Record<string, unknown>;
  let memberExits: (number | null)[];

  before(async function () {
    work = await mkdtemp(join(tmpdir(), "cfl-forest-roles-"));
    console.log(`      (work directory and role logs: ${work})`);
    const { rpcUrl } = await startHardhatNode(await freePort());
    provider = new JsonRpcProvider(rpcUrl, undefined, { staticNetwork: true, cacheTimeout: -1 });
    const base = { rpcUrl, circuit: "large", pollIntervalMs: 1000, fetchTimeoutMs: 10_000 };
    const governorKeys = keys.governors.map((g) => g.privateKey);
    const { consortium, rounds: roundsAddress } = await deployWithCli({
      work,
      base,
      governors: keys.governors,
    });
    const addresses = { consortium, rounds: roundsAddress };
    rounds = FederatedRounds__factory.connect(roundsAddress, provider);

    const peersDir = join(work, "peers");
    await mkdir(peersDir);
    configs = {};
    const writeConfig = roleConfigWriter({ work, base, addresses, peersDir, configs });
    await writeFile(join(work, "governor.json"), JSON.stringify({ ...base, addresses }));
    configs.governor = join(work, "governor.json");
    const readerGroupFile = "reader-group.json";
    await writeConfig("aggregator", { readerKeyFile: "aggregator.reader.json", readerGroupFile });
    await writeConfig("auditor", { readerKeyFile: "auditor.reader.json", readerGroupFile });
    // Nothing about the model: each member holds a third of the built-in AI4I rows.
    for (const [i] of keys.members.entries())
      await writeConfig(`member-${i}`, {
        member: {
          dataset: "ai4i",
          partitions: 3,
          partitionIndex: i,
          seed: MEMBER_SEED,
          residualDir: `res-${i}`,
        },
      });

    const registered = await governWithCli({
      config: configs.governor,
      governorKeys,
      quorum: 2,
      propose: ["register-key", "--instance", "large"],
    });
    const keyHash = String(registered.proposed.keyHash);
    const joins = await Promise.all(
      [
        [configs.aggregator!, keys.aggregator],
        [configs.auditor!, keys.auditor],
      ].map(([config, key]) =>
        runCli(["member", "join", "--config", config as string], {
          env: { CFL_PRIVATE_KEY: (key as { privateKey: string }).privateKey },
        }),
      ),
    );
    for (const j of joins) expect(j.code, j.stderr).to.equal(0);
    const [aggregatorJoin, auditorJoin] = joins.map((j) => JSON.parse(j.stdout) as { encryptionKey: string });
    const governance = governanceClient({ rpcUrl, consortium, governorKeys });
    const { admit } = governance;
    await admit(
      keys.aggregator.address,
      Role.Aggregator,
      EntityKind.Manufacturer,
      aggregatorJoin!.encryptionKey,
    );
    await admit(keys.auditor.address, Role.Auditor, EntityKind.Recycler, auditorJoin!.encryptionKey);
    for (const m of keys.members)
      await admit(m.address, Role.Member, EntityKind.Supplier, hexlify(generateReaderKeyPair().publicKey));
    const readers = [keys.aggregator.address, keys.auditor.address];
    await readerGroupWithCli({
      config: configs.aggregator!,
      readers,
      out: join(work, readerGroupFile),
      privateKey: keys.aggregator.privateKey,
    });

    // The task on defaults: no --model, --schema, --rule or --support-members.
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
      "1",
    ]);
    expect(drafted.code, drafted.stderr).to.equal(0);
    const policyFile = join(work, "task.json");
    await writeFile(policyFile, drafted.stdout);
    policy = (JSON.parse(drafted.stdout) as { policy: Record<string, unknown> }).policy;
    await governWithCli({
      config: configs.governor,
      governorKeys,
      quorum: 2,
      propose: ["CreateTask", "--json", policyFile],
    });
    for (const account of [keys.aggregator, keys.auditor, ...keys.members])
      await governance.govern({ kind: "GrantTaskAccess", taskId: TASK, account: account.address });
    governance.close();

    spawnCfl(
      "auditor",
      ["auditor", "run", "--config", configs.auditor!],
      roleEnv(keys.auditor.privateKey),
      join(work, "auditor.log"),
    );
    const members = keys.members.map((m, i) =>
      spawnCfl(
        `member-${i}`,
        ["member", "run", "--config", configs[`member-${i}`]!, "--rounds", String(ROUNDS)],
        roleEnv(m.privateKey),
        join(work, `member-${i}.log`),
      ),
    );
    const aggregator = spawnCfl(
      "aggregator",
      [
        "aggregator",
        "run",
        "--config",
        configs.aggregator!,
        "--rounds",
        String(ROUNDS),
        "--round-seconds",
        "240",
      ],
      roleEnv(keys.aggregator.privateKey),
      join(work, "aggregator.log"),
    );
    const [aggregatorExit, ...exits] = await Promise.all([
      aggregator.exited,
      ...members.map((m) => m.exited),
    ]);
    expect(aggregatorExit, aggregator.stderr().slice(-3000)).to.equal(0);
    memberExits = exits;
    const deadline = Date.now() + 120_000;
    while (Number((await rounds.getRound(TASK, BigInt(ROUNDS))).status) !== RoundStatus.Finalized) {
      if (Date.now() > deadline) throw new Error(`round ${ROUNDS} was not finalized`);
      await new Promise((r) => setTimeout(r, 1000));
    }
  });

  after(async function () {
    await killAllChildren();
    provider?.destroy();
  });

  it("drafts the forest with rule sum and the support veto when nothing is named", function () {
    expect(policy).to.include({
      modelId: taskModelId({
        topologyHash: forestSpecHash(AI4I_FOREST_SPEC),
        dataHash: builtinDataHash("ai4i"),
      }),
      dimension: 783_360,
      scale: 1,
    });
    expect(String(policy.ruleParameter)).to.not.equal("0");
  });

  it("members with only member.dataset grow it: every round finalized with all three, the models the simulation's to the byte", async function () {
    expect(memberExits).to.deep.equal([0, 0, 0]);
    const { members, test } = loadDataset({ name: "ai4i", members: 3, seed: MEMBER_SEED });
    // q = max(2, floor(3 / 3) + 1) over the preset's slots, bins and classes.
    const support = {
      members: 2,
      slots: AI4I_FOREST_SPEC.featuresPerNode,
      bins: AI4I_FOREST_SPEC.bins,
      classes: AI4I_FOREST_SPEC.classes,
    };
    const simulated = simulateForestFederation({
      spec: AI4I_FOREST_SPEC,
      members,
      evaluation: test,
      rounds: ROUNDS,
      task: Number(TASK),
      policy: {
        maxNonZeros: Number(policy.maxNonZeros),
        l2Bound: Number(policy.l2Bound),
        lInfBound: Number(policy.lInfBound),
        rule: { kind: "sum", support },
      },
    });
    for (let r = 1; r <= ROUNDS; r++) {
      const [published] = await rounds.queryFilter(rounds.filters.AggregatePublished(TASK, BigInt(r)));
      expect(published!.args.included, `round ${r}`).to.have.length(3);
      expect(published!.args.excluded, `round ${r}`).to.have.length(0);
      expect(published!.args.modelHash, `round ${r}`).to.equal(simulated.history[r - 1]!.modelHash);
      expect(Number((await rounds.getRound(TASK, BigInt(r))).status)).to.equal(RoundStatus.Finalized);
    }
    // The second level learned on top of the roots.
    expect(simulated.history[1]!.evaluation.macroF1).to.be.greaterThan(
      simulated.history[0]!.evaluation.macroF1,
    );
  });

  it("a fresh `cfl audit` replays both rounds as matching", async function () {
    const audit = await runCli(["audit", "--config", configs.auditor!, "--json"], {
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
