import type { Command } from "commander";
import { registerDemoCommand } from "./demo.js";
import { registerUpdateCommands } from "./update.js";
import { registerZkCommands } from "./zk.js";

/**
 * Wires every feature's commands into the program. Each feature folder owns its commands; this list is
 * the single place that decides what `cfl` offers.
 */
export function registerCommands(program: Command): void {
  registerDemoCommand(program);
  registerUpdateCommands(program);
  registerZkCommands(program);
}
