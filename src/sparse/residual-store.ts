import { createHash, randomBytes } from "node:crypto";
import { mkdir, open, readFile, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { SparseInputError } from "./errors.js";

/**
 * Residual file layout (little-endian, version 1):
 *   "CFLR" | version u8 = 1 | task u32 | round u32 | dimension u32 | values f32 x dimension | sha256(previous bytes)
 * The checksum catches a torn or edited file, which would otherwise silently skew every later update.
 */
const MAGIC = Buffer.from("CFLR", "ascii");
const VERSION = 1;
const HEADER_BYTES = 4 + 1 + 4 + 4 + 4;
const CHECKSUM_BYTES = 32;

export interface ResidualKey {
  readonly task: number;
  /** The member's address, 0x-prefixed, 20 bytes (any letter case). */
  readonly member: string;
}

export interface StoredResidual {
  /** The round whose update left this residual. */
  readonly round: number;
  readonly residual: Float32Array;
}

function checkKey({ task, member }: ResidualKey): { task: number; member: string } {
  if (!Number.isInteger(task) || task < 0 || task > 0xffffffff) {
    throw new SparseInputError("invalid-context", `task must be a uint32, got ${task}`);
  }
  if (!/^0x[0-9a-fA-F]{40}$/.test(member)) {
    throw new SparseInputError(
      "invalid-context",
      `member must be a 0x-prefixed 20-byte address, got "${member}"`,
    );
  }
  return { task, member: member.toLowerCase() };
}

/**
 * Persists each member's error-feedback residual per task, so that a member that restarts between
 * rounds resumes with what it had not yet sent instead of silently dropping it.
 */
export class ResidualStore {
  readonly directory: string;

  constructor({ directory }: { directory: string }) {
    if (typeof directory !== "string" || directory.length === 0) {
      throw new SparseInputError("invalid-context", "ResidualStore needs a directory path");
    }
    this.directory = directory;
  }

  private pathFor(key: ResidualKey): string {
    const { task, member } = checkKey(key);
    return join(this.directory, `task-${task}`, `${member}.residual`);
  }

  /** The stored residual, or undefined when this member has none for this task yet. */
  async load(key: ResidualKey & { dimension?: number }): Promise<StoredResidual | undefined> {
    const path = this.pathFor(key);
    let bytes: Buffer;
    try {
      bytes = await readFile(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw error;
    }
    const corrupt = (why: string): SparseInputError =>
      new SparseInputError("residual-corrupt", `residual file ${path} is unusable: ${why}`);
    if (bytes.length < HEADER_BYTES + CHECKSUM_BYTES) throw corrupt(`only ${bytes.length} bytes`);
    const body = bytes.subarray(0, bytes.length - CHECKSUM_BYTES);
    const checksum = createHash("sha256").update(body).digest();
    if (!checksum.equals(bytes.subarray(bytes.length - CHECKSUM_BYTES))) throw corrupt("checksum mismatch");
    if (!body.subarray(0, 4).equals(MAGIC)) throw corrupt("bad magic");
    if (body[4] !== VERSION) throw corrupt(`unsupported version ${body[4]}`);
    const task = body.readUInt32LE(5);
    const round = body.readUInt32LE(9);
    const dimension = body.readUInt32LE(13);
    if (task !== key.task) throw corrupt(`it belongs to task ${task}`);
    if (body.length !== HEADER_BYTES + 4 * dimension)
      throw corrupt(`length does not match dimension ${dimension}`);
    if (key.dimension !== undefined && key.dimension !== dimension) {
      throw corrupt(`dimension ${dimension} but the task's model has ${key.dimension}`);
    }
    const residual = new Float32Array(dimension);
    for (let i = 0; i < dimension; i++) residual[i] = body.readFloatLE(HEADER_BYTES + 4 * i);
    return { round, residual };
  }

  /** Replaces the residual atomically: a crash leaves either the old file or the new one, never half. */
  async save(key: ResidualKey & StoredResidual): Promise<void> {
    const path = this.pathFor(key);
    const { round, residual } = key;
    if (!Number.isInteger(round) || round < 0 || round > 0xffffffff) {
      throw new SparseInputError("invalid-context", `round must be a uint32, got ${round}`);
    }
    if (!(residual instanceof Float32Array)) {
      throw new SparseInputError("invalid-tensor", "residual must be a Float32Array");
    }
    const body = Buffer.alloc(HEADER_BYTES + 4 * residual.length);
    MAGIC.copy(body, 0);
    body[4] = VERSION;
    body.writeUInt32LE(key.task, 5);
    body.writeUInt32LE(round, 9);
    body.writeUInt32LE(residual.length, 13);
    for (let i = 0; i < residual.length; i++) body.writeFloatLE(residual[i] as number, HEADER_BYTES + 4 * i);
    const checksum = createHash("sha256").update(body).digest();

    await mkdir(join(this.directory, `task-${key.task}`), { recursive: true });
    const temporary = `${path}.${randomBytes(6).toString("hex")}.tmp`;
    const handle = await open(temporary, "wx");
    try {
      await handle.writeFile(Buffer.concat([body, checksum]));
      await handle.sync();
    } catch (error) {
      await handle.close();
      await rm(temporary, { force: true });
      throw error;
    }
    await handle.close();
    await rename(temporary, path);
  }
}
