import { expect } from "chai";
import fc from "fast-check";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { encryptKeystoreJsonSync, Wallet } from "ethers";
import {
  ConfigError,
  loadConfig,
  loadReaderKey,
  loadReaderGroup,
  loadSigner,
  openReaderGroupKey,
  parseConfig,
  registeredSecrets,
  requireFields,
  writeReaderGroup,
  writeReaderKey,
  type ReaderKey,
} from "../../src/config/index.js";
import { createReaderGroup, generateReaderKeyPair } from "../../src/seal/index.js";

const KEY = "0x" + "11".repeat(32);

function refusal(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    expect(error).to.be.instanceOf(ConfigError);
    expect((error as Error).message).to.not.include("\n");
    return error as ConfigError;
  }
  throw new Error("expected the configuration to be refused");
}

async function refusalAsync(run: () => Promise<unknown>): Promise<ConfigError> {
  try {
    await run();
  } catch (error) {
    expect(error).to.be.instanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error("expected a refusal");
}

describe("config: file, environment and validation", function () {
  let dir: string;
  before(async function () {
    dir = await mkdtemp(join(tmpdir(), "cfl-config-"));
  });

  it("defaults to loopback RPC and an embedded IPFS node", function () {
    const config = parseConfig({ raw: {}, baseDir: dir, env: {} });
    expect(config.rpcUrl).to.equal("http://127.0.0.1:8545");
    expect(config.ipfs).to.deep.equal({ mode: "embedded", path: join(dir, "cfl-ipfs") });
    expect(config.pollIntervalMs).to.equal(2000);
    expect(config.circuit).to.equal("demo");
  });

  it("resolves paths against the config file's directory and reads every field", async function () {
    const file = join(dir, "full.json");
    await writeFile(
      file,
      JSON.stringify({
        rpcUrl: "http://127.0.0.1:9545",
        addresses: { consortium: "0x" + "aa".repeat(20), rounds: "0x" + "bb".repeat(20) },
        taskId: "3",
        keystore: { path: "keys/k.json" },
        readerKeyFile: "reader.json",
        readerGroupFile: "group/bundle.json",
        ipfs: { mode: "embedded", path: "ipfs", listen: ["/ip4/127.0.0.1/tcp/0"], peersDir: "/abs/peers" },
        circuit: "test",
        member: { dataset: "ai4i", partitionIndex: 1, residualDir: "res" },
        pollIntervalMs: 500,
      }),
    );
    const config = loadConfig({ path: file, env: {} });
    expect(config.taskId).to.equal(3n);
    expect(config.keystore?.path).to.equal(join(dir, "keys/k.json"));
    expect(config.readerKeyFile).to.equal(join(dir, "reader.json"));
    expect(config.readerGroupFile).to.equal(join(dir, "group/bundle.json"));
    expect(config.ipfs).to.include({ mode: "embedded", path: join(dir, "ipfs"), peersDir: "/abs/peers" });
    expect(config.member).to.deep.equal({
      dataset: "ai4i",
      partitions: 3,
      partitionIndex: 1,
      seed: 7,
      residualDir: join(dir, "res"),
    });
  });

  it("resolves a member's own data files and keeps a model preset as named", function () {
    const own = parseConfig({
      raw: {
        member: {
          residualDir: "res",
          data: { path: "rows.csv", schemaFile: "s/schema.json", modelFile: "m/model.json" },
        },
      },
      baseDir: dir,
      env: {},
    });
    expect(own.member?.data).to.deep.equal({
      path: join(dir, "rows.csv"),
      schemaFile: join(dir, "s/schema.json"),
      modelFile: join(dir, "m/model.json"),
    });
    const preset = parseConfig({
      raw: {
        member: {
          residualDir: "res",
          data: { path: "rows.csv", schemaFile: "schema.json", modelFile: "preset:ai4i-sparse-mlp-v1" },
        },
      },
      baseDir: dir,
      env: {},
    });
    expect(preset.member?.data?.modelFile).to.equal("preset:ai4i-sparse-mlp-v1");
    // A built-in data set's task may train another model than the data set's preset (the forest).
    const forest = (modelFile: string) =>
      parseConfig({
        raw: { member: { dataset: "ai4i", partitionIndex: 0, residualDir: "res", modelFile } },
        baseDir: dir,
        env: {},
      }).member?.modelFile;
    expect(forest("preset:ai4i-forest")).to.equal("preset:ai4i-forest");
    expect(forest("f/forest.json")).to.equal(join(dir, "f/forest.json"));
  });

  it("lets the environment override the RPC URL and the task", function () {
    const config = parseConfig({
      raw: { rpcUrl: "http://127.0.0.1:1" },
      baseDir: dir,
      env: { CFL_RPC_URL: "http://127.0.0.1:2", CFL_TASK_ID: "9" },
    });
    expect(config.rpcUrl).to.equal("http://127.0.0.1:2");
    expect(config.taskId).to.equal(9n);
    const bad = refusal(() => parseConfig({ raw: {}, baseDir: dir, env: { CFL_RPC_URL: "not a url" } }));
    expect(bad.message).to.include("rpcUrl").and.include("CFL_RPC_URL");
  });

  it("takes the reader-group file from CFL_READER_GROUP, relative to the working directory", function () {
    const config = parseConfig({
      raw: { readerGroupFile: "from-file.json" },
      baseDir: dir,
      env: { CFL_READER_GROUP: "from-env.json" },
    });
    expect(config.readerGroupFile).to.equal(resolve("from-env.json"));
    expect(parseConfig({ raw: {}, baseDir: dir, env: {} }).readerGroupFile).to.equal(undefined);
    const absolute = parseConfig({ raw: {}, baseDir: dir, env: { CFL_READER_GROUP: "/abs/group.json" } });
    expect(absolute.readerGroupFile).to.equal("/abs/group.json");
  });

  const cases: [string, unknown, string][] = [
    ["a non-http RPC URL", { rpcUrl: "ftp://127.0.0.1" }, "rpcUrl must be an http(s) URL"],
    ["an unknown field", { rcpUrl: "http://x" }, "unknown field: rcpUrl"],
    [
      "a short address",
      { addresses: { consortium: "0x12", rounds: "0x" + "bb".repeat(20) } },
      "addresses.consortium",
    ],
    [
      "a missing address",
      { addresses: { consortium: "0x" + "aa".repeat(20) } },
      "addresses.rounds is required",
    ],
    ["task 0", { taskId: 0 }, "taskId"],
    ["an unknown IPFS mode", { ipfs: { mode: "ipfs-cluster" } }, "ipfs.mode"],
    ["an embedded node without a path", { ipfs: { mode: "embedded" } }, "ipfs.path is required"],
    ["a Kubo node without a URL", { ipfs: { mode: "kubo" } }, "ipfs.url is required"],
    [
      "a bootstrap peer without /p2p/",
      { ipfs: { mode: "embedded", path: "x", bootstrap: ["/ip4/127.0.0.1/tcp/1"] } },
      "ipfs.bootstrap.0",
    ],
    [
      "a partition index past the partitions",
      { member: { dataset: "ai4i", partitions: 2, partitionIndex: 2, residualDir: "r" } },
      "member.partitionIndex must be below member.partitions",
    ],
    [
      "an unknown data set",
      { member: { dataset: "mnist", partitionIndex: 0, residualDir: "r" } },
      "member.dataset",
    ],
    [
      "a member with neither its own data nor a built-in data set",
      { member: { residualDir: "r" } },
      "member: needs data { path, schemaFile } (own records) or dataset and partitionIndex",
    ],
    [
      "a model beside own data, where it would be ignored",
      {
        member: {
          residualDir: "r",
          modelFile: "preset:ai4i-forest",
          data: { path: "rows.csv", schemaFile: "schema.json" },
        },
      },
      "member.modelFile: with own data the model is data.modelFile",
    ],
    ["a poll interval of 0", { pollIntervalMs: 0 }, "pollIntervalMs"],
    ["an empty reader-group path", { readerGroupFile: "" }, "readerGroupFile"],
  ];
  for (const [what, raw, expected] of cases) {
    it(`refuses ${what}, naming the field`, function () {
      const error = refusal(() => parseConfig({ raw, baseDir: dir, env: {}, source: "c.json" }));
      expect(error.code).to.equal("invalid-field");
      expect(error.message).to.include("config c.json:").and.include(expected);
    });
  }

  it("refuses any unknown top-level field by its name (property)", function () {
    const known = new Set([
      "rpcUrl",
      "addresses",
      "taskId",
      "keystore",
      "readerKeyFile",
      "readerGroupFile",
      "ipfs",
      "circuit",
      "member",
      "pollIntervalMs",
      "fetchTimeoutMs",
    ]);
    fc.assert(
      fc.property(
        fc.stringMatching(/^[a-zA-Z][a-zA-Z0-9]{0,12}$/).filter((k) => !known.has(k)),
        fc.jsonValue(),
        (key, value) => {
          const error = refusal(() => parseConfig({ raw: { [key]: value }, baseDir: dir, env: {} }));
          expect(error.message).to.include(key);
        },
      ),
      { numRuns: 50 },
    );
  });

  it("refuses a missing explicit file and invalid JSON, and tolerates a missing default file", async function () {
    expect(refusal(() => loadConfig({ path: join(dir, "nope.json"), env: {} })).code).to.equal(
      "unreadable-file",
    );
    await writeFile(join(dir, "broken.json"), "{ rpcUrl: ");
    expect(refusal(() => loadConfig({ path: join(dir, "broken.json"), env: {} })).code).to.equal(
      "invalid-json",
    );
    expect(refusal(() => parseConfig({ raw: [1], baseDir: dir, env: {} })).code).to.equal("invalid-json");
    expect(loadConfig({ cwd: dir, env: {} }).source).to.equal(undefined);
  });

  it("names the field a command needs but the config lacks", function () {
    const config = parseConfig({ raw: {}, baseDir: dir, env: {}, source: "c.json" });
    const error = refusal(() =>
      requireFields({ config, fields: ["addresses", "taskId"], command: "cfl audit" }),
    );
    expect(error.code).to.equal("missing-field");
    expect(error.message).to.equal("config c.json: addresses is required for cfl audit");
  });
});

describe("config: keys", function () {
  let dir: string;
  before(async function () {
    dir = await mkdtemp(join(tmpdir(), "cfl-keys-"));
  });
  const base = () => parseConfig({ raw: {}, baseDir: dir, env: {} });

  it("takes the account from CFL_PRIVATE_KEY, with or without 0x", async function () {
    const expected = new Wallet(KEY).address;
    expect((await loadSigner({ config: base(), env: { CFL_PRIVATE_KEY: KEY } })).address).to.equal(expected);
    expect((await loadSigner({ config: base(), env: { CFL_PRIVATE_KEY: KEY.slice(2) } })).address).to.equal(
      expected,
    );
    const bad = await refusalAsync(() => loadSigner({ config: base(), env: { CFL_PRIVATE_KEY: "0x1234" } }));
    expect(bad.code).to.equal("bad-key");
    expect(bad.message).to.include("CFL_PRIVATE_KEY").and.not.include("0x1234");
  });

  it("opens an encrypted keystore with CFL_KEYSTORE_PASSWORD and refuses a wrong password", async function () {
    const wallet = new Wallet(KEY);
    const path = join(dir, "keystore.json");
    await writeFile(
      path,
      encryptKeystoreJsonSync({ address: wallet.address, privateKey: KEY }, "s3cret", {
        scrypt: { N: 1024 },
      }),
    );
    const config = parseConfig({ raw: { keystore: { path } }, baseDir: dir, env: {} });
    const signer = await loadSigner({ config, env: { CFL_KEYSTORE_PASSWORD: "s3cret" } });
    expect(signer.address).to.equal(wallet.address);
    const wrong = await refusalAsync(() => loadSigner({ config, env: { CFL_KEYSTORE_PASSWORD: "nope" } }));
    expect(wrong.code).to.equal("bad-keystore");
    expect(wrong.message).to.include("keystore.path");
    const missing = await refusalAsync(() => loadSigner({ config, env: {} }));
    expect(missing.message).to.include("CFL_KEYSTORE_PASSWORD");
  });

  it("refuses to run without any key, saying where a key comes from", async function () {
    const error = await refusalAsync(() => loadSigner({ config: base(), env: {} }));
    expect(error.code).to.equal("missing-key");
    expect(error.message).to.include("CFL_PRIVATE_KEY").and.include("keystore.path");
  });

  it("writes a reader key file, reads it back, and never overwrites it", async function () {
    const pair = generateReaderKeyPair();
    const path = join(dir, "reader.json");
    const id = new Wallet(KEY).address;
    await writeReaderKey({ path, key: { id, ...pair } });
    const loaded = await loadReaderKey({ path });
    expect(loaded.id).to.equal(id);
    expect(Buffer.from(loaded.secretKey).equals(Buffer.from(pair.secretKey))).to.equal(true);
    expect(Buffer.from(loaded.publicKey).equals(Buffer.from(pair.publicKey))).to.equal(true);
    const again = await refusalAsync(() => writeReaderKey({ path, key: { id, ...generateReaderKeyPair() } }));
    expect(again.message).to.include("refusing");
    await writeFile(join(dir, "bad-reader.json"), JSON.stringify({ id, secretKey: "zz" }));
    expect(
      (await refusalAsync(() => loadReaderKey({ path: join(dir, "bad-reader.json") }))).message,
    ).to.include("secretKey");
  });
});

describe("config: reader groups", function () {
  let dir: string;
  const readerOf = (i: number): ReaderKey => {
    const id = new Wallet("0x" + String(i + 1).repeat(64)).address;
    return { id, ...generateReaderKeyPair() };
  };
  const readers = [readerOf(1), readerOf(2)];
  const outsider = readerOf(3);
  const group = createReaderGroup({
    readers: readers.map((r) => ({ id: r.id, publicKey: r.publicKey })),
    dealer: readers[0]!.id,
  });
  before(async function () {
    dir = await mkdtemp(join(tmpdir(), "cfl-group-"));
  });

  it("writes a bundle, reads it back, never overwrites it, and opens it for every reader", async function () {
    const path = join(dir, "group.json");
    await writeReaderGroup({ path, bundle: group.bundle });
    const loaded = await loadReaderGroup({ path });
    expect(loaded).to.deep.equal(group.bundle);
    const again = await refusalAsync(() => writeReaderGroup({ path, bundle: group.bundle }));
    expect(again.code).to.equal("bad-reader-group");
    expect(again.message).to.include("refusing");
    for (const reader of readers) {
      const key = openReaderGroupKey({
        bundle: loaded,
        path,
        reader,
        expectedPublicKey: group.bundle.publicKey,
        pinnedBy: "task 1's policy v1",
      });
      expect(key.reader).to.equal(reader.id);
      expect(Buffer.from(key.secretKey).equals(Buffer.from(group.secretKey))).to.equal(true);
    }
    // The group secret is a secret: no log or error line may print it.
    expect(registeredSecrets()).to.include(Buffer.from(group.secretKey).toString("hex"));
  });

  it("refuses a bundle the policy does not pin, and a reader outside the group, in one line each", function () {
    const other = createReaderGroup({
      readers: readers.map((r) => ({ id: r.id, publicKey: r.publicKey })),
      dealer: readers[0]!.id,
    });
    const wrong = refusal(() =>
      openReaderGroupKey({
        bundle: other.bundle,
        path: "other.json",
        reader: readers[0]!,
        expectedPublicKey: group.bundle.publicKey,
        pinnedBy: "task 1's policy v2",
      }),
    );
    expect(wrong.code).to.equal("bad-reader-group");
    expect(wrong.message).to.include("other.json").and.include("task 1's policy v2 pins readerKey");
    const stranger = refusal(() =>
      openReaderGroupKey({
        bundle: group.bundle,
        path: "group.json",
        reader: outsider,
        expectedPublicKey: group.bundle.publicKey,
        pinnedBy: "task 1's policy v1",
      }),
    );
    expect(stranger.message).to.include(outsider.id).and.include("not one of the group's readers");
    // A bundle whose sealed secret does not belong to the public key it names.
    const forged = { ...group.bundle, sealedSecret: other.bundle.sealedSecret };
    const mismatch = refusal(() =>
      openReaderGroupKey({
        bundle: forged,
        path: "forged.json",
        reader: readers[1]!,
        expectedPublicKey: group.bundle.publicKey,
        pinnedBy: "task 1's policy v1",
      }),
    );
    expect(mismatch.message).to.include("forged.json").and.include("pins");
  });

  it("refuses a file that is not a bundle, naming the file and the field", async function () {
    const path = join(dir, "not-a-bundle.json");
    await writeFile(path, JSON.stringify({ ...group.bundle, publicKey: "0x12" }));
    const error = await refusalAsync(() => loadReaderGroup({ path }));
    expect(error.code).to.equal("bad-reader-group");
    expect(error.message).to.include(path).and.include("publicKey");
    const missing = await refusalAsync(() => loadReaderGroup({ path: join(dir, "nope.json") }));
    expect(missing.message).to.include("readerGroupFile");
  });
});
