import type { Command } from "commander";
import { registerAggregatorCommands } from "./aggregator.js";
import { registerAuditCommand } from "./audit.js";
import { registerAuditorCommands } from "./auditor.js";
import { registerDataCommands } from "./data.js";
import { registerDemoCommand } from "./demo.js";
import { registerDeployCommand } from "./deploy.js";
import { registerGovernanceCommands } from "./governance.js";
import { registerMemberCommands } from "./member.js";
import { registerUpdateCommands } from "./update.js";
import { registerWebCommand } from "./web.js";
import { registerZkCommands } from "./zk.js";

/**
 * Wires every feature's commands into the program. Each feature folder owns its commands; this list is
 * the single place that decides what `cfl` offers.
 */
export function registerCommands(program: Command): void {
  registerDemoCommand(program);
  registerUpdateCommands(program);
  registerDataCommands(program);
  registerZkCommands(program);
  registerDeployCommand(program);
  registerGovernanceCommands(program);
  registerMemberCommands(program);
  registerAggregatorCommands(program);
  registerAuditorCommands(program);
  registerAuditCommand(program);
  registerWebCommand(program);
}
