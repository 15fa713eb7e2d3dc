// @stryker-mutator/mocha-runner 10.1 requires Mocha's cli internals (lib/cli/run-helpers, collect-files,
// options) without an extension, and Mocha 12 ships them as .cjs files: the plugin fails to load. Until
// the runner probes .cjs itself (stryker-js pull request 6205), let require() try .cjs after .js. Loaded by
// stryker.config.mjs in Stryker's own process and with --require in its test-runner processes.
"use strict";
const Module = require("node:module");
if (!Object.hasOwn(Module._extensions, ".cjs")) Module._extensions[".cjs"] = Module._extensions[".js"];
