/** Runs the `cfl` command line (see ./main.ts); imported by bin/cfl.js and runnable with tsx. */
import { main } from "./main.js";

process.exitCode = await main(process.argv.slice(2));
