/**
 * Driving the web console in Debian's Chromium (playwright-core; never a downloaded browser) with an
 * injected EIP-1193 test wallet. The wallet lives in this Node process, as a real wallet lives in its
 * extension: the page sees only EIP-6963 announcements and `request` calls; transactions are sent by the
 * `hardhat node`'s unlocked development accounts, so no key reaches the page.
 */
import { createRequire } from "node:module";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { CHROMIUM_FLAGS, chromiumPath } from "./helpers.js";

const require = createRequire(import.meta.url);
export const AXE_SOURCE = require.resolve("axe-core/axe.min.js");

/** What the test wallet does; the test changes it between steps (another account, chain, a refusal). */
export interface TestWalletState {
  account: string;
  /** The chain the wallet says it is on (hex). */
  chainId: string;
  /** Refuse the next transaction as a user clicking "Reject" would (EIP-1193 code 4001). */
  rejectNext: boolean;
  /** Transactions the wallet sent. */
  sent: string[];
}

/** Runs in the page before its scripts: a wallet announcing itself by EIP-6963, answering by EIP-1193. */
const WALLET_INIT = `(() => {
  const listeners = {};
  const provider = {
    request: async ({ method, params }) => {
      const reply = JSON.parse(await window.__cflTestWallet(JSON.stringify({ method, params: params ?? [] })));
      if (reply.error) {
        const error = new Error(reply.error.message);
        error.code = reply.error.code;
        if (reply.error.data !== undefined) error.data = reply.error.data;
        throw error;
      }
      return reply.result;
    },
    on(event, fn) { (listeners[event] ??= []).push(fn); },
    removeListener(event, fn) { listeners[event] = (listeners[event] ?? []).filter((f) => f !== fn); },
  };
  window.__cflTestWalletEmit = (event, arg) => (listeners[event] ?? []).forEach((fn) => fn(arg));
  const info = Object.freeze({
    uuid: "6f1d3c1e-3a44-4f0e-9a57-0c0ffee00001",
    name: "CFL Test Wallet",
    icon: "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 1 1'/%3E",
    rdns: "org.circular-fl.test-wallet",
  });
  const announce = () =>
    window.dispatchEvent(new CustomEvent("eip6963:announceProvider", { detail: Object.freeze({ info, provider }) }));
  window.addEventListener("eip6963:requestProvider", announce);
  announce();
})();`;

export interface ConsoleBrowser {
  browser: Browser;
  /** A page with the test wallet injected (`wallet` steers it), or without any wallet. */
  open(options: {
    wallet?: TestWalletState;
    rpcUrl: string;
    /** false: the page runs under the console's own Content Security Policy (no axe-core injection then). */
    bypassCSP?: boolean;
  }): Promise<{ page: Page; context: BrowserContext; errors: string[] }>;
  close(): Promise<void>;
}

async function forward(rpcUrl: string, method: string, params: unknown): Promise<unknown> {
  const response = await fetch(rpcUrl, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  return response.json();
}

/** Launches Chromium; undefined where Debian's Chromium is missing outside CI. */
export async function launchConsoleBrowser(): Promise<ConsoleBrowser | undefined> {
  const executablePath = chromiumPath();
  if (!executablePath) {
    if (process.env.CI) throw new Error("Chromium is missing: .ci/run must install Debian's chromium");
    return undefined;
  }
  const browser = await chromium.launch({
    executablePath,
    args: CHROMIUM_FLAGS.filter((f) => f !== "--headless"),
    headless: true,
  });
  return {
    browser,
    async open({ wallet, rpcUrl, bypassCSP = true }) {
      // bypassCSP only so that the test can inject axe-core; one test runs the console under its own CSP.
      const context = await browser.newContext({ bypassCSP, viewport: { width: 1280, height: 900 } });
      const errors: string[] = [];
      if (wallet) {
        await context.exposeFunction("__cflTestWallet", async (raw: string): Promise<string> => {
          const { method, params } = JSON.parse(raw) as { method: string; params: unknown[] };
          const reply = (result: unknown) => JSON.stringify({ result });
          switch (method) {
            case "eth_requestAccounts":
            case "eth_accounts":
              return reply([wallet.account]);
            case "eth_chainId":
              return reply(wallet.chainId);
            case "wallet_switchEthereumChain": {
              const asked = (params[0] as { chainId: string }).chainId;
              const node = (await forward(rpcUrl, "eth_chainId", [])) as { result: string };
              if (BigInt(asked) !== BigInt(node.result))
                return JSON.stringify({ error: { code: 4902, message: "Unrecognized chain" } });
              wallet.chainId = node.result;
              return reply(null);
            }
            case "eth_sendTransaction": {
              if (wallet.rejectNext) {
                wallet.rejectNext = false;
                return JSON.stringify({ error: { code: 4001, message: "User rejected the request." } });
              }
              const tx = { ...(params[0] as Record<string, unknown>), from: wallet.account };
              const answer = (await forward(rpcUrl, method, [tx])) as { result?: string };
              if (answer.result) wallet.sent.push(answer.result);
              return JSON.stringify(answer);
            }
            default:
              return JSON.stringify(await forward(rpcUrl, method, params));
          }
        });
        await context.addInitScript({ content: WALLET_INIT });
      }
      const page = await context.newPage();
      page.on("console", (m) => {
        if (m.type() === "error") errors.push(m.text());
      });
      page.on("pageerror", (e) => errors.push(e.message));
      return { page, context, errors };
    },
    close: () => browser.close(),
  };
}

/** axe-core's violations on the page as it is now (rule id and the first offending element). */
export async function axeViolations(page: Page): Promise<string[]> {
  await page.addScriptTag({ path: AXE_SOURCE });
  // Evaluated in the page (a string: this file is compiled without the DOM's types).
  const violations = await page.evaluate<string[]>(
    `axe.run(document).then((r) => r.violations.map((v) => v.id + ": " + v.help + " (" + JSON.stringify(v.nodes[0] && v.nodes[0].target) + ")"))`,
  );
  return violations;
}

/** Tells the page the wallet switched accounts (EIP-1193 `accountsChanged`), as a wallet does. */
export async function switchAccount(page: Page, wallet: TestWalletState, account: string): Promise<void> {
  wallet.account = account;
  await page.evaluate(`window.__cflTestWalletEmit("accountsChanged", [${JSON.stringify(account)}])`);
}

/** Where screenshots go: docs/web when CFL_WEB_SCREENSHOTS=1 (regenerating the docs' pictures). */
export function screenshotPath(name: string): string | undefined {
  return process.env.CFL_WEB_SCREENSHOTS ? `docs/web/${name}.png` : undefined;
}
