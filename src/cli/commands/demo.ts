import { Command, InvalidArgumentError, Option } from "commander";
import { resolve } from "node:path";
import { POISONING_ATTACKS } from "../../adversary/poisoning.js";
import { DRAFTABLE_RULE_KINDS } from "../../aggregation/index.js";
import { loadDevOnly } from "../dev-dependency.js";
import { createLogger } from "../log.js";

function integer(name: string, min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^-?\d+$/.test(value) || n < min || n > max) {
      throw new InvalidArgumentError(`${name} must be an integer from ${min} to ${max}`);
    }
    return n;
  };
}

export function registerDemoCommand(program: Command): void {
  program
    .command("demo")
    .description(
      "run a whole federation in one process: in-process chain, embedded IPFS, real proofs, aggregation and audits",
    )
    .option("--members <n>", "members in the consortium", integer("--members", 2, 64), 4)
    .option("--rounds <n>", "federated rounds", integer("--rounds", 1, 50), 3)
    .addOption(new Option("--dataset <name>", "data set").choices(["ai4i", "supplychain"]).default("ai4i"))
    .addOption(
      new Option("--rule <rule>", "aggregation rule").choices([...DRAFTABLE_RULE_KINDS]).default("mean"),
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
    .option("--circuit <instance>", "circuit instance (circuits/instances.json)", "demo")
    .option("--quiet", "no progress output", false)
    .action(async (opts: Record<string, unknown>) => {
      const { runDemo } = await loadDevOnly({
        needs: "hardhat/hre",
        what: "cfl demo runs on Hardhat's in-process chain",
        load: () => import("../../demo/index.js"),
      });
      const report = await runDemo({
        members: opts.members as number,
        rounds: opts.rounds as number,
        dataset: opts.dataset as "ai4i" | "supplychain",
        rule: opts.rule as "mean",
        attack: opts.attack as "none",
        malicious: opts.malicious as number,
        tamperAggregator: opts.tamperAggregator as boolean,
        ...(opts.silentAggregator !== undefined ? { silentAggregator: opts.silentAggregator as number } : {}),
        lyingAuditor: opts.lyingAuditor as boolean,
        seed: opts.seed as number,
        out: resolve(opts.out as string),
        circuit: opts.circuit as string,
        log: createLogger({ quiet: opts.quiet as boolean }),
      });
      const summary = report.rounds.map((r) => ({
        round: r.round,
        committed: r.committed,
        status: r.status,
        rejected: r.rejected.length,
        macroF1: Number(r.metrics.macroF1.toFixed(4)),
      }));
      process.stdout.write(JSON.stringify({ out: resolve(opts.out as string), rounds: summary }) + "\n");
    });
}
