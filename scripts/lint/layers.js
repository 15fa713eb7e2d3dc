/**
 * The dependency direction of src/, as one ESLint rule: each folder of src/ sits in a layer and may import
 * only folders of lower layers. An upward import, a sideways import between folders of the same layer, and
 * with them any cycle between folders, fail the lint. Production code may not import Hardhat (a
 * devDependency): `cfl` must run after `npm ci --omit=dev`. The map is the architecture of
 * docs/architecture.md; a new folder must be placed in it before it can be imported.
 */
import { readFileSync } from "node:fs";
import { dirname, relative, resolve, sep } from "node:path";

/** Lowest first. */
export const LAYERS = [
  ["data", "sparse", "storage", "chain"],
  ["seal", "model", "zk", "supplychain"],
  ["learning", "aggregation"],
  ["governance"],
  ["roles", "research"],
  ["adversary", "config", "consortium"],
  ["evaluation", "harness", "web"],
  ["demo"],
  ["cli"],
];

const layerOf = new Map(LAYERS.flatMap((folders, rank) => folders.map((f) => [f, rank])));
/** Packages that only development tooling may load: package.json's devDependencies. */
const manifest = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8"));
const DEV_PACKAGES = new Set(
  Object.keys(manifest.devDependencies ?? {}).filter((name) => !(name in (manifest.dependencies ?? {}))),
);
/** The package a bare specifier loads: `@scope/name` or `name`, without a subpath. */
function packageOf(specifier) {
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
}
/** Folders that may load development-only modules: they run only where devDependencies are installed. */
const DEV_FOLDERS = new Set(["harness"]);

function srcFolder(file, root) {
  const rel = relative(resolve(root, "src"), file);
  if (rel.startsWith("..") || rel === "") return undefined;
  return rel.split(sep)[0];
}

/** @type {import("eslint").Rule.RuleModule} */
const layers = {
  meta: {
    type: "problem",
    docs: { description: "src/ folders import only lower layers; production code never imports Hardhat" },
    schema: [],
    messages: {
      upward: "{{from}} (layer {{fromRank}}) must not import {{to}} (layer {{toRank}}): only lower layers",
      sideways: "{{from}} and {{to}} are in the same layer ({{fromRank}}): neither may import the other",
      unplaced: "src/{{folder}} has no layer: add it to LAYERS in scripts/lint/layers.js",
      devOnly:
        "{{from}} is production code and must not import {{module}} (a devDependency: cfl must run after npm ci --omit=dev)",
    },
  },
  create(context) {
    const file = context.filename;
    const root = context.cwd;
    const from = srcFolder(file, root);
    if (from === undefined) return {};
    const check = (node, source) => {
      if (typeof source !== "string") return;
      if (!source.startsWith(".")) {
        // A lazy `await import()` is how a development-only path (zk:setup writing key files) loads its
        // tools; a static import would break every command of a production install.
        const lazy = node.type === "ImportExpression";
        const typeOnly = node.importKind === "type" || node.type === "TSImportType";
        if (!DEV_FOLDERS.has(from) && !lazy && !typeOnly && DEV_PACKAGES.has(packageOf(source)))
          context.report({ node, messageId: "devOnly", data: { from, module: source } });
        return;
      }
      const to = srcFolder(resolve(dirname(file), source), root);
      if (to === undefined || to === from) return;
      const fromRank = layerOf.get(from);
      const toRank = layerOf.get(to);
      if (fromRank === undefined)
        return context.report({ node, messageId: "unplaced", data: { folder: from } });
      if (toRank === undefined) return context.report({ node, messageId: "unplaced", data: { folder: to } });
      if (toRank > fromRank)
        context.report({ node, messageId: "upward", data: { from, to, fromRank, toRank } });
      else if (toRank === fromRank)
        context.report({ node, messageId: "sideways", data: { from, to, fromRank, toRank } });
    };
    const literal = (node) => (node && node.type === "Literal" ? node.value : undefined);
    return {
      ImportDeclaration: (node) => check(node, literal(node.source)),
      ExportNamedDeclaration: (node) => check(node, literal(node.source)),
      ExportAllDeclaration: (node) => check(node, literal(node.source)),
      ImportExpression: (node) => check(node, literal(node.source)),
      // typescript-eslint 8.x names the specifier `source` (reading the deprecated `argument` warns).
      TSImportType: (node) =>
        check(node, node.source ? literal(node.source) : literal(node.argument?.literal ?? node.argument)),
    };
  },
};

export default { rules: { layers } };
