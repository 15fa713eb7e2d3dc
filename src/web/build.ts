/**
 * The console's static build: the browser app under ./app bundled by esbuild (a production dependency, so
 * `cfl web` works after `npm ci --omit=dev`) into one script and one stylesheet held in memory. Nothing is
 * fetched from a CDN; the page loads only what this build produced.
 */
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";

export interface WebBuild {
  readonly script: Uint8Array;
  readonly stylesheet: Uint8Array;
  readonly html: string;
}

const APP_DIR = fileURLToPath(new URL("./app/", import.meta.url));

/** The console's single page: the app mounts into #app. */
const HTML = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>circular-fl console</title>
    <link rel="icon" href="data:," />
    <link rel="stylesheet" href="/app.css" />
  </head>
  <body>
    <div id="app"></div>
    <script type="module" src="/app.js"></script>
  </body>
</html>
`;

/** Bundles the app (about a second); `minify` off keeps stack traces readable while developing. */
export async function buildWebApp({ minify = true }: { minify?: boolean } = {}): Promise<WebBuild> {
  const { build } = await import("esbuild");
  const result = await build({
    entryPoints: [`${APP_DIR}main.tsx`],
    bundle: true,
    write: false,
    format: "esm",
    platform: "browser",
    target: "es2022",
    jsx: "automatic",
    jsxImportSource: "preact",
    minify,
    legalComments: "none",
    logLevel: "silent",
    outfile: "app.js",
  });
  const script = result.outputFiles.find((f) => f.path.endsWith(".js"));
  if (!script) throw new Error("the web console's build produced no script");
  const stylesheet = await readFile(`${APP_DIR}style.css`);
  return { script: script.contents, stylesheet, html: HTML };
}
