import { Command, InvalidArgumentError, Option } from "commander";
import { resolve } from "node:path";
import { POISONING_ATTACKS } from "../../adversary/poisoning.js";
import { DRAFTABLE_RULE_KINDS, type AggregationRuleKind } from "../../aggregation/index.js";
import { loadDevOnly } from "../dev-dependency.js";
import type { DemoChain, DemoDataOptions, DemoOptions, RoundReport } from "../../demo/types.js";
import type { WebConsole } from "../../web/index.js";
import { createLogger, type Logger } from "../log.js";
import { renderDemoSummary } from "./demo-summary.js";
import { DEFAULT_WEB_PORT, parsePort, untilStopped } from "./web.js";

function integer(name: string, min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^-?\d+$/.test(value) || n < min || n > max) {
      throw new InvalidArgumentError(`${name} must be an integer from ${min} to ${max}`);
    }
    return n;
  };
}

/** `--data` and its companions, checked together (one line each when they do not fit). */
function demoDataOptions(opts: Record<string, unknown>): DemoDataOptions | undefined {
  const str = (key: string) => (typeof opts[key] === "string" ? opts[key] : undefined);
  const path = str("data");
  if (path === undefined) {
    for (const flag of ["schema", "label", "splitBy", "delimiter"])
      if (opts[flag] !== undefined)
        throw new Error(`--${flag.replace(/[A-Z]/g, (c) => "-" + c.toLowerCase())} needs --data <file>`);
    return undefined;
  }
  if ((str("schema") === undefined) === (str("label") === undefined))
    throw new Error("--data needs exactly one of --schema <file> or --label <column>");
  const delimiter = str("delimiter");
  if (delimiter !== undefined && delimiter.length !== 1) throw new Error("--delimiter must be one character");
  const model = str("model");
  return {
    path: resolve(path),
    ...(str("schema") !== undefined ? { schemaFile: resolve(str("schema")!) } : {}),
    ...(str("label") !== undefined ? { label: str("label")! } : {}),
    ...(model !== undefined ? { modelFile: model.startsWith("preset:") ? model : resolve(model) } : {}),
    ...(str("splitBy") !== undefined ? { splitBy: str("splitBy")! } : {}),
    ...(delimiter !== undefined ? { delimiter } : {}),
  };
}

/**
 * The task's rule: `--rule`, or `screened-mean` for `--defense screened` (which is that rule); undefined:
 * the default (mean, or what the model's family needs).
 */
function demoRule(opts: Record<string, unknown>): AggregationRuleKind | undefined {
  const rule = opts.rule as AggregationRuleKind | undefined;
  if (opts.defense !== "screened") return rule;
  if (rule !== undefined && rule !== "mean" && rule !== "screened-mean")
    throw new Error(`--defense screened is the screened-mean rule: drop --rule ${rule}`);
  return "screened-mean";
}

/** `--defense` and `--support-members` as given: the demo applies the model's defaults (`planDemoModel`). */
function demoDefense(opts: Record<string, unknown>): Pick<DemoOptions, "defense" | "supportMembers"> {
  return {
    ...(opts.defense !== undefined ? { defense: opts.defense as NonNullable<DemoOptions["defense"]> } : {}),
    ...(opts.supportMembers !== undefined ? { supportMembers: opts.supportMembers as number } : {}),
  };
}

