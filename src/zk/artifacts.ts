import { findInstance } from "./setup/instances.js";
import { ensureInstanceBuilt } from "./setup/build.js";
import type { CircuitArtifacts } from "./types.js";

/**
 * Proving and verifying artifacts of one instance from circuits/instances.json, building them (cold setup:
 * compile, development-only keys) if the cache does not have them yet. Keys here are development-only.
 */
export async function loadCircuitArtifacts({ instance }: { instance: string }): Promise<CircuitArtifacts> {
  const entry = await findInstance({ instance });
  const build = await ensureInstanceBuilt({ instance: entry });
  return {
    instance,
    wasmPath: build.wasmPath,
    zkeyPath: build.zkeyPath,
    r1csPath: build.r1csPath,
    vkey: build.vkey,
    vkeyHash: build.vkeyHash,
    params: { ...entry.parameters },
    ptauPath: build.ptauPath,
    constraints: build.constraints,
  };
}
