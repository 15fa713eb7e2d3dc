import { expect } from "chai";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import type { DemoReport } from "../../src/demo/index.js";
import {
  AI4I_FOREST_SPEC,
  AI4I_MODEL_SPEC,
  builtinDataHash,
  forestSpecHash,
  paramCount,
  readModelFile,
  taskModelId,
  topologyHash,
} from "../../src/learning/index.js";
import { loadDemoData } from "../../src/demo/data.js";
import { simulateForestFederation } from "../../src/research/index.js";
import { ruleToPolicy } from "../../src/aggregation/index.js";
import { AI4I_TRIGGER, poisonData } from "../../src/adversary/index.js";
import { renderDemoSummary } from "../../src/cli/commands/demo-summary.js";
import { CHROMIUM_FLAGS, chromiumPath, ROOT, runCli } from "./helpers.js";

const exec = promisify(execFile);

/** `cfl demo ARGS` exits non-zero with one `error: ...` line that matches `pattern`. */
async function expectOneLineRefusal({
  args,
  pattern,
  out,
  env,
}: {
  args: readonly string[];
  pattern: RegExp;
  out: string;
  env?: Record<string, string>;
}): Promise<void> {
  const run = await runCli(["demo", ...args, "--quiet", "--out", out], env ? { env } : {});
  expect(run.code, run.stderr).to.not.equal(0);
  expect(run.stderr.trim().split("\n"), run.stderr).to.have.length(1);
  expect(run.stderr.trim()).to.match(pattern);
}

