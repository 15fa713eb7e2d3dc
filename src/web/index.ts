export { startWebConsole, LOOPBACK_HOSTS, READ_ONLY_METHODS } from "./server.js";
export { buildWebApp, type WebBuild } from "./build.js";
export type { ChainUpstream, ConsoleSettings, RoundQuality, WebConsole, WebConsoleOptions } from "./types.js";
