import { open, readFile, stat } from "node:fs/promises";
import * as snarkjs from "snarkjs";
import { ZkInputError } from "./errors.js";

/**
 * Files handed to snarkjs as bytes rather than by name. Given a name, snarkjs opens the file itself
 * (fastfile, a FileHandle) and does not always close it: `zKey.verifyFromInit` leaves the phase-1 file open
 * even when it succeeds, and its readers leave their files open when they return false or throw on a
 * malformed file. Node then closes such a handle when it is garbage collected, with a warning ("Closing file
 * descriptor N on garbage collection", DEP0137). Given the bytes, snarkjs opens nothing.
 *
 * The 4-byte magic is checked here, so that a wrong file fails with its path: snarkjs's own message would
 * print the bytes where it expects a file name.
 */
export type SnarkFileType = "zkey" | "ptau" | "r1cs";

/**
 * Larger files are handed over by name (fs.readFile stops at 2 GiB, and memory matters sooner). Circuit keys
 * are a few MB; only an imported phase-1 file can be this large, and then snarkjs reads it itself.
 */
const IN_MEMORY_LIMIT = 1 << 30;

function checkMagic({ head, path, type }: { head: Uint8Array; path: string; type: SnarkFileType }): void {
  if (Buffer.from(head.subarray(0, 4)).toString("latin1") !== type) {
    throw new ZkInputError(`${path} is not a snarkjs ${type} file`);
  }
}

async function readHead(path: string): Promise<Uint8Array> {
  const handle = await open(path, "r");
  try {
    const head = new Uint8Array(4);
    await handle.read(head, 0, 4, 0);
    return head;
  } finally {
    await handle.close();
  }
}

/** The file's bytes for snarkjs (its name beyond 1 GiB), after checking it is a `type` file. */
export async function snarkInput({
  path,
  type,
}: {
  path: string;
  type: SnarkFileType;
}): Promise<Uint8Array | string> {
  if ((await stat(path)).size > IN_MEMORY_LIMIT) {
    checkMagic({ head: await readHead(path), path, type });
    return path;
  }
  // A plain Uint8Array over the Buffer's memory: fastfile slices it, and Buffer#slice would share memory.
  const buffer = await readFile(path);
  const bytes = new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  checkMagic({ head: bytes, path, type });
  return bytes;
}

/** snarkjs's `zKey.exportVerificationKey`, reading the key from memory. */
export async function exportVerificationKey({
  zkeyPath,
}: {
  zkeyPath: string;
}): Promise<Record<string, unknown>> {
  return snarkjs.zKey.exportVerificationKey(await snarkInput({ path: zkeyPath, type: "zkey" }));
}
