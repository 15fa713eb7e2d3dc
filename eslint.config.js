import js from "@eslint/js";
import tseslint from "typescript-eslint";
import cflLayers from "./scripts/lint/layers.js";

export default tseslint.config(
  {
    ignores: [
      "node_modules/",
      "artifacts/",
      "cache/",
      "types/",
      "circuits/build/",
      "demo-out/",
      "bench/out/",
      "ignition/deployments/",
      "eslint.config.js",
      "scripts/lint/",
      "bin/",
      ".stryker-tmp/",
      "reports/",
      "stryker.config.mjs",
      "scripts/mutation/mocha12-compat.cjs",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { cfl: cflLayers },
    rules: {
      "cfl/layers": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/no-explicit-any": "error",
    },
  },
  {
    files: ["test/**/*.ts"],
    rules: {
      // chai's `expect(x).to.be.true` style reads as an unused expression.
      "@typescript-eslint/no-unused-expressions": "off",
    },
  },
);
