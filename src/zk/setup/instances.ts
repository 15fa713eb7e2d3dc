import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { z } from "zod";
import { ZkSetupError } from "../errors.js";
import type { CircuitInstance } from "../types.js";

/** Repository root (src/zk/setup -> ../../..): circuits, contracts and node_modules are found from here. */
export const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
export const CIRCUITS_DIR = join(REPO_ROOT, "circuits");
export const REGISTRY_PATH = join(CIRCUITS_DIR, "instances.json");
export const LOCK_PATH = join(CIRCUITS_DIR, "instances.lock.json");
export const VERIFIERS_DIR = join(REPO_ROOT, "contracts", "verifiers");
/** circuits/keys/<instance>.vk.json: verifying keys in the VerifyingKeyRegistry's word layout. */
export const KEYS_DIR = join(CIRCUITS_DIR, "keys");

const instanceSchema = z.object({
  name: z.string().regex(/^[a-z][a-z0-9-]*$/, "instance names are lower-case words"),
  template: z.literal("UpdateBounds"),
  source: z.string().regex(/^[A-Za-z0-9_-]+\.circom$/),
  parameters: z.object({
    K: z.number().int().min(1).max(4096),
    IDX_BITS: z.number().int().min(1).max(32),
    VAL_BITS: z.number().int().min(2).max(64),
  }),
  publicSignals: z.tuple([
    z.literal("commitment"),
    z.literal("context"),
    z.literal("bounds"),
    z.literal("previous"),
  ]),
  ptauPower: z.number().int().min(8).max(20),
  description: z.string().optional(),
});
const registrySchema = z.object({ instances: z.array(instanceSchema).min(1) });

/** Reads and validates circuits/instances.json. */
export async function readInstanceRegistry(): Promise<CircuitInstance[]> {
  const raw: unknown = JSON.parse(await readFile(REGISTRY_PATH, "utf8"));
  const parsed = registrySchema.safeParse(raw);
  if (!parsed.success) {
    throw new ZkSetupError(`circuits/instances.json is malformed: ${parsed.error.message}`);
  }
  return parsed.data.instances;
}

export async function findInstance({ instance }: { instance: string }): Promise<CircuitInstance> {
  const all = await readInstanceRegistry();
  const found = all.find((i) => i.name === instance);
  if (found === undefined) {
    throw new ZkSetupError(
      `unknown circuit instance "${instance}"; circuits/instances.json has: ${all.map((i) => i.name).join(", ")}`,
    );
  }
  return found;
}

/** `demo` -> `Demo`, `big-test` -> `BigTest`. */
export function pascalCase(name: string): string {
  return name
    .split(/[-_]/)
    .filter((p) => p.length > 0)
    .map((p) => p[0]!.toUpperCase() + p.slice(1))
    .join("");
}

export function verifierContractName(instance: string): string {
  return `${pascalCase(instance)}UpdateVerifier`;
}
