import type { Command } from "commander";
import { positiveInt, runReaderRole, withConfigOption, type ConfigOption } from "./roles-shared.js";

export function registerAuditorCommands(program: Command): void {
  const auditor = program.command("auditor").description("an independent auditor of the task's aggregates");
  withConfigOption(
    auditor
      .command("run")
      .description(
        "follow the task on chain: replay every published round not yet attested from chain and IPFS alone, attest " +
          "match or mismatch, and finalize rounds whose attestation quorum agrees",
      ),
  )
    .option("--rounds <n>", "exit once the task has this many settled rounds", positiveInt("--rounds"))
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
