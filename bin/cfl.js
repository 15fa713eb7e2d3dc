#!/usr/bin/env node
// Entry point for the `cfl` command: runs the TypeScript CLI through tsx so that no build step
// stands between a checkout and a working command.
import { register } from "tsx/esm/api";
register();
await import("../src/cli/index.ts");
