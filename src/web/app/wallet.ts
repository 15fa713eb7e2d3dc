/**
 * The visitor's browser wallet, found by EIP-6963 discovery (every wallet announces itself; none fights over
 * `window.ethereum`) and spoken to over EIP-1193. The console never sees a private key: it asks the wallet
 * for accounts, for its chain, and to send transactions the visitor confirms there.
 */
import { describeRevert } from "../../chain/revert.js";

/** An EIP-1193 provider, as wallets inject it. */
export interface Eip1193Provider {
  request(args: { method: string; params?: unknown[] | object }): Promise<unknown>;
  on?(event: string, listener: (...args: unknown[]) => void): void;
  removeListener?(event: string, listener: (...args: unknown[]) => void): void;
}

/** EIP-6963's provider info. */
export interface WalletInfo {
  readonly uuid: string;
  readonly name: string;
  readonly icon: string;
  readonly rdns: string;
}

export interface DiscoveredWallet {
  readonly info: WalletInfo;
  readonly provider: Eip1193Provider;
}

function isDiscovered(detail: unknown): detail is DiscoveredWallet {
  const d = detail as { info?: Partial<WalletInfo>; provider?: { request?: unknown } } | null;
  return (
    typeof d?.info?.uuid === "string" &&
    typeof d.info.name === "string" &&
    typeof d.provider?.request === "function"
  );
}

/**
 * Listens for wallets announcing themselves and asks them to; `onChange` receives the list whenever it
 * grows. A wallet that only injects `window.ethereum` (no EIP-6963) is offered as "Browser wallet".
 * Returns the function that stops listening.
 */
export function discoverWallets(onChange: (wallets: DiscoveredWallet[]) => void): () => void {
  const found = new Map<string, DiscoveredWallet>();
  const onAnnounce = (event: Event): void => {
    const detail = (event as CustomEvent<unknown>).detail;
    if (!isDiscovered(detail) || found.has(detail.info.uuid)) return;
    found.set(detail.info.uuid, { info: detail.info, provider: detail.provider });
    onChange([...found.values()]);
  };
  window.addEventListener("eip6963:announceProvider", onAnnounce);
  window.dispatchEvent(new Event("eip6963:requestProvider"));
  const legacy = (window as unknown as { ethereum?: Eip1193Provider }).ethereum;
  const fallback = window.setTimeout(() => {
    if (found.size === 0 && legacy && typeof legacy.request === "function") {
      found.set("window.ethereum", {
        info: { uuid: "window.ethereum", name: "Browser wallet", icon: "", rdns: "" },
        provider: legacy,
      });
      onChange([...found.values()]);
    }
  }, 300);
  return () => {
    window.clearTimeout(fallback);
    window.removeEventListener("eip6963:announceProvider", onAnnounce);
  };
}

/** EIP-1193 and EIP-1474 error codes a visitor can act on. */
const WALLET_CODES: Record<number, string> = {
  4001: "You rejected the request in your wallet; nothing was sent.",
  4100: "Your wallet has not authorised this site for that account: connect again.",
  4200: "Your wallet does not support this request.",
  4900: "Your wallet is disconnected from every chain.",
  4901: "Your wallet is not connected to the consortium's chain.",
  4902: "Your wallet does not know the consortium's chain: add it in the wallet first.",
  [-32002]: "Your wallet already has a request waiting: open it to answer.",
};

/** One readable line for whatever a wallet or the chain threw: a rejection, a revert by name, a message. */
export function describeWalletError(error: unknown): string {
  const e = error as {
    code?: unknown;
    info?: { error?: { code?: unknown } };
    error?: { code?: unknown };
  } | null;
  const codes = [e?.code, e?.info?.error?.code, e?.error?.code];
  for (const code of codes) {
    if (typeof code === "number" && WALLET_CODES[code]) return WALLET_CODES[code];
    if (code === "ACTION_REJECTED") return WALLET_CODES[4001] ?? "";
  }
  return describeRevert(error);
}

/** The wallet's chain id as a decimal string. */
export async function walletChainId(provider: Eip1193Provider): Promise<string> {
  const hex = await provider.request({ method: "eth_chainId" });
  if (typeof hex !== "string") throw new Error("the wallet did not report its chain");
  return BigInt(hex).toString();
}
