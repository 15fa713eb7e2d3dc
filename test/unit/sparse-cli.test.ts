import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { expect } from "chai";
import { inspectUpdateFile, UpdateCommandError } from "../../src/cli/commands/update.js";
import {
  SealError,
  createReaderGroup,
  generateReaderKeyPair,
  sealPayload,
  sealToGroup,
} from "../../src/seal/index.js";
import { WireFormatError, encodeUpdate } from "../../src/sparse/index.js";

const run = promisify(execFile);
const member = "0x" + "ab".repeat(20);
const reader = "0x" + "cd".repeat(20);

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run("node_modules/.bin/tsx", ["src/cli/index.ts", ...args], {
      cwd: process.cwd(),
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}

describe("cli: cfl update inspect", () => {
  let directory: string;
  let plain: string;
  let sealed: string;
  let keyFile: string;
  let malformed: string;
  const wire = encodeUpdate({
    header: { task: 5, round: 9, member, scale: 100, salt: 77n },
    update: {
      dimension: 1000,
      indices: Uint32Array.from([3, 40, 999]),
      values: Int32Array.from([30, -40, 5]),
    },
  });

  before(async () => {
    directory = await mkdtemp(join(tmpdir(), "cfl-cli-update-"));
    plain = join(directory, "update.bin");
    sealed = join(directory, "update.sealed");
    keyFile = join(directory, "reader.json");
    malformed = join(directory, "bad.bin");
    const keys = generateReaderKeyPair();
    await writeFile(plain, wire);
    await writeFile(
      sealed,
      sealPayload({
        payload: wire,
        readers: [{ id: reader, publicKey: keys.publicKey }],
        context: { task: 5, round: 9, member },
      }),
    );
    await writeFile(
      keyFile,
      JSON.stringify({ id: reader, secretKey: Buffer.from(keys.secretKey).toString("hex") }),
    );
    await writeFile(malformed, wire.subarray(0, wire.length - 1));
  });
  after(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  const expected = {
    task: 5,
    round: 9,
    member,
    d: 1000,
    count: 3,
    scale: 100,
    l2: Math.sqrt(2525) / 100,
    lInf: 0.4,
  };

  /** The task policy's d and scale, which no update carries. */
  const policy = { d: 1000, scale: 100 };
  const slot = { task: 5, round: 9, member };

  it("summarises a plain update in process, given its slot and the policy's d and scale", async () => {
    const summary = await inspectUpdateFile(plain, { ...slot, ...policy });
    expect(summary).to.deep.include({ ...expected, bytes: wire.length, sealed: false });
    for (const [options, message] of [
      [slot, /give --d and --scale/],
      [{ ...policy, task: 5, round: 9 }, /give --task, --round and --member/],
    ] as const) {
      try {
        await inspectUpdateFile(plain, options);
        expect.fail("inspected without " + String(message));
      } catch (error) {
        expect((error as UpdateCommandError).code).to.equal("missing-option");
        expect((error as Error).message).to.match(message);
      }
    }
  });

  it("opens a sealed update with a reader key, and checks the expected context", async () => {
    const summary = await inspectUpdateFile(sealed, { key: keyFile, task: 5, round: 9, ...policy });
    expect(summary).to.deep.include({ ...expected, bytes: wire.length, sealed: true });
    expect(summary.fileBytes).to.be.greaterThan(wire.length);
    try {
      await inspectUpdateFile(sealed, { key: keyFile, round: 10, ...policy });
      expect.fail("opened with the wrong round");
    } catch (error) {
      expect(error).to.be.instanceOf(SealError);
    }
    try {
      await inspectUpdateFile(malformed, { ...slot, ...policy });
      expect.fail("accepted a truncated file");
    } catch (error) {
      expect((error as WireFormatError).code).to.equal("truncated");
    }
  });

  it("opens a reader-group envelope (what members commit) only for the slot given, which it binds but does not carry", async () => {
    const personal = generateReaderKeyPair();
    const group = createReaderGroup({
      readers: [{ id: reader, publicKey: personal.publicKey }],
      dealer: reader,
    });
    const groupFile = join(directory, "group.json");
    const groupKey = join(directory, "group-reader.json");
    const envelopeFile = join(directory, "update.group");
    await writeFile(groupFile, JSON.stringify(group.bundle));
    await writeFile(
      groupKey,
      JSON.stringify({ id: reader, secretKey: Buffer.from(personal.secretKey).toString("hex") }),
    );
    await writeFile(
      envelopeFile,
      sealToGroup({ payload: wire, groupPublicKey: group.publicKey, context: { task: 5, round: 9, member } }),
    );
    const options = { key: groupKey, readerGroup: groupFile, ...policy };
    const summary = await inspectUpdateFile(envelopeFile, { ...options, task: 5, round: 9, member });
    expect(summary).to.deep.include({ ...expected, bytes: wire.length, sealed: true });
    try {
      await inspectUpdateFile(envelopeFile, { ...options, task: 5, round: 9 });
      expect.fail("opened without the member");
    } catch (error) {
      expect((error as UpdateCommandError).code).to.equal("missing-option");
      expect((error as Error).message).to.match(/give --task, --round and --member/);
    }
    try {
      await inspectUpdateFile(envelopeFile, { ...options, task: 5, round: 10, member });
      expect.fail("opened for another round");
    } catch (error) {
      expect((error as SealError).code).to.equal("tampered");
    }
  });

  it("the real CLI prints one JSON object", async () => {
    const flags = ["--d", "1000", "--scale", "100"];
    const { code, stdout } = await cli([
      "update",
      "inspect",
      plain,
      "--task",
      "5",
      "--round",
      "9",
      "--member",
      member,
      ...flags,
    ]);
    expect(code).to.equal(0);
    expect(stdout.trim().split("\n")).to.have.length(1);
    expect(JSON.parse(stdout)).to.deep.include({ ...expected, bytes: wire.length });
    const opened = await cli([
      "update",
      "inspect",
      sealed,
      "--key",
      keyFile,
      "--task",
      "5",
      "--round",
      "9",
      ...flags,
    ]);
    expect(opened.code, opened.stderr).to.equal(0);
    expect(JSON.parse(opened.stdout)).to.deep.include({ ...expected, sealed: true });
  });

  it("the real CLI reports a malformed file as one error line with exit code 2 and no stack trace", async () => {
    const flags = ["--d", "1000", "--scale", "100"];
    const slotFlags = ["--task", "5", "--round", "9", "--member", member];
    for (const [args, message] of [
      [["update", "inspect", malformed, ...slotFlags, ...flags], /input ends inside/],
      [["update", "inspect", sealed, ...slotFlags, ...flags], /not a circular-fl update/],
      [
        ["update", "inspect", sealed, "--key", keyFile, "--round", "10", ...flags],
        /sealed for task 5 round 9/,
      ],
      [["update", "inspect", plain, ...slotFlags], /give --d and --scale/],
      [["update", "inspect", join(directory, "missing.bin")], /cannot read update file/],
    ] as const) {
      const { code, stdout, stderr } = await cli([...args]);
      expect(code, args.join(" ")).to.equal(2);
      expect(stdout).to.equal("");
      const lines = stderr.trimEnd().split("\n");
      expect(lines, stderr).to.have.length(1);
      expect(lines[0]).to.match(/^error: /);
      expect(lines[0]).to.match(message);
      expect(stderr).to.not.match(/\n\s+at /);
    }
  });
});
