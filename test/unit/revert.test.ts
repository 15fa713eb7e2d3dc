/**
 * Contract reverts reach the user decoded: real reverts from the in-process Hardhat chain, through
 * hardhat-ethers, through a plain ethers JsonRpcProvider talking to Hardhat's own JSON-RPC handler (what
 * `hardhat node` serves), and from the `cfl` command line itself.
 */
import { expect } from "chai";
import { once } from "node:events";
import { mkdtemp, writeFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { network } from "hardhat";
import type { EIP1193Provider } from "hardhat/types/providers";
import {
  AbiCoder,
  ErrorFragment,
  HDNodeWallet,
  JsonRpcProvider,
  Mnemonic,
  ParamType,
  type Wallet,
} from "ethers";
import { decodeRevert, decodeRevertData, describeRevert, replayRevert } from "../../src/chain/index.js";
import * as bindings from "../../types/ethers-contracts/index.js";
import { Consortium__factory, FederatedRounds__factory } from "../../types/ethers-contracts/index.js";
import { deployConsortium, type ConsortiumFixture } from "../contracts/fixtures.js";
import { ROOT, runCli } from "../e2e/helpers.js";

const DEV_MNEMONIC = Mnemonic.fromPhrase("test test test test test test test test test test test junk");

/** Account 10 of the development mnemonic: the fixture's outsider (governor of nothing). */
function outsiderWallet(provider: JsonRpcProvider): Wallet {
  const wallet = HDNodeWallet.fromMnemonic(DEV_MNEMONIC, `m/44'/60'/0'/0/10`);
  return wallet.connect(provider) as unknown as Wallet;
}

async function caught(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run();
  } catch (error) {
    return error;
  }
  throw new Error("expected a revert");
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * Serves the in-process chain over HTTP with Hardhat's own JSON-RPC handler, the one `hardhat node` runs,
 * so that ethers sees exactly the error bodies a node sends. (When a Hardhat release moves that internal
 * module, a stand-in answers the same way: code 3 with the raw revert data, else a nested data object.)
 */
async function serveJsonRpc(provider: EIP1193Provider): Promise<{ url: string; server: Server }> {
  let handler: Handler;
  try {
    const path = `${ROOT}node_modules/hardhat/dist/src/internal/builtin-plugins/node/json-rpc/handler.js`;
    const { JsonRpcHandler } = (await import(pathToFileURL(path).href)) as {
      JsonRpcHandler: new (provider: EIP1193Provider) => { handleHttp: Handler };
    };
    handler = new JsonRpcHandler(provider).handleHttp;
  } catch {
    handler = standInHandler(provider);
  }
  const server = createServer(handler);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return { url: `http://127.0.0.1:${port}`, server };
}

function standInHandler(provider: EIP1193Provider): Handler {
  type Request = { id: unknown; method: string; params?: unknown[] };
  const one = async (request: Request) => {
    try {
      const result: unknown = await provider.request({
        method: request.method,
        params: request.params ?? [],
      });
      return { jsonrpc: "2.0", id: request.id, result };
    } catch (error) {
      const e = error as { code?: number; message: string; data?: unknown };
      const data = e.code === 3 ? e.data : { message: e.message, data: e.data };
      return { jsonrpc: "2.0", id: request.id, error: { code: e.code ?? -32603, message: e.message, data } };
    }
  };
  return (req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString()));
    req.on("end", () => {
      const parsed = JSON.parse(body) as Request | Request[];
      void (Array.isArray(parsed) ? Promise.all(parsed.map(one)) : one(parsed)).then((answer) => {
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify(answer));
      });
    });
  };
}

/** A value of the parameter's type, for the round-trip over every declared error. */
function sample(param: ParamType): unknown {
  if (param.isArray())
    return Array.from({ length: param.arrayLength > 0 ? param.arrayLength : 1 }, () =>
      sample(param.arrayChildren),
    );
  if (param.isTuple()) return param.components.map(sample);
  if (param.baseType === "address") return "0x00000000000000000000000000000000000000aa";
  if (param.baseType === "bool") return true;
  if (param.baseType === "string") return "why";
  if (param.baseType === "bytes") return "0xbeef";
  const bytes = /^bytes(\d+)$/.exec(param.baseType);
  if (bytes) return "0x" + "ab".repeat(Number(bytes[1]));
  return 7n;
}

