import { vkeyHash } from "./canonical.js";
import { ZkInputError } from "./errors.js";
import { exportVerificationKey } from "./snark-input.js";
import { findInstance } from "./setup/instances.js";
import { ensureInstanceBuilt } from "./setup/build.js";
import type { CircuitArtifacts } from "./types.js";
import { VERIFYING_KEY_PUBLIC_SIGNALS } from "./verifying-key.js";

/**
 * Proving and verifying artifacts of one instance from circuits/instances.json, building them (cold setup:
 * compile, development-only keys) if the cache does not have them yet. With `zkeyPath` (a ceremony's
 * final key for this instance) that key proves and its verifying key is exported from it; otherwise the
 * development key does, which only development deployments accept.
 */
export async function loadCircuitArtifacts({
  instance,
  zkeyPath,
}: {
  instance: string;
  zkeyPath?: string;
}): Promise<CircuitArtifacts> {
  const entry = await findInstance({ instance });
  const build = await ensureInstanceBuilt({ instance: entry });
  let vkey = build.vkey;
  if (zkeyPath !== undefined) {
    try {
      vkey = await exportVerificationKey({ zkeyPath });
    } catch (error) {
      throw new ZkInputError(`cannot read the proving key ${zkeyPath}: ${String(error)}`);
    }
    if (vkey.nPublic !== VERIFYING_KEY_PUBLIC_SIGNALS) {
      throw new ZkInputError(
        `${zkeyPath} is not an update-circuit key (it takes ${String(vkey.nPublic)} public signals, the circuit ${VERIFYING_KEY_PUBLIC_SIGNALS})`,
      );
    }
  }
  return {
    instance,
    wasmPath: build.wasmPath,
    zkeyPath: zkeyPath ?? build.zkeyPath,
    r1csPath: build.r1csPath,
    vkey,
    vkeyHash: zkeyPath === undefined ? build.vkeyHash : vkeyHash(vkey),
    params: { ...entry.parameters },
    ptauPath: build.ptauPath,
    constraints: build.constraints,
  };
}
