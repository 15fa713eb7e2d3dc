/**
 * TF.js backend selection. Nothing is downloaded at run time: the native TensorFlow binding is used only
 * when it is installed, the WASM backend loads its .wasm files from the installed package, and the plain
 * JavaScript CPU backend is the last resort.
 */
import { createRequire } from "node:module";
import path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";

export type BackendName = "tensorflow" | "wasm" | "cpu";

/** The optional native binding; a variable keeps TypeScript from resolving a module that may be absent. */
const NATIVE_BINDING = "@tensorflow/tfjs-node";

let selected: Promise<BackendName> | undefined;

async function tryNative(): Promise<boolean> {
  try {
    await import(NATIVE_BINDING);
    return (await tf.setBackend("tensorflow")) && tf.getBackend() === "tensorflow";
  } catch {
    return false;
  }
}

async function tryWasm(): Promise<boolean> {
  try {
    const require = createRequire(import.meta.url);
    const packageDir = path.dirname(require.resolve("@tensorflow/tfjs-backend-wasm/package.json"));
    // A file path with a trailing separator: the backend appends the .wasm file names to it.
    setWasmPaths(path.join(packageDir, "dist") + path.sep);
    return (await tf.setBackend("wasm")) && tf.getBackend() === "wasm";
  } catch {
    return false;
  }
}

async function select(log: boolean): Promise<BackendName> {
  let name: BackendName = "cpu";
  if (await tryNative()) name = "tensorflow";
  else if (await tryWasm()) name = "wasm";
  else await tf.setBackend("cpu");
  await tf.ready();
  if (log) process.stderr.write(`circular-fl learning: TF.js backend ${name}\n`);
  return name;
}

/**
 * Selects the fastest available backend once per process and returns its name; later calls return the
 * same answer. Set `CFL_TFJS_BACKEND=cpu|wasm` to force one (the CPU backend is the reference when a
 * WASM result looks suspicious).
 */
export function initBackend({ log = false }: { log?: boolean } = {}): Promise<BackendName> {
  if (selected === undefined) {
    const forced = process.env.CFL_TFJS_BACKEND;
    if (forced === "cpu") {
      selected = tf.setBackend("cpu").then(async () => {
        await tf.ready();
        return "cpu" as const;
      });
    } else if (forced === "wasm") {
      selected = tryWasm().then(async (ok) => {
        if (!ok) throw new BackendUnavailableError("wasm");
        await tf.ready();
        return "wasm" as const;
      });
    } else {
      selected = select(log);
    }
  }
  return selected;
}

export class BackendUnavailableError extends Error {
  readonly code = "backend-unavailable";
  constructor(backend: string) {
    super(`TF.js backend "${backend}" was requested through CFL_TFJS_BACKEND but could not be initialised`);
    this.name = "BackendUnavailableError";
  }
}

export { tf };
