import type { ESLint } from "eslint";

/** The `cfl/layers` ESLint plugin (layers.js). */
declare const plugin: ESLint.Plugin;
export default plugin;
export declare const LAYERS: string[][];
