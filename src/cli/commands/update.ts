import { readFile } from "node:fs/promises";
import { Command, InvalidArgumentError } from "commander";
import { loadReaderGroup } from "../../config/index.js";
import {
  GROUP_SEAL_VERSION,
  inspectEnvelope,
  openFromGroup,
  openPayload,
  openReaderGroup,
} from "../../seal/index.js";
import { decodeUpdate, fixedPointNorms, type UpdateContext } from "../../sparse/index.js";

export type UpdateCommandErrorCode =
  "unreadable-file" | "bad-key-file" | "context-mismatch" | "missing-option";

export class UpdateCommandError extends Error {
  readonly code: UpdateCommandErrorCode;

  constructor(code: UpdateCommandErrorCode, message: string) {
    super(message);
    this.name = "UpdateCommandError";
    this.code = code;
  }
}

/** What `cfl update inspect` prints: one JSON object. */
export interface UpdateSummary {
  readonly task: number;
  readonly round: number;
  readonly member: string;
  readonly d: number;
  readonly count: number;
  readonly scale: number;
  /** L2 norm of the dequantized values (value / scale). */
  readonly l2: number;
  /** Largest |value| / scale. */
  readonly lInf: number;
  /** Size of the update in wire format. */
  readonly bytes: number;
  /** Whether the file was a sealed envelope, and its size. */
  readonly sealed: boolean;
  readonly fileBytes: number;
  readonly salt: string;
}

interface InspectOptions {
  key?: string;
  readerGroup?: string;
  task?: number;
  round?: number;
  member?: string;
  /** The task policy's dimension d and fixed-point scale: the wire format does not carry them. */
  d?: number;
  scale?: number;
}

const uint32 =
  (what: string) =>
  (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n > 0xffffffff) {
      throw new InvalidArgumentError(`${what} must be an integer in [0, 2^32-1]`);
    }
    return n;
  };

const address = (value: string): string => {
  if (!/^0x[0-9a-fA-F]{40}$/.test(value))
    throw new InvalidArgumentError("must be a 0x-prefixed 20-byte address");
  return value;
};

async function readBytes(path: string, what: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (error) {
    throw new UpdateCommandError(
      "unreadable-file",
      `cannot read ${what} ${path}: ${(error as Error).message}`,
    );
  }
}

async function readReaderKey(path: string): Promise<{ id: string; secretKey: Uint8Array }> {
  const text = Buffer.from(await readBytes(path, "key file")).toString("utf8");
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new UpdateCommandError("bad-key-file", `key file ${path} is not JSON`);
  }
  const { id, secretKey } = (parsed ?? {}) as { id?: unknown; secretKey?: unknown };
  if (typeof id !== "string" || !/^0x[0-9a-fA-F]{40}$/.test(id)) {
    throw new UpdateCommandError("bad-key-file", `key file ${path} needs "id": the reader's 0x address`);
  }
  if (typeof secretKey !== "string" || !/^(0x)?[0-9a-fA-F]{64}$/.test(secretKey)) {
    throw new UpdateCommandError("bad-key-file", `key file ${path} needs "secretKey": 32 bytes in hex`);
  }
  return { id, secretKey: Uint8Array.from(Buffer.from(secretKey.replace(/^0x/, ""), "hex")) };
}

function expectedContext(options: InspectOptions, fallback: UpdateContext): UpdateContext {
  return {
    task: options.task ?? fallback.task,
    round: options.round ?? fallback.round,
    member: options.member ?? fallback.member,
  };
}

/** The slot flags, all three, or the error naming what to give. */
function requiredSlot(options: InspectOptions, what: string): UpdateContext {
  const { task, round, member } = options;
  if (task === undefined || round === undefined || member === undefined) {
    throw new UpdateCommandError(
      "missing-option",
      `${what} does not carry its slot: give --task, --round and --member (from its commit)`,
    );
  }
  return { task, round, member };
}

