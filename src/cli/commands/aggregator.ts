import type { Command } from "commander";
import { positiveInt, runReaderRole, withConfigOption, type ConfigOption } from "./roles-shared.js";

export function registerAggregatorCommands(program: Command): void {
  const aggregator = program.command("aggregator").description("the task's aggregator worker");
  withConfigOption(
    aggregator
      .command("run")
      .description(
        "follow the task on chain: open a round on the last finalized model when the previous one ended, close it when ready, " +
          "check every update from the envelope its commit carried, aggregate, publish, and end rounds whose windows passed; " +
          "needs readerKeyFile and readerGroupFile; all state comes from the chain, so a restarted worker resumes and never publishes twice",
      ),
  )
    .option(
      "--rounds <n>",
      "exit once the task has this many ended rounds (finalized, disputed, abandoned or resolved) and none running",
      positiveInt("--rounds"),
    )
    .option(
      "--round-seconds <s>",
      "how long members may commit to a round (capped by the policy's maxRoundDuration)",
      positiveInt("--round-seconds"),
      3600,
    )
    .option("--quiet", "no progress output", false)
    .action(async (opts: ConfigOption & { rounds?: number; roundSeconds: number; quiet: boolean }) => {
      await runReaderRole({
        opts,
        command: "cfl aggregator run",
        role: "aggregator",
        loop: async (context) => {
          const { runAggregator } = await import("../../roles/index.js");
          await runAggregator({
            ...context,
            roundSeconds: opts.roundSeconds,
            ...(opts.rounds !== undefined ? { stopAfterRounds: opts.rounds } : {}),
          });
        },
      });
    });
}