export function registerDemoCommand(program: Command): void {
  program
    .command("demo")
    .description(
      "run a whole federation in one process: in-process chain, embedded IPFS, real proofs, aggregation and audits",
    )
    .option("--members <n>", "members in the consortium", integer("--members", 2, 64), 4)
    .option(
      "--rounds <n>",
      "federated rounds (default: a forest's depth, as it grows one level a round: 8 for preset:ai4i-forest; else 3)",
      integer("--rounds", 1, 50),
    )
    .addOption(
      new Option("--dataset <name>", "built-in data set").choices(["ai4i", "supplychain"]).default("ai4i"),
    )
    .option(
      "--data <file>",
      "federate your own records instead (CSV or JSON Lines); needs --schema or --label",
    )
    .option("--schema <file>", "the data schema of --data (cfl data infer-schema)")
    .option(
      "--label <column>",
      "infer the schema of --data with this label column and write it beside the report",
    )
    .option(
      "--model <file>",
      "the task's model: a TF.js model.json, a histogram forest's forest.json, or preset:<name> (default: on ai4i " +
        "preset:ai4i-forest, the forest, rule sum on the large circuit, or the MLP preset when --circuit does not reach it " +
        "or --rule/--defense names a neural one, the compact MLP when the circuit proves 16 entries or fewer; " +
        "supplychain its MLP preset; with --data one proposed for the schema)",
    )
    .option(
      "--split-by <column>",
      "give each member the rows of one value of this column (default: stratified shares)",
    )
    .option("--delimiter <char>", "the CSV delimiter of --data (default: ,)")
    .addOption(
      new Option(
        "--rule <rule>",
        "aggregation rule (default: sum for a forest, whose counts need it; else mean)",
      ).choices([...DRAFTABLE_RULE_KINDS]),
    )
    .addOption(
      new Option(
        "--defense <defense>",
        "screened: the task's rule becomes screened-mean (free riders and opposing updates excluded and listed, " +
          "the rest clipped to the median norm); support (a forest): the sum vetoes splits that fewer than " +
          "--support-members members' own rows vary on (backdoor triggers) and leaves out updates that are no rows' counts (free riders); " +
          "none (default: support for a forest, else none)",
      ).choices(["none", "screened", "support"]),
    )
    .option(
      "--support-members <q>",
      "with the support defense: the members whose rows must vary on a histogram for it to be split (default: members / 3 + 1, rounded down, at least 2)",
      integer("--support-members", 2, 64),
    )
    .addOption(
      new Option("--attack <attack>", "what malicious members do")
        .choices([...POISONING_ATTACKS])
        .default("none"),
    )
    .option("--malicious <m>", "number of malicious members", integer("--malicious", 0, 63), 0)
    .option("--tamper-aggregator", "the aggregator publishes a wrong model hash in round 2", false)
    .option(
      "--silent-aggregator <round>",
      "the aggregator stops after closing this round; the round is abandoned and the other aggregator takes over",
      integer("--silent-aggregator", 1, 50),
    )
    .option("--lying-auditor", "one auditor attests a mismatch on every round; governance resolves it", false)
    .option(
      "--seed <s>",
      "seed for data splits, initial model and training",
      integer("--seed", 0, 2 ** 31),
      7,
    )
    .option("--out <dir>", "where report.json, report.html and the IPFS blockstore go", "./demo-out")
    .option(
      "--circuit <instance>",
      "circuit instance (circuits/instances.json; default: demo, or large for a model beyond its 4,096 indices)",
    )
    .option(
      "--k <n>",
      "non-zeros per update (default: the circuit's K, at most d); above K updates are proven in chunks of K",
      integer("--k", 1, 2 ** 31),
    )
    .option(
      "--web [port]",
      `serve the web console on the demo's chain from the start (default port ${DEFAULT_WEB_PORT}), and keep it up after the rounds until Ctrl-C`,
      parsePort,
    )
    .option("--quiet", "no progress output", false)
    .option("--json", "print the result as JSON (the default when stdout is not a terminal)", false)
    .action(async (opts: Record<string, unknown>) => {
      const { runDemo } = await loadDevOnly({
        needs: "hardhat/hre",
        what: "cfl demo runs on Hardhat's in-process chain",
        load: () => import("../../demo/index.js"),
      });
      const data = demoDataOptions(opts);
      const log = createLogger({ quiet: opts.quiet as boolean });
      const out = resolve(opts.out as string);
      const tableOnTty = opts.json !== true && process.stdout.isTTY === true;
      const web = opts.web === undefined ? undefined : await demoConsole({ option: opts.web, log });
      const report = await runDemo({
        members: opts.members as number,
        ...(opts.rounds !== undefined ? { rounds: opts.rounds as number } : {}),
        dataset: opts.dataset as "ai4i" | "supplychain",
        ...(data ? { data } : {}),
        ...(!data && typeof opts.model === "string"
          ? { model: opts.model.startsWith("preset:") ? opts.model : resolve(opts.model) }
          : {}),
        ...(demoRule(opts) !== undefined ? { rule: demoRule(opts)! } : {}),
        ...demoDefense(opts),
        attack: opts.attack as "none",
        malicious: opts.malicious as number,
        tamperAggregator: opts.tamperAggregator as boolean,
        ...(opts.silentAggregator !== undefined ? { silentAggregator: opts.silentAggregator as number } : {}),
        lyingAuditor: opts.lyingAuditor as boolean,
        seed: opts.seed as number,
        out,
        ...(typeof opts.circuit === "string" ? { circuit: opts.circuit } : {}),
        ...(opts.k !== undefined ? { maxNonZeros: opts.k as number } : {}),
        log,
        ...(web
          ? {
              onChain: web.onChain,
              onRound: web.onRound,
              afterRounds: async (finished) => {
                if (tableOnTty) process.stdout.write(renderDemoSummary({ report: finished, out }) + "\n");
                await web.serveUntilStopped();
              },
            }
          : {}),
      });
      if (tableOnTty) {
        if (!web) process.stdout.write(renderDemoSummary({ report, out }) + "\n");
        return;
      }
      const summary = report.rounds.map((r) => ({
        round: r.round,
        committed: r.committed,
        status: r.status,
        rejected: r.rejected.length,
        macroF1: Number(r.metrics.macroF1.toFixed(4)),
      }));
      const perMember = report.perMember.map((m) => ({
        member: m.member,
        rows: m.rows,
        macroF1: m.macroF1 === null ? null : Number(m.macroF1.toFixed(4)),
      }));
      process.stdout.write(JSON.stringify({ out, rounds: summary, perMember }) + "\n");
    });
}

/**
 * `cfl demo --web`: the console served on the demo's in-process chain as soon as the task exists, fed the
 * demo's own quality figures, and kept up after the rounds until the operator stops it.
 */
async function demoConsole({ option, log }: { option: unknown; log: Logger }) {
  // `--web` alone is `true`; with a value, commander has parsed it with `parsePort`.
  const port = typeof option === "number" ? option : DEFAULT_WEB_PORT;
  const { startWebConsole } = await import("../../web/index.js");
  let web: WebConsole | undefined;
  return {
    onChain: async (chain: DemoChain): Promise<void> => {
      web = await startWebConsole({
        chain: { provider: chain.provider },
        addresses: chain.addresses,
        taskId: chain.taskId,
        port,
      });
      log("web", { url: web.url, note: "the console follows the rounds live" });
    },
    onRound: ({ taskId, report }: { taskId: bigint; report: RoundReport }): void =>
      web?.addQuality([
        {
          taskId: taskId.toString(),
          round: report.round,
          macroF1: report.metrics.macroF1,
          source: "cfl demo, shared test set",
        },
      ]),
    serveUntilStopped: async (): Promise<void> => {
      if (!web) return;
      log("web", { url: web.url, note: "the demo's chain stays up for the console: Ctrl-C to stop" });
      await untilStopped();
      await web.close();
    },
  };
}
