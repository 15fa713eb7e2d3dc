import { randomBytes } from "node:crypto";
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import {
  StorageError,
  createHeliaStore,
  createKuboStore,
  generateSwarmKey,
  rawBlockCid,
  type ContentStore,
  type HeliaContentStore,
} from "../../src/storage/index.js";

async function expectStorageError(promise: Promise<unknown>, code: string): Promise<StorageError> {
  try {
    await promise;
  } catch (error) {
    expect(error, String(error)).to.be.instanceOf(StorageError);
    expect((error as StorageError).code, (error as Error).message).to.equal(code);
    return error as StorageError;
  }
  expect.fail(`expected StorageError ${code}`);
}

async function filesUnder(directory: string): Promise<string[]> {
  const entries = await readdir(directory, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

const MISSING = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy";

describe("storage: offline Helia store", () => {
  let directory: string;
  let store: HeliaContentStore;
  before(async () => {
    directory = await mkdtemp(join(tmpdir(), "cfl-helia-offline-"));
    store = await createHeliaStore({ path: directory });
  });
  after(async () => {
    await store?.stop();
    await rm(directory, { recursive: true, force: true });
  });

  it("stores raw blocks under their v1 sha2-256 CID and reads them back", async () => {
    const bytes = Uint8Array.from(randomBytes(1000));
    const cid = await store.put(bytes);
    expect(cid).to.equal((await rawBlockCid(bytes)).toString());
    expect(cid.startsWith("bafkrei")).to.be.true;
    expect(Buffer.from(await store.get(cid)).equals(Buffer.from(bytes))).to.be.true;
    await store.pin(cid);
    expect(store.multiaddrs()).to.deep.equal([]);
  });

  it("keeps content across a restart on the same path", async () => {
    const bytes = Uint8Array.from(Buffer.from("survives a restart"));
    const cid = await store.put(bytes);
    await store.stop();
    store = await createHeliaStore({ path: directory });
    expect(Buffer.from(await store.get(cid)).toString()).to.equal("survives a restart");
  });

  it("a missing CID gives not-found-timeout at once when offline", async () => {
    await expectStorageError(store.get(MISSING, { timeoutMs: 1000 }), "not-found-timeout");
  });

  it("malformed or foreign CIDs give bad-cid", async () => {
    await expectStorageError(store.get("not a cid"), "bad-cid");
    await expectStorageError(store.get(""), "bad-cid");
    // CIDv0 (dag-pb): not something this product stores
    await expectStorageError(store.get("QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG"), "bad-cid");
    await expectStorageError(store.pin("bafy-nope"), "bad-cid");
  });

  it("refuses an object above maxBytes", async () => {
    const cid = await store.put(new Uint8Array(5000).fill(1));
    const error = await expectStorageError(store.get(cid, { maxBytes: 4999 }), "too-large");
    expect(error.message).to.contain("4999");
    expect((await store.get(cid, { maxBytes: 5000 })).length).to.equal(5000);
  });

  it("detects a block corrupted in the blockstore (content is verified against its CID)", async () => {
    const bytes = Uint8Array.from(Buffer.from("the original content of this block"));
    const cid = await store.put(bytes);
    let corrupted = 0;
    for (const file of await filesUnder(join(directory, "blocks"))) {
      if ((await stat(file)).size === bytes.length && (await readFile(file)).equals(Buffer.from(bytes))) {
        await writeFile(file, Buffer.from("the 0riginal content of this block"));
        corrupted++;
      }
    }
    expect(corrupted).to.equal(1);
    await expectStorageError(store.get(cid), "integrity");
  });
});

describe("storage: two Helia nodes over libp2p on 127.0.0.1", () => {
  const directories: string[] = [];
  const stores: HeliaContentStore[] = [];
  const node = async (network: Parameters<typeof createHeliaStore>[0]["network"]) => {
    const directory = await mkdtemp(join(tmpdir(), "cfl-helia-net-"));
    directories.push(directory);
    const store = await createHeliaStore({ path: directory, network });
    stores.push(store);
    return store;
  };
  after(async () => {
    await Promise.all(stores.map((s) => s.stop()));
    await Promise.all(directories.map((d) => rm(d, { recursive: true, force: true })));
  });

  it("listens on loopback only", async () => {
    const a = await node({});
    expect(a.multiaddrs()).to.have.length.greaterThan(0);
    for (const address of a.multiaddrs()) expect(address).to.match(/^\/ip4\/127\.0\.0\.1\/tcp\/\d+\/p2p\//);
  });

  it("one node stores, the other retrieves by CID over Bitswap and pins it", async () => {
    const provider = await node({});
    const fetcher = await node({ bootstrap: provider.multiaddrs() });
    const bytes = Uint8Array.from(randomBytes(200_000));
    const cid = await provider.put(bytes);
    await fetcher.dial(provider.multiaddrs()[0]!);
    const got = await fetcher.get(cid, { timeoutMs: 20_000 });
    expect(Buffer.from(got).equals(Buffer.from(bytes))).to.be.true;
    await fetcher.pin(cid);
    expect(await fetcher.helia.pins.isPinned(await rawBlockCid(bytes))).to.be.true;
  });

  it("a CID nobody has times out with not-found-timeout", async () => {
    const a = await node({});
    const b = await node({});
    await b.dial(a.multiaddrs()[0]!);
    const started = Date.now();
    await expectStorageError(b.get(MISSING, { timeoutMs: 1500 }), "not-found-timeout");
    expect(Date.now() - started).to.be.below(15_000);
  });

  it("an object above maxBytes fetched from a peer is refused", async () => {
    const a = await node({});
    const b = await node({});
    const cid = await a.put(new Uint8Array(10_000).fill(9));
    await b.dial(a.multiaddrs()[0]!);
    await expectStorageError(b.get(cid, { maxBytes: 1000, timeoutMs: 20_000 }), "too-large");
  });

  it("a private network key keeps outsiders out and lets members exchange blocks", async () => {
    const psk = generateSwarmKey();
    const a = await node({ psk });
    const b = await node({ psk });
    const outsider = await node({});
    const cid = await a.put(Uint8Array.from(Buffer.from("consortium only")));
    await b.dial(a.multiaddrs()[0]!);
    expect(Buffer.from(await b.get(cid, { timeoutMs: 20_000 })).toString()).to.equal("consortium only");
    let dialed = false;
    try {
      await outsider.dial(a.multiaddrs()[0]!);
      dialed = true;
    } catch {
      // expected: the handshake fails without the key
    }
    expect(dialed).to.be.false;
    await expectStorageError(outsider.get(cid, { timeoutMs: 1500 }), "not-found-timeout");
  });
});

describe("storage: Kubo RPC store (needs a real Kubo: CFL_KUBO_API)", () => {
  let store: ContentStore | undefined;
  before(function () {
    const url = process.env.CFL_KUBO_API;
    if (url === undefined || url === "") this.skip();
    store = createKuboStore({ url });
  });

  it("puts, gets, pins and enforces limits against a real Kubo node", async () => {
    const bytes = Uint8Array.from(randomBytes(2000));
    const cid = await store!.put(bytes);
    expect(cid).to.equal((await rawBlockCid(bytes)).toString());
    expect(Buffer.from(await store!.get(cid)).equals(Buffer.from(bytes))).to.be.true;
    await store!.pin(cid);
    await expectStorageError(store!.get(cid, { maxBytes: 10 }), "too-large");
    await expectStorageError(store!.get("nope"), "bad-cid");
    await expectStorageError(store!.get(MISSING, { timeoutMs: 1000 }), "not-found-timeout");
  });
});
