import type { Command } from "commander";
import { positiveInt, runReaderRole, withConfigOption, type ConfigOption } from "./roles-shared.js";

export function registerAuditorCommands(program: Command): void {
  const auditor = program.command("auditor").description("an independent auditor of the task's aggregates");
  withConfigOption(
    auditor
      .command("run")
      .description(
        "follow the task on chain: replay every published round not yet attested from the chain (and the models on IPFS), " +
          "attest match or mismatch, keep (pin) every envelope and model it checked, and finalize or abandon rounds as " +
          "their windows allow; needs readerKeyFile and readerGroupFile",
      ),
  )
    .option("--rounds <n>", "exit once the task has this many ended rounds", positiveInt("--rounds"))
    .option("--quiet", "no progress output", false)
    .action(async (opts: ConfigOption & { rounds?: number; quiet: boolean }) => {
      await runReaderRole({
        opts,
        command: "cfl auditor run",
        role: "auditor",
        loop: async (context) => {
          const { runAuditor } = await import("../../roles/index.js");
          await runAuditor({
            ...context,
            ...(opts.rounds !== undefined ? { stopAfterRounds: opts.rounds } : {}),
          });
        },
      });
    });
}