/**
 * Summarises an update file: plain wire format, or a sealed envelope when a reader key is given. The wire
 * format carries neither the slot nor the policy's d and scale, so they come from the options (a version-1
 * envelope names its slot itself).
 */
export async function inspectUpdateFile(file: string, options: InspectOptions): Promise<UpdateSummary> {
  const fileBytes = await readBytes(file, "update file");
  const { d, scale } = options;
  if (d === undefined || scale === undefined) {
    throw new UpdateCommandError(
      "missing-option",
      "an update does not carry its task policy's dimension and scale: give --d and --scale",
    );
  }
  let wire = fileBytes;
  let slot: UpdateContext;
  const sealed = options.key !== undefined;
  if (options.key !== undefined) {
    const reader = await readReaderKey(options.key);
    if (fileBytes[4] === GROUP_SEAL_VERSION) {
      // A reader-group envelope (what members commit): the reader opens the group's bundle first.
      if (options.readerGroup === undefined) {
        throw new UpdateCommandError(
          "bad-key-file",
          "the envelope is sealed to a reader group: give --reader-group <bundle> with --key",
        );
      }
      const bundle = await loadReaderGroup({ path: options.readerGroup });
      const groupSecretKey = openReaderGroup({ bundle, reader, expectedPublicKey: bundle.publicKey });
      // The envelope binds its slot without carrying it (the commit transaction names it): ask for it.
      slot = requiredSlot(options, "a reader-group envelope");
      wire = openFromGroup({ envelope: fileBytes, groupSecretKey, context: slot });
    } else {
      // Without explicit --task/--round/--member the envelope's own (authenticated) header is the context.
      slot = expectedContext(options, inspectEnvelope(fileBytes).context);
      wire = openPayload({ envelope: fileBytes, reader, context: slot });
    }
  } else {
    slot = requiredSlot(options, "an update");
  }
  // Allocation is bounded by the input's length whatever the limits, so an inspector can accept any k and d.
  const { header, update } = decodeUpdate({
    bytes: wire,
    limits: { maxCount: 0xffffffff, maxDimension: 0xffffffff },
    slot: { ...slot, dimension: d, scale },
  });
  const { sumOfSquares, maxAbs } = fixedPointNorms(update);
  return {
    task: header.task,
    round: header.round,
    member: header.member,
    d: update.dimension,
    count: update.indices.length,
    scale: header.scale,
    l2: Math.sqrt(Number(sumOfSquares)) / header.scale,
    lInf: maxAbs / header.scale,
    bytes: wire.length,
    sealed,
    fileBytes: fileBytes.length,
    salt: "0x" + header.salt.toString(16).padStart(64, "0"),
  };
}

export function registerUpdateCommands(program: Command): void {
  const update = program
    .command("update")
    .description("sparse model updates: wire format and sealed envelopes");
  update
    .command("inspect")
    .description(
      "print one JSON object summarising an update file (plain, or sealed: with --key, and --reader-group for " +
        "a reader-group envelope as members commit them)",
    )
    .argument("<file>", "update in wire format, or a sealed envelope with --key")
    .option(
      "--key <file>",
      'reader key JSON { "id": "0x..", "secretKey": "<hex>" } to open a sealed envelope',
    )
    .option(
      "--reader-group <file>",
      "the task's reader-group bundle, to open an envelope sealed to a reader group (with --key)",
    )
    .option("--task <n>", "expected task id", uint32("--task"))
    .option("--round <n>", "expected round", uint32("--round"))
    .option("--member <address>", "expected member address", address)
    .option("--d <n>", "the task policy's dimension d (not in the wire format)", uint32("--d"))
    .option("--scale <n>", "the task policy's fixed-point scale (not in the wire format)", uint32("--scale"))
    .action(async (file: string, options: InspectOptions) => {
      const summary = await inspectUpdateFile(file, options);
      process.stdout.write(JSON.stringify(summary) + "\n");
    });
}