function allErrorFragments(): ErrorFragment[] {
  const out: ErrorFragment[] = [];
  const seen = new Set<unknown>();
  const visit = (value: unknown): void => {
    if (value === null || (typeof value !== "object" && typeof value !== "function") || seen.has(value))
      return;
    seen.add(value);
    const abi = (value as { abi?: unknown }).abi;
    if (typeof value === "function") {
      if (Array.isArray(abi)) {
        for (const entry of abi as { type?: string }[]) {
          if (entry.type === "error")
            out.push(ErrorFragment.from(entry as Parameters<typeof ErrorFragment.from>[0]));
        }
      }
      return;
    }
    for (const key of Object.keys(value)) visit((value as Record<string, unknown>)[key]);
  };
  visit(bindings);
  return out;
}

describe("contract reverts, decoded", function () {
  let f: ConsortiumFixture;
  let consortiumAddress: string;
  let roundsAddress: string;

  before(async function () {
    const connection = await network.create();
    f = await deployConsortium(connection);
    consortiumAddress = await f.consortium.getAddress();
    roundsAddress = await f.rounds.getAddress();
  });

  describe("through hardhat-ethers (the in-process chain)", function () {
    it("names the error and its arguments: approve by a non-governor", async function () {
      const error = await caught(() => f.consortium.connect(f.outsider).approve(1));
      expect(describeRevert(error)).to.equal(`Consortium__NotGovernor(account ${f.outsider.address})`);
      const decoded = decodeRevert(error);
      expect(decoded?.name).to.equal("Consortium__NotGovernor");
      expect(decoded?.signature).to.equal("Consortium__NotGovernor(address)");
      expect(decoded?.args.map((a) => [a.name, a.label, a.text])).to.deep.equal([
        ["account", "account", f.outsider.address],
      ]);
    });

    it("shortens `…Id` parameter names: an unknown round, an unknown task", async function () {
      const round = await caught(() => f.rounds.connect(f.outsider).closeRound(7, 3));
      expect(describeRevert(round)).to.equal("FederatedRounds__UnknownRound(task 7, round 3)");
      const task = await caught(() => f.consortium.taskPolicy(42, 1));
      expect(describeRevert(task)).to.equal("Consortium__UnknownTask(task 42)");
    });
  });

  describe("a transaction mined as failed (tx.wait())", function () {
    it("is reported by its hash, then decoded by replaying it at its block", async function () {
      const chain = f.connection.provider;
      await chain.request({ method: "evm_setAutomine", params: [false] });
      let error: unknown;
      try {
        const tx = await f.consortium.connect(f.outsider).approve(1, { gasLimit: 500_000 });
        await chain.request({ method: "evm_mine", params: [] });
        error = await caught(() => tx.wait());
      } finally {
        await chain.request({ method: "evm_setAutomine", params: [true] });
      }
      const receipt = (error as { receipt: { hash: string; blockNumber: number } }).receipt;
      expect(describeRevert(error)).to.equal(
        `transaction execution reverted (transaction ${receipt.hash}, block ${receipt.blockNumber})`,
      );
      const expected = `Consortium__NotGovernor(account ${f.outsider.address})`;
      expect((await replayRevert(error))?.text).to.equal(expected);
      expect(describeRevert(error)).to.equal(expected);
    });
  });

  describe("through ethers' JsonRpcProvider and a node's JSON-RPC answers (the CLI's path)", function () {
    let provider: JsonRpcProvider;
    let server: Server;
    let expected: string;

    before(async function () {
      const served = await serveJsonRpc(f.connection.provider);
      server = served.server;
      provider = new JsonRpcProvider(served.url, undefined, { cacheTimeout: -1 });
      expected = `Consortium__NotGovernor(account ${f.outsider.address})`;
    });

    after(async function () {
      provider.destroy();
      server.close();
      await once(server, "close");
    });

    it("decodes a revert found by estimateGas when a transaction is sent", async function () {
      const consortium = Consortium__factory.connect(consortiumAddress, outsiderWallet(provider));
      const error = await caught(() => consortium.approve(1));
      expect((error as { code?: string }).code).to.equal("CALL_EXCEPTION");
      expect((error as Error).message).to.include("unknown custom error");
      expect(describeRevert(error)).to.equal(expected);
    });

    it("decodes a revert of a call (staticCall)", async function () {
      const rounds = FederatedRounds__factory.connect(roundsAddress, outsiderWallet(provider));
      const error = await caught(() => rounds.closeRound.staticCall(7, 3));
      expect(describeRevert(error)).to.equal("FederatedRounds__UnknownRound(task 7, round 3)");
    });

    it("decodes a revert the node reports when the transaction itself is sent (explicit gas limit)", async function () {
      const consortium = Consortium__factory.connect(consortiumAddress, outsiderWallet(provider));
      const error = await caught(async () => (await consortium.approve(1, { gasLimit: 500_000 })).wait());
      expect(describeRevert(error)).to.equal(expected);
    });

    it("decodes the JSON-RPC error body itself, and an error of our own that wraps the revert", async function () {
      const consortium = Consortium__factory.connect(consortiumAddress, outsiderWallet(provider));
      const error = await caught(() => consortium.approve(1));
      const body = (error as { info?: { error?: unknown } }).info?.error;
      expect(body, "ethers keeps the node's error body as info.error").to.not.equal(undefined);
      expect(describeRevert(body)).to.equal(expected);
      expect(describeRevert(JSON.stringify({ jsonrpc: "2.0", id: 1, error: body }))).to.equal(expected);
      const wrapped = new Error("cannot approve proposal 1", { cause: error });
      expect(describeRevert(wrapped)).to.equal(`cannot approve proposal 1: ${expected}`);
      expect(describeRevert({ error: { error: { data: (body as { data: string }).data } } })).to.equal(
        expected,
      );
      expect(describeRevert(`step failed: ${(error as Error).message}`)).to.equal(`step failed: ${expected}`);
    });
  });

  describe("without a live chain", function () {
    const coder = AbiCoder.defaultAbiCoder();

    it("decodes Error(string) and Panic(uint256), naming the panic", function () {
      const reason = "0x08c379a0" + coder.encode(["string"], ["not allowed"]).slice(2);
      expect(describeRevert({ data: reason })).to.equal('Error("not allowed")');
      const panic = "0x4e487b71" + coder.encode(["uint256"], [0x11]).slice(2);
      expect(describeRevert({ data: panic })).to.equal("Panic(0x11 arithmetic overflow or underflow)");
      const division = "0x4e487b71" + coder.encode(["uint256"], [0x12]).slice(2);
      expect(decodeRevertData(division)?.text).to.equal("Panic(0x12 division or modulo by zero)");
    });

    it("decodes every error every generated binding declares (new contracts need no change)", function () {
      const fragments = allErrorFragments();
      expect(fragments.map((e) => e.name)).to.include.members([
        "Consortium__NotGovernor",
        "Consortium__UnknownTask",
        "FederatedRounds__UnknownRound",
      ]);
      for (const fragment of fragments) {
        const values = fragment.inputs.map(sample);
        const data = fragment.selector + coder.encode(fragment.inputs, values).slice(2);
        const decoded = decodeRevertData(data);
        expect(decoded?.name, fragment.format("sighash")).to.equal(fragment.name);
        expect(decoded?.text).to.match(new RegExp(`^${fragment.name}\\(.*\\)$`));
        for (const [i, param] of fragment.inputs.entries()) {
          const text = decoded?.args[i]?.text ?? "";
          if (param.type === "address") expect(text).to.equal("0x00000000000000000000000000000000000000AA");
          if (param.type === "bytes32") expect(text).to.equal("0x" + "ab".repeat(32));
          if (param.type === "string") expect(text).to.equal('"why"');
          if (param.name.endsWith("Id") && param.name.length > 2) {
            expect(decoded?.args[i]?.label).to.equal(param.name.slice(0, -2));
          }
        }
      }
    });

    it("falls back to the message when nothing decodes", function () {
      expect(describeRevert(new Error("socket hang up\nmore"))).to.equal("socket hang up");
      expect(decodeRevert({ data: "0xdeadbeef" })).to.equal(undefined);
      expect(decodeRevert(new Error("plain"))).to.equal(undefined);
      // A transaction's own calldata is not revert data.
      const calldata = Consortium__factory.createInterface().encodeFunctionData("approve", [1]);
      expect(decodeRevert({ transaction: { data: calldata } })).to.equal(undefined);
    });
  });

  describe("the cfl command line", function () {
    let server: Server;
    let url: string;

    before(async function () {
      ({ server, url } = await serveJsonRpc(f.connection.provider));
    });

    after(async function () {
      server.close();
      await once(server, "close");
    });

    it("prints a revert as one decoded `error:` line and exits non-zero", async function () {
      const dir = await mkdtemp(join(tmpdir(), "cfl-revert-"));
      const config = join(dir, "cfl.config.json");
      await writeFile(
        config,
        JSON.stringify({ rpcUrl: url, addresses: { consortium: consortiumAddress, rounds: roundsAddress } }),
      );
      const outsider = HDNodeWallet.fromMnemonic(DEV_MNEMONIC, `m/44'/60'/0'/0/10`);
      const run = await runCli(["governance", "approve", "1", "--config", config], {
        env: { CFL_PRIVATE_KEY: outsider.privateKey },
      });
      expect(run.code, run.stderr).to.equal(2);
      expect(run.stderr).to.equal(`error: Consortium__NotGovernor(account ${outsider.address})\n`);
    });
  });
});