describe("cfl demo (end to end, real chain, IPFS and proofs)", function () {
  let out: string;
  let report: DemoReport;

  before(async function () {
    out = await mkdtemp(join(tmpdir(), "cfl-demo-"));
    const run = await runCli([
      "demo",
      "--members",
      "3",
      "--rounds",
      "3",
      "--circuit",
      "test",
      // The protocol checks below want the AI4I preset (sparse bytes below dense); the quick path's own
      // compact model is checked by the terminal test.
      "--model",
      "preset:ai4i-sparse-mlp-v1",
      "--tamper-aggregator",
      "--seed",
      "11",
      "--out",
      out,
    ]);
    expect(run.code, run.stderr).to.equal(0);
    report = JSON.parse(await readFile(join(out, "report.json"), "utf8")) as DemoReport;
  });

  it("writes report.json with the documented fields for every round", function () {
    expect(report.members).to.equal(3);
    expect(report.dataset).to.equal("ai4i");
    expect(report.rule).to.equal("mean");
    expect(report.rounds).to.have.length(3);
    for (const r of report.rounds) {
      expect(r).to.include.keys(
        "round",
        "committed",
        "rejected",
        "globalModelCid",
        "globalModelHash",
        "status",
        "finalized",
        "disputed",
        "metrics",
        "bytes",
        "proveMsMedian",
        "gas",
      );
      expect(r.committed).to.equal(3);
      expect(r.globalModelHash).to.match(/^0x[0-9a-f]{64}$/);
      expect(r.globalModelCid).to.match(/^baf/);
      expect(r.metrics.macroF1).to.be.within(0, 1);
      expect(r.metrics.balancedAccuracy).to.be.within(0, 1);
      expect(r.metrics.loss).to.be.greaterThan(0);
      expect(r.bytes.sparseMedian).to.be.greaterThan(0).and.lessThan(r.bytes.dense);
      expect(r.proveMsMedian).to.be.greaterThan(0);
      expect(r.gas.commitUpdateMedian).to.be.greaterThan(200_000);
      expect(r.gas.publishAggregate).to.be.greaterThan(0);
    }
  });

  it("finalizes honest rounds; the tampered round is disputed, then governance confirms it and suspends the aggregator", function () {
    const [r1, r2, r3] = report.rounds as [
      DemoReport["rounds"][0],
      DemoReport["rounds"][0],
      DemoReport["rounds"][0],
    ];
    expect([r1.finalized, r1.disputed]).to.deep.equal([true, false]);
    expect([r2.finalized, r2.disputed, r2.status, r2.resolution]).to.deep.equal([
      false,
      true,
      "resolved",
      "dispute-confirmed",
    ]);
    expect(r2.audit.every((a) => !a.matches && a.findings.some((f) => f.startsWith("model hash")))).to.equal(
      true,
    );
    expect([r3.finalized, r3.disputed]).to.deep.equal([true, false]);
    // Round 2's model was never trained on: round 3's members trained on round 1's model, as the chain
    // recorded round 3's base at opening (not a figure derived from the same lookup as the metrics).
    expect(r2.baseModelHash).to.equal(r1.globalModelHash);
    expect(r3.baseModelHash).to.equal(r1.globalModelHash);
    expect(r3.baseModelHash).to.not.equal(r2.globalModelHash);
  });

  it("renders report.html in headless Chromium with the charts and verdicts", async function () {
    const chromium = chromiumPath();
    if (!chromium) {
      if (process.env.CI) throw new Error("Chromium is missing: .ci/run must install Debian's chromium");
      this.skip();
    }
    const html = join(out, "report.html");
    const profile = await mkdtemp(join(tmpdir(), "cfl-chromium-"));
    const { stdout } = await exec(
      chromium,
      [...CHROMIUM_FLAGS, `--user-data-dir=${profile}`, "--dump-dom", `file://${html}`],
      { timeout: 120_000, maxBuffer: 16 * 1024 * 1024 },
    );
    for (const id of ["quality", "bytes", "proving", "gas", "verdicts", "members"])
      expect(stdout).to.include(`id="${id}"`);
    expect(stdout).to.match(/<polyline points="[\d., ]+"/);
    expect(stdout).to.include(">resolved (dispute-confirmed)<");
    expect(stdout).to.include(">finalized<");
    expect(stdout).to.include("held-out rows");
    const png = join(out, "report.png");
    await exec(
      chromium,
      [
        ...CHROMIUM_FLAGS,
        `--user-data-dir=${profile}`,
        `--screenshot=${png}`,
        "--window-size=1280,900",
        `file://${html}`,
      ],
      {
        timeout: 120_000,
      },
    );
    expect((await stat(png)).size).to.be.greaterThan(10_000);
  });

  it("holds against a member that seals to another key, a silent aggregator and a lying auditor (issue 11)", async function () {
    const dir = await mkdtemp(join(tmpdir(), "cfl-demo-attacks-"));
    const run = await runCli([
      "demo",
      "--members",
      "3",
      "--rounds",
      "3",
      "--circuit",
      "test",
      "--attack",
      "seal-split",
      "--malicious",
      "1",
      "--silent-aggregator",
      "2",
      "--lying-auditor",
      "--seed",
      "5",
      "--out",
      dir,
    ]);
    expect(run.code, run.stderr).to.equal(0);
    const attacked = JSON.parse(await readFile(join(dir, "report.json"), "utf8")) as DemoReport;
    const [r1, r2, r3] = attacked.rounds as [
      DemoReport["rounds"][0],
      DemoReport["rounds"][0],
      DemoReport["rounds"][0],
    ];
    // Round 1: the liar disputes an honest round; governance upholds the model and suspends the liar.
    expect([r1.status, r1.resolution]).to.deep.equal(["resolved", "model-upheld"]);
    // Every reader found the stray envelope unopenable alike; the rest of the round is unaffected.
    const stray = r1.rejected.map((x) => x.reason);
    expect(stray).to.deep.equal(["Unopenable"]);
    // Round 2: the aggregator went silent after closing; the round was abandoned, not stuck.
    expect([r2.status, r2.abandonReason]).to.deep.equal(["abandoned", "PublishWindowPassed"]);
    // Round 3: the other aggregator took over under the same task; the suspended liar no longer attests.
    expect(r3.status).to.equal("finalized");
    expect(r3.audit.every((a) => a.matches)).to.equal(true);
    expect(r3.rejected.map((x) => x.reason)).to.deep.equal(["Unopenable"]);
  });

  it("scores the final model on each member's own held-out rows and pins the preset's model and data", async function () {
    expect(report.perMember).to.have.length(3);
    for (const m of report.perMember) {
      expect(m.member).to.match(/^0x[0-9a-fA-F]{40}$/);
      expect(m.rows).to.be.greaterThan(0);
      // About a fifth of each member's rows is kept back and never trained on.
      expect(m.heldOut).to.be.within(m.rows / 5, m.rows / 3);
      expect(m.macroF1).to.be.within(0, 1);
    }
    const preset = AI4I_MODEL_SPEC;
    expect(report.task.modelId).to.equal(
      taskModelId({ topologyHash: topologyHash(preset.topology), dataHash: builtinDataHash("ai4i") }),
    );
    expect(report.task.parameters).to.equal(paramCount(preset));
    // The final model as TF.js files: the pinned topology and d float32 weights.
    const modelJson = JSON.parse(await readFile(report.task.modelJson, "utf8")) as { modelTopology: unknown };
    expect(topologyHash(modelJson.modelTopology as typeof preset.topology)).to.equal(
      report.task.topologyHash,
    );
    expect((await stat(join(out, "weights.bin"))).size).to.equal(4 * paramCount(preset));
  });

  it("federates any CSV: --data with --label infers the schema, --split-by gives each member one site", async function () {
    const dir = await mkdtemp(join(tmpdir(), "cfl-demo-own-"));
    // Three sites; a part fails when it runs hot under pressure (plus some noise), about one in six.
    const rows = ["site;temperature;pressure;coated;status"];
    let x = 7;
    const next = () => (x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 900; i++) {
      const site = ["north", "south", "east"][i % 3]!;
      const t = 60 + 40 * next();
      const p = 1 + 4 * next();
      const coated = next() < 0.5;
      const fails = t + 8 * p + (coated ? -5 : 0) + 10 * next() > 112;
      rows.push(`${site};${t.toFixed(2)};${p.toFixed(3)};${coated ? "yes" : "no"};${fails ? "scrap" : "ok"}`);
    }
    const data = join(dir, "parts.csv");
    await writeFile(data, rows.join("\n") + "\n");
    const own = join(dir, "out");
    const run = await runCli([
      "demo",
      "--data",
      data,
      "--delimiter",
      ";",
      "--label",
      "status",
      "--split-by",
      "site",
      "--members",
      "3",
      "--rounds",
      "2",
      "--circuit",
      "test",
      "--out",
      own,
    ]);
    expect(run.code, run.stderr).to.equal(0);
    const ownReport = JSON.parse(await readFile(join(own, "report.json"), "utf8")) as DemoReport;
    const schema = JSON.parse(await readFile(join(own, "schema.json"), "utf8")) as {
      features: { name: string; type: string }[];
      label: { column: string; classes: string[] };
    };
    expect(schema.label).to.deep.equal({ column: "status", classes: ["ok", "scrap"] });
    expect(schema.features.map((f) => [f.name, f.type])).to.deep.equal([
      ["site", "categorical"],
      ["temperature", "numeric"],
      ["pressure", "numeric"],
      ["coated", "boolean"],
    ]);
    expect(ownReport.dataset).to.equal("parts.csv");
    expect(ownReport.task.split).to.equal('column "site"');
    expect(ownReport.task.schemaFile).to.equal(join(own, "schema.json"));
    // The proposed model: 6 inputs (3 sites one-hot, 2 numbers, 1 boolean) → 64 → 16 → 2.
    expect(ownReport.task.parameters).to.equal(6 * 64 + 64 + 64 * 16 + 16 + 16 * 2 + 2);
    expect(ownReport.rounds.every((r) => r.status === "finalized")).to.equal(true);
    // 720 training rows (80% of 900, stratified by label), one site's share per member, a fifth kept back.
    const perSite = ownReport.perMember.map((m) => m.rows + m.heldOut);
    expect(perSite.reduce((a, b) => a + b, 0)).to.equal(720);
    for (const n of perSite) expect(n).to.be.within(200, 280);
    for (const m of ownReport.perMember) expect(m.macroF1).to.be.within(0, 1);
  });

  /** A 4-member quick demo under `--defense screened` whose last member mounts `attack`; its report. */
  async function defendedDemo({ attack, rounds }: { attack: string; rounds: number }): Promise<DemoReport> {
    const dir = await mkdtemp(join(tmpdir(), `cfl-demo-${attack}-`));
    const run = await runCli([
      "demo",
      "--members",
      "4",
      "--rounds",
      String(rounds),
      "--circuit",
      "test",
      "--attack",
      attack,
      "--malicious",
      "1",
      "--defense",
      "screened",
      "--out",
      dir,
    ]);
    expect(run.code, run.stderr).to.equal(0);
    return JSON.parse(await readFile(join(dir, "report.json"), "utf8")) as DemoReport;
  }

  it("--defense screened: a sign flipper is a suspect in round 1 and left out from round 2, each replayed from the chain by the auditors", async function () {
    const report = await defendedDemo({ attack: "signflip", rounds: 3 });
    const flipper = report.perMember.at(-1)!.member;
    const [first, ...later] = report.rounds;
    // One round's disagreement excludes nobody: the suspicion must repeat (the auditors recompute round 1's
    // suspects from its commits when they replay round 2, and agree).
    expect(first!.flagged).to.deep.equal([]);
    // ...but the report shows it: suspected in round 1, kept. Once excluded it is no longer listed as kept.
    expect(first!.suspectedKept).to.deep.equal([flipper]);
    for (const r of later) expect(r.suspectedKept).to.not.include(flipper);
    for (const r of report.rounds) {
      expect(r.status).to.equal("finalized");
      expect(r.audit.every((a) => a.matches)).to.equal(true);
    }
    for (const r of later) {
      expect(r.flagged.map((f) => [f.member, f.reason])).to.deep.equal([[flipper, "Outlier"]]);
      expect(r.flagged[0]!.detail).to.match(/also a suspect the round before$/);
    }
  });

  it("--defense screened: a free rider is flagged every round, published as such, and the auditors agree", async function () {
    const defended = await defendedDemo({ attack: "freeride", rounds: 2 });
    expect(defended.rule).to.equal("screened-mean");
    const freeRider = defended.perMember.at(-1)!.member;
    for (const r of defended.rounds) {
      expect(r.status).to.equal("finalized");
      expect(r.audit.every((a) => a.matches)).to.equal(true);
      expect(r.flagged.map((f) => [f.member, f.reason])).to.deep.equal([[freeRider, "FreeRider"]]);
      expect(r.rejected).to.deep.include({ member: freeRider, reason: "FreeRider" });
    }
    const conflicting = await runCli([
      "demo",
      "--defense",
      "screened",
      "--rule",
      "median",
      "--out",
      join(out, "conflicting"),
    ]);
    expect(conflicting.code).to.equal(2);
    expect(conflicting.stderr.trim()).to.equal(
      "error: --defense screened is the screened-mean rule: drop --rule median",
    );
  });

  it("refuses an own-data demo that cannot run, before any chain or proof", async function () {
    const bad = await runCli(["demo", "--schema", "s.json", "--out", join(out, "bad")]);
    expect(bad.code).to.equal(2);
    expect(bad.stderr.trim()).to.equal("error: --schema needs --data <file>");
    const both = await runCli(["demo", "--data", "x.csv", "--out", join(out, "bad")]);
    expect(both.stderr.trim()).to.equal(
      "error: --data needs exactly one of --schema <file> or --label <column>",
    );
    const delimiter = await runCli(["demo", "--data", "x.csv", "--label", "y", "--delimiter", ";;"]);
    expect(delimiter.code).to.equal(2);
    expect(delimiter.stderr.trim()).to.equal("error: --delimiter must be one character");
    const dir = await mkdtemp(join(tmpdir(), "cfl-demo-bad-"));
    const data = join(dir, "bad.csv");
    await writeFile(data, "temperature,status\n61.5,ok\nhot,scrap\n70.1,ok\n");
    const schema = join(dir, "schema.json");
    await writeFile(
      schema,
      JSON.stringify({
        version: 1,
        features: [{ name: "temperature", type: "numeric", centre: 65, spread: 5 }],
        label: { column: "status", classes: ["ok", "scrap"] },
      }),
    );
    const cell = await runCli(["demo", "--data", data, "--schema", schema, "--out", join(dir, "out")]);
    expect(cell.code).to.equal(2);
    expect(cell.stderr.trim().split("\n").at(-1)).to.equal(
      'error: bad.csv:3: column "temperature": "hot" is not a number',
    );
  });

  it("on a terminal, prints progress bars and a closing table instead of JSON; the quick path visibly learns", async function () {
    const dir = await mkdtemp(join(tmpdir(), "cfl-demo-tty-"));
    const command = [process.execPath, join(ROOT, "bin", "cfl.js"), "demo", "--members", "3", "--rounds", "2"]
      .concat(["--circuit", "test", "--out", dir])
      .map((a) => `'${a}'`)
      .join(" ");
    // util-linux `script` gives the command a pseudo-terminal, as a person's shell would.
    const { stdout } = await exec("script", ["-qec", command, "/dev/null"], {
      timeout: 300_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    expect(stdout).to.match(/round\s+commits\s+excluded\s+verdict\s+macro-F1/);
    expect(stdout).to.match(
      /macro-F1 on the shared test set: 0\.\d{3} before round 1 → 0\.\d{3} after round 2/,
    );
    expect(stdout).to.include(`report: ${dir}/report.json`);
    expect(stdout).to.match(
      /• round-done {2}round=1 of=2 status=finalized macroF1=0\.\d{1,4} secondsLeft=\d+/,
    );
    expect(stdout).to.not.match(/macroF1=0\.\d{5,}/);
    expect(stdout).to.not.include('{"out":');
    // Progress bars, redrawn in place: members training and proving, then the chain's steps.
    expect(stdout).to.match(/round 1\/2 · member 2 of 3 trains\s+\[█+░+\] 2\/6/);
    expect(stdout).to.match(/round 2\/2 · auditors replay and attest\s+\[█+░+\] 2\/3/);
    expect(stdout).to.match(
      /macro-F1 on the shared test set: 0\.\d{3} before round 1 → 0\.\d{3} after round 2 \(\+0\.[1-9]/,
    );
  });

  it("renders the closing summary from the report: a row per round and each member's own score", function () {
    const text = renderDemoSummary({ report, out });
    const lines = text.split("\n");
    const header = lines.findIndex((l) => l.startsWith("round"));
    expect(
      lines.slice(header + 2, header + 2 + report.rounds.length).map((l) => l.split(/\s+/)[0]),
    ).to.deep.equal(report.rounds.map((r) => String(r.round)));
    expect(text).to.include("resolved (dispute-confirmed)");
    expect(text).to.include(report.rounds[0]!.metrics.macroF1.toFixed(3));
    for (const m of report.perMember)
      expect(text).to.include(`${m.member.slice(0, 8)}…${m.member.slice(-4)}`);
  });

  it("runs the whole protocol on a model of real size: the large instance (d <= 2^20), a 103k-parameter preset, k = 1,000 proven in 5 chunks", async function () {
    const dir = await mkdtemp(join(tmpdir(), "cfl-demo-large-"));
    const run = await runCli(
      [
        "demo",
        "--circuit",
        "large",
        "--model",
        "preset:ai4i-large-mlp-v1",
        "--members",
        "3",
        "--rounds",
        "1",
        "--k",
        "1000",
      ].concat(["--out", dir]),
    );
    expect(run.code, run.stderr).to.equal(0);
    const large = JSON.parse(await readFile(join(dir, "report.json"), "utf8")) as DemoReport;
    expect(large.task.parameters).to.equal(103_298);
    expect(large.circuit).to.include({ instance: "large", maxEntries: 224 });
    expect(large.policy.maxNonZeros).to.equal(1000);
    // Every member's 1,000 entries were proven in ceil(1000 / 224) = 5 chunks, committed in one transaction
    // each, recomputed by the aggregator and both auditors from the payload: all three included, finalized.
    expect(large.rounds[0]).to.include({ status: "finalized", committed: 3, chunksMedian: 5 });
    expect(large.rounds[0]!.rejected).to.deep.equal([]);
    expect(large.rounds[0]!.audit.map((a) => a.matches)).to.deep.equal([true, true]);
    expect(large.rounds[0]!.bytes.dense).to.equal(4 * 103_298);
    expect(large.rounds[0]!.bytes.sparseMedian).to.be.within(3_000, 4_000);
    expect((await stat(join(dir, "weights.bin"))).size).to.equal(4 * 103_298);
  });

  it("grows the histogram forest through the whole protocol on the defaults, under a backdoor: the forest, the large circuit, rule sum and the support defense, and the chain's models are the simulation's to the byte", async function () {
    const dir = await mkdtemp(join(tmpdir(), "cfl-demo-forest-"));
    const seed = 5;
    // No --model, --circuit, --rule or --defense: what `cfl demo` runs on AI4I by default.
    const run = await runCli(
      ["demo", "--members", "3", "--rounds", "2", "--seed", String(seed)].concat([
        "--attack",
        "backdoor",
        "--malicious",
        "1",
        "--out",
        dir,
      ]),
    );
    expect(run.code, run.stderr).to.equal(0);
    const forest = JSON.parse(await readFile(join(dir, "report.json"), "utf8")) as DemoReport;
    expect(forest.task).to.include({
      model: "ai4i-forest",
      family: "forest",
      topologyHash: forestSpecHash(AI4I_FOREST_SPEC),
      modelId: taskModelId({
        topologyHash: forestSpecHash(AI4I_FOREST_SPEC),
        dataHash: builtinDataHash("ai4i"),
      }),
      initialWeights: "no counts (a forest starts empty)",
    });
    // Nothing named: AI4I's default model, whose d (783,360) chose the large instance, its counts the rule and scale.
    expect(forest.circuit).to.include({ instance: "large", maxEntries: 224 });
    expect(forest.rule).to.equal("sum");
    // The defense that ran by default, said in the report, its closing summary and its page.
    expect(forest.supportMembers).to.equal(2);
    expect(renderDemoSummary({ report: forest, out: dir })).to.include(
      "rule sum with the support defense (q = 2)",
    );
    expect(await readFile(join(dir, "report.html"), "utf8")).to.include(
      "rule sum with the support defense (q = 2)",
    );
    // The forest's default defense, support, with 3 members: q = 3 / 3 + 1 = 2, over the preset's 32 bins × 2 classes.
    const support = {
      members: 2,
      slots: AI4I_FOREST_SPEC.featuresPerNode,
      bins: AI4I_FOREST_SPEC.bins,
      classes: AI4I_FOREST_SPEC.classes,
    };
    expect(forest.policy).to.include({
      scale: 1,
      maxNonZeros: 224 * 128,
      dimension: 783_360,
      ruleParameter: ruleToPolicy({ kind: "sum", support }).param.toString(),
    });
    for (const r of forest.rounds) {
      expect(r).to.include({ status: "finalized", committed: 3 });
      expect(r.rejected).to.deep.equal([]);
      expect(r.audit.map((a) => a.matches)).to.deep.equal([true, true]);
      expect(r.chunksMedian).to.be.greaterThan(1);
      expect(r.metrics.backdoorSuccess).to.be.within(0, 1);
    }
    // The same members' rows through the research simulation (no chain, no proofs): the same model bytes
    // every round, so the demo's chain holds exactly the pooled rows' counts, and the same scores.
    const data = await loadDemoData({
      options: {
        members: 3,
        rounds: 2,
        dataset: "ai4i",
        model: "preset:ai4i-forest",
        attack: "backdoor",
        malicious: 1,
        tamperAggregator: false,
        lyingAuditor: false,
        seed,
        out: dir,
        log: () => {},
      },
      maxParams: 2 ** 20,
      log: () => {},
    });
    // The last member poisons its rows as the demo's malicious member does; the rule vetoes as every auditor replays it.
    const members = data.members.map((m, i) =>
      i === 2 ? poisonData({ data: m, attack: "backdoor", trigger: AI4I_TRIGGER }) : m,
    );
    const policy = { maxNonZeros: 224 * 128, l2Bound: 2 ** 31 - 1, lInfBound: 2 ** 15 - 1 };
    const simulated = simulateForestFederation({
      spec: AI4I_FOREST_SPEC,
      members,
      evaluation: data.test,
      rounds: 2,
      policy: { ...policy, rule: { kind: "sum", support } },
    });
    // The veto acted: the plain sum of the same counts is another model.
    const unvetoed = simulateForestFederation({
      spec: AI4I_FOREST_SPEC,
      members,
      evaluation: data.test,
      rounds: 2,
      policy: { ...policy, rule: { kind: "sum" } },
    });
    expect(unvetoed.history.at(-1)!.modelHash).to.not.equal(simulated.history.at(-1)!.modelHash);
    expect(forest.rounds.map((r) => r.globalModelHash)).to.deep.equal(
      simulated.history.map((h) => h.modelHash),
    );
    expect(forest.rounds.map((r) => r.metrics.macroF1)).to.deep.equal(
      simulated.history.map((h) => h.evaluation.macroF1),
    );
    expect(forest.rounds[1]!.metrics.macroF1).to.be.greaterThan(forest.rounds[0]!.metrics.macroF1);
    // The final forest as files: its spec reads back as the task's model, its trees as grown.
    expect(forest.task.modelJson).to.equal(join(dir, "forest.json"));
    expect((await readModelFile(join(dir, "forest.json"))).topologyHash).to.equal(forest.task.topologyHash);
    const trees = JSON.parse(await readFile(join(dir, "forest-trees.json"), "utf8")) as { roots: unknown[] };
    expect(trees.roots).to.have.length(AI4I_FOREST_SPEC.trees);
  });

  it("--defense support on the forest: a free rider's empty update at the roots is left out as FreeRider, published with its reason, and the auditors agree", async function () {
    const dir = await mkdtemp(join(tmpdir(), "cfl-demo-forest-freerider-"));
    const run = await runCli(
      ["demo", "--model", "preset:ai4i-forest", "--members", "3", "--rounds", "1"].concat([
        "--attack",
        "freeride",
        "--malicious",
        "1",
        "--defense",
        "support",
        "--out",
        dir,
      ]),
    );
    expect(run.code, run.stderr).to.equal(0);
    const report = JSON.parse(await readFile(join(dir, "report.json"), "utf8")) as DemoReport;
    const round = report.rounds[0]!;
    expect(round).to.include({ status: "finalized", committed: 3 });
    expect(round.flagged).to.have.length(1);
    expect(round.flagged[0]).to.include({
      reason: "FreeRider",
      detail: "sent no counts for the roots while 2 members did",
    });
    expect(round.rejected).to.deep.equal([{ member: round.flagged[0]!.member, reason: "FreeRider" }]);
    expect(round.audit.map((a) => a.matches)).to.deep.equal([true, true]);
  });

  it("refuses a forest under a rule that is not sum, and the support defense without a forest or out of range, with one line before any chain", async function () {
    for (const [args, pattern] of [
      [
        ["--model", "preset:ai4i-forest", "--rule", "median"],
        /^error: model "ai4i-forest" needs rule sum \(its parameters are counts\), not median$/,
      ],
      [
        ["--circuit", "demo", "--defense", "support"],
        /^error: --defense support vetoes splits of a histogram forest's counts/,
      ],
      [
        ["--model", "preset:ai4i-forest", "--defense", "support", "--support-members", "5"],
        /^error: --support-members must be an integer from 2 to --members \(4\)$/,
      ],
      [["--defense", "none", "--support-members", "3"], /^error: --support-members needs --defense support$/],
    ] as const)
      await expectOneLineRefusal({ args, pattern, out: join(out, `bad-forest-${args.length}`) });
  });

  it("refuses a k beyond what the circuit can prove in chunks, or beyond the model, with one line, even when --quiet compiles the circuit first", async function () {
    // An empty circuit cache: the first use compiles, and --quiet keeps its steps off stderr too.
    const env = { CFL_CACHE_DIR: await mkdtemp(join(tmpdir(), "cfl-demo-cold-cache-")) };
    for (const [args, pattern] of [
      [
        ["--circuit", "large", "--model", "preset:ai4i-large-mlp-v1", "--k", "30000"],
        /^error: .*maxNonZeros 30000 exceeds the circuit's 28672 \(224 entries per chunk proof, at most 128 chunks\)/,
      ],
      [["--circuit", "demo", "--k", "5000"], /^error: .*maxNonZeros must be in 1\.\.dimension/],
    ] as const)
      await expectOneLineRefusal({ args, pattern, out: join(out, `bad-k-${args.length}`), env });
  });

  it("refuses bad options with one error line and a non-zero exit", async function () {
    const run = await runCli(["demo", "--members", "1"]);
    expect(run.code).to.equal(2);
    expect(run.stderr.trim().split("\n")).to.have.length(1);
    expect(run.stderr).to.match(/^error: .*--members/);
    const attack = await runCli(["demo", "--attack", "scaling", "--out", join(out, "bad")]);
    expect(attack.code).to.equal(2);
    expect(attack.stderr).to.match(/^error: --attack scaling needs --malicious/m);
    expect(attack.stderr).to.not.match(/\n\s+at /);
    const web = await runCli(["demo", "--web", "70000", "--out", join(out, "bad")]);
    expect(web.code).to.equal(2);
    expect(web.stderr.trim().split("\n")).to.deep.equal([
      "error: option '--web [port]' argument '70000' is invalid. a port is 0..65535 (0: any free port)",
    ]);
  });
});
