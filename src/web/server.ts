/**
 * `cfl web`: serves the console's static build and a read-only JSON-RPC endpoint on loopback. The page signs
 * nothing through this server: every transaction goes through the visitor's own wallet (EIP-1193), and the
 * endpoint forwards only methods that read the chain, so a node with unlocked accounts behind it (a
 * development `hardhat node`) cannot be made to send from them by anyone who opens the page.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { buildWebApp } from "./build.js";
import type { ChainUpstream, ConsoleSettings, RoundQuality, WebConsole, WebConsoleOptions } from "./types.js";

/** JSON-RPC methods that only read; everything else is refused with -32601. */
export const READ_ONLY_METHODS: ReadonlySet<string> = new Set([
  "eth_chainId",
  "net_version",
  "eth_blockNumber",
  "eth_call",
  "eth_estimateGas",
  "eth_getLogs",
  "eth_getBlockByNumber",
  "eth_getBlockByHash",
  "eth_getTransactionByHash",
  "eth_getTransactionReceipt",
  "eth_getTransactionCount",
  "eth_getCode",
  "eth_getBalance",
  "eth_getStorageAt",
  "eth_gasPrice",
  "eth_maxPriorityFeePerGas",
  "eth_feeHistory",
]);

const MAX_BODY_BYTES = 1 << 20;
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

interface JsonRpcRequest {
  jsonrpc?: unknown;
  id?: unknown;
  method?: unknown;
  params?: unknown;
}

/** A JSON-RPC answer from the chain: its result or its error object, as the chain sent them. */
interface RpcOutcome {
  result?: unknown;
  error?: unknown;
}

type Forward = (request: { method: string; params: unknown[] }) => Promise<RpcOutcome>;

function forwarder(chain: ChainUpstream): Forward {
  if ("provider" in chain) {
    const { provider } = chain;
    return async ({ method, params }) => ({ result: await provider.request({ method, params }) });
  }
  let next = 1;
  return async ({ method, params }) => {
    const response = await fetch(chain.url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: next++, method, params }),
    });
    const body = (await response.json()) as RpcOutcome;
    return "error" in body ? { error: body.error } : { result: body.result };
  };
}

/** Answers one JSON-RPC request: forwarded when it only reads, refused otherwise. */
async function answer(request: JsonRpcRequest, forward: Forward): Promise<object> {
  const id = request.id ?? null;
  if (typeof request.method !== "string")
    return { jsonrpc: "2.0", id, error: { code: -32600, message: "invalid request: no method" } };
  if (!READ_ONLY_METHODS.has(request.method))
    return {
      jsonrpc: "2.0",
      id,
      error: {
        code: -32601,
        message: `${request.method} is not served by the console's read-only endpoint: sign with your own wallet`,
      },
    };
  const params = Array.isArray(request.params) ? (request.params as unknown[]) : [];
  try {
    return { jsonrpc: "2.0", id, ...(await forward({ method: request.method, params })) };
  } catch (error) {
    const e = error as { code?: unknown; message?: unknown; data?: unknown };
    return {
      jsonrpc: "2.0",
      id,
      error: {
        code: typeof e.code === "number" ? e.code : -32603,
        message: typeof e.message === "string" ? e.message.split("\n")[0] : "the chain did not answer",
        ...(e.data !== undefined ? { data: e.data } : {}),
      },
    };
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new Error("request body over 1 MiB");
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** Hosts a loopback console answers to: a page on another name (DNS rebinding) gets 421. */
function allowedHost(host: string | undefined, port: number): boolean {
  if (!host) return false;
  return [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`].includes(host.toLowerCase());
}

/** Interfaces that only this machine reaches (anything else gets a warning from `cfl web`). */
export const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(["127.0.0.1", "::1", "localhost"]);

/** Starts the console; resolves once it listens. */
export async function startWebConsole(options: WebConsoleOptions): Promise<WebConsole> {
  const host = options.host ?? "127.0.0.1";
  const forward = forwarder(options.chain);
  const where = "url" in options.chain ? ` at ${options.chain.url}` : "";
  const ask = async (method: string, params: unknown[]): Promise<unknown> => {
    let outcome: RpcOutcome;
    try {
      outcome = await forward({ method, params });
    } catch (error) {
      throw new Error(`cannot reach the chain${where}: ${(error as Error).message}`, { cause: error });
    }
    if (outcome.error !== undefined)
      throw new Error(`the chain${where} refused ${method}: ${JSON.stringify(outcome.error)}`);
    return outcome.result;
  };
  const chainIdHex = await ask("eth_chainId", []);
  if (typeof chainIdHex !== "string") throw new Error(`the chain${where} did not report its chain id`);
  const chainId = BigInt(chainIdHex).toString();
  for (const [name, address] of Object.entries(options.addresses)) {
    const code = await ask("eth_getCode", [address, "latest"]);
    if (code === "0x" || code === "0x0")
      throw new Error(
        `no contract at the ${name} address ${address} on chain ${chainId}${where}: check the config's addresses`,
      );
  }
  const build = await buildWebApp();
  const quality: RoundQuality[] = [];
  const settings = (): ConsoleSettings => ({
    chainId,
    addresses: options.addresses,
    ...(options.taskId !== undefined ? { taskId: options.taskId.toString() } : {}),
    rpcPath: "/rpc",
    pollMs: options.pollMs ?? 1000,
    quality,
  });

  const send = (res: ServerResponse, status: number, type: string, body: string | Uint8Array): void => {
    res.writeHead(status, {
      "content-type": type,
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
      "content-security-policy": CONTENT_SECURITY_POLICY,
      "referrer-policy": "no-referrer",
    });
    res.end(body);
  };

  let port = 0;
  const server = createServer((req, res) => {
    void (async () => {
      if (LOOPBACK_HOSTS.has(host) && !allowedHost(req.headers.host, port))
        return send(res, 421, "text/plain", "this console answers on loopback names only\n");
      const path = (req.url ?? "/").split("?")[0];
      if (req.method === "GET" && (path === "/" || path === "/index.html"))
        return send(res, 200, "text/html; charset=utf-8", build.html);
      if (req.method === "GET" && path === "/app.js")
        return send(res, 200, "text/javascript; charset=utf-8", build.script);
      if (req.method === "GET" && path === "/app.css")
        return send(res, 200, "text/css; charset=utf-8", build.stylesheet);
      if (req.method === "GET" && path === "/console.json")
        return send(res, 200, "application/json", JSON.stringify(settings()));
      if (req.method === "POST" && path === "/rpc") {
        let parsed: unknown;
        try {
          parsed = JSON.parse(await readBody(req));
        } catch (error) {
          return send(
            res,
            400,
            "application/json",
            JSON.stringify({
              jsonrpc: "2.0",
              id: null,
              error: { code: -32700, message: `parse error: ${(error as Error).message}` },
            }),
          );
        }
        const replies = Array.isArray(parsed)
          ? await Promise.all(parsed.map((r) => answer(r as JsonRpcRequest, forward)))
          : await answer(parsed as JsonRpcRequest, forward);
        return send(res, 200, "application/json", JSON.stringify(replies));
      }
      send(res, 404, "text/plain", "not found\n");
    })().catch((error: unknown) => {
      if (!res.headersSent) send(res, 500, "text/plain", `${(error as Error).message}\n`);
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  const shown = host.includes(":") ? `[${host}]` : host;
  return {
    url: `http://${shown}:${port}/`,
    addQuality(figures) {
      quality.push(...figures);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
