/**
 * The console's shell: reads where the consortium is (`/console.json`), reads the chain through the
 * server's read-only endpoint, refreshes on every new block, and holds the wallet connection. Pages get one
 * `Session`; only what the connected account may do is offered.
 */
import { render } from "preact";
import { useCallback, useEffect, useMemo, useState } from "preact/hooks";
import { BrowserProvider, JsonRpcProvider, type TransactionReceipt } from "ethers";
import { attachContracts } from "../../chain/contracts.js";
import { replayRevert, describeRevert } from "../../chain/revert.js";
import { roleNames } from "../../governance/describe.js";
import type { ConsoleSettings } from "../types.js";
import { ConsortiumPage } from "./consortium-page.js";
import { ModelsPage } from "./models-page.js";
import { ProposalsPage } from "./proposals-page.js";
import type { Session } from "./session.js";
import { loadSnapshot, type Snapshot } from "./snapshot.js";
import { TasksPage } from "./tasks-page.js";
import { TxPage } from "./tx-page.js";
import { Notice } from "./ui.js";
import { describeWalletError, discoverWallets, walletChainId, type DiscoveredWallet } from "./wallet.js";

const PAGES = [
  ["consortium", "Consortium"],
  ["proposals", "Proposals"],
  ["tasks", "Tasks and rounds"],
  ["models", "Model history"],
] as const;

function useRoute(): string {
  const read = (): string => location.hash.replace(/^#\/?/, "") || "consortium";
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const on = (): void => setRoute(read());
    window.addEventListener("hashchange", on);
    return () => window.removeEventListener("hashchange", on);
  }, []);
  return route;
}

/** Polls for a receipt (plain reads: no subscription that a missed block could leave waiting forever). */
async function receiptOf(
  provider: JsonRpcProvider,
  hash: string,
  pollMs: number,
): Promise<TransactionReceipt> {
  const deadline = Date.now() + 10 * 60_000;
  for (;;) {
    const receipt = await provider.getTransactionReceipt(hash);
    if (receipt) return receipt;
    if (Date.now() > deadline) throw new Error(`transaction ${hash} was not mined within 10 minutes`);
    await new Promise((resolve) => window.setTimeout(resolve, pollMs));
  }
}

interface Connection {
  wallet: DiscoveredWallet;
  account: string;
  chainId: string;
}

type Activity = { kind: "error" | "info" | "success"; text: string } | undefined;

function App({ settings }: { settings: ConsoleSettings }) {
  const provider = useMemo(
    () =>
      new JsonRpcProvider(`${location.origin}${settings.rpcPath}`, BigInt(settings.chainId), {
        staticNetwork: true,
        batchMaxCount: 1,
      }),
    [],
  );
  const contracts = useMemo(() => attachContracts({ addresses: settings.addresses, runner: provider }), []);
  const [snapshot, setSnapshot] = useState<Snapshot | undefined>();
  const [readError, setReadError] = useState<string | undefined>();
  const [wallets, setWallets] = useState<DiscoveredWallet[]>([]);
  const [chosen, setChosen] = useState<string>("");
  const [connection, setConnection] = useState<Connection | undefined>();
  const [activity, setActivity] = useState<Activity>();
  const [busy, setBusy] = useState(false);
  const route = useRoute();

  const [quality, setQuality] = useState(settings.quality);
  const refresh = useCallback(async () => {
    try {
      setSnapshot(await loadSnapshot({ contracts, provider }));
      // Figures the host measured since the page loaded (the demo evaluates after each round).
      const latest = await fetch("/console.json");
      if (latest.ok) setQuality(((await latest.json()) as ConsoleSettings).quality);
      setReadError(undefined);
    } catch (error) {
      setReadError(`Cannot read the chain: ${describeRevert(error)}`);
    }
  }, []);

  // Live: a new block reloads the picture, so events appear without a reload.
  useEffect(() => {
    let last = -1;
    let stopped = false;
    const tick = async (): Promise<void> => {
      try {
        const block = await provider.getBlockNumber();
        if (block !== last) {
          last = block;
          await refresh();
        }
      } catch (error) {
        setReadError(`Cannot read the chain: ${describeRevert(error)}`);
      }
      if (!stopped) timer = window.setTimeout(() => void tick(), settings.pollMs);
    };
    let timer = window.setTimeout(() => void tick(), 0);
    return () => {
      stopped = true;
      window.clearTimeout(timer);
    };
  }, []);

  useEffect(() => discoverWallets(setWallets), []);

  // Follow the wallet: another account or another chain changes what is offered.
  useEffect(() => {
    const p = connection?.wallet.provider;
    if (!p?.on) return;
    const onAccounts = (...args: unknown[]): void => {
      const accounts = args[0] as string[] | undefined;
      const account = accounts?.[0];
      setConnection((c) => (c && account ? { ...c, account } : undefined));
    };
    const onChain = (...args: unknown[]): void => {
      const id = args[0];
      if (typeof id === "string") setConnection((c) => (c ? { ...c, chainId: BigInt(id).toString() } : c));
    };
    p.on("accountsChanged", onAccounts);
    p.on("chainChanged", onChain);
    return () => {
      p.removeListener?.("accountsChanged", onAccounts);
      p.removeListener?.("chainChanged", onChain);
    };
  }, [connection?.wallet]);

  const connect = async (): Promise<void> => {
    const wallet = wallets.find((w) => w.info.uuid === chosen) ?? wallets[0];
    if (!wallet) return;
    setActivity(undefined);
    try {
      const accounts = (await wallet.provider.request({ method: "eth_requestAccounts" })) as string[];
      const account = accounts[0];
      if (!account) throw new Error("the wallet shared no account");
      setConnection({ wallet, account, chainId: await walletChainId(wallet.provider) });
    } catch (error) {
      setActivity({ kind: "error", text: describeWalletError(error) });
    }
  };

  const switchChain = async (): Promise<void> => {
    if (!connection) return;
    try {
      await connection.wallet.provider.request({
        method: "wallet_switchEthereumChain",
        params: [{ chainId: `0x${BigInt(settings.chainId).toString(16)}` }],
      });
      setConnection({ ...connection, chainId: await walletChainId(connection.wallet.provider) });
    } catch (error) {
      setActivity({ kind: "error", text: describeWalletError(error) });
    }
  };

  const wrongChain = connection !== undefined && connection.chainId !== settings.chainId;
  const account = connection?.account;
  const isGovernor =
    !!account && !!snapshot?.governors.some((g) => g.toLowerCase() === account.toLowerCase());
  const member = account
    ? snapshot?.members.find((m) => m.account.toLowerCase() === account.toLowerCase())
    : undefined;

  const send: Session["send"] = async ({ label, build, done }) => {
    if (!connection || wrongChain || busy) return false;
    setBusy(true);
    setActivity({ kind: "info", text: `${label}: confirm in your wallet…` });
    try {
      // Checked again right before signing: the wallet may have switched chains since the page last looked.
      const chainNow = await walletChainId(connection.wallet.provider);
      if (chainNow !== settings.chainId) {
        setConnection({ ...connection, chainId: chainNow });
        throw new Error(
          `Your wallet is on chain ${chainNow}; this consortium runs on chain ${settings.chainId}.`,
        );
      }
      const signer = await new BrowserProvider(connection.wallet.provider).getSigner(connection.account);
      const tx = await build(attachContracts({ addresses: settings.addresses, runner: signer }));
      setActivity({ kind: "info", text: `${label}: waiting for the chain…` });
      const receipt = await receiptOf(provider, tx.hash, settings.pollMs);
      if (receipt.status !== 1) {
        const reason = await replayRevert(
          { receipt: { hash: tx.hash, blockNumber: receipt.blockNumber, provider } },
          provider,
        );
        throw new Error(`the transaction reverted${reason ? `: ${reason.text}` : ""}`);
      }
      // The picture first, then the word "done": what the notice announces is already on the page.
      await refresh();
      setActivity({ kind: "success", text: done ? done(receipt.logs) : `${label}: done.` });
      return true;
    } catch (error) {
      setActivity({ kind: "error", text: describeWalletError(error) });
      return false;
    } finally {
      setBusy(false);
    }
  };

  const session: Session | undefined = snapshot && {
    settings: { ...settings, quality },
    snapshot,
    contracts,
    provider,
    account,
    isGovernor,
    member,
    canSign: !!connection && !wrongChain,
    busy,
    send,
  };

  const roles = [
    isGovernor ? "governor" : undefined,
    ...(member
      ? roleNames(member.roles).map((r) =>
          member.status === "Active" ? r : `${r} (${member.status.toLowerCase()})`,
        )
      : []),
  ].filter(Boolean);
  const page = route.startsWith("tx/") ? "tx" : route;

  return (
    <>
      <header>
        <p class="brand">circular-fl console</p>
        <div class="wallet" aria-live="polite">
          {connection ? (
            <p>
              Connected{" "}
              <code
                title={connection.account}
              >{`${connection.account.slice(0, 8)}…${connection.account.slice(-6)}`}</code>
              {` via ${connection.wallet.info.name}: `}
              <strong>
                {!snapshot
                  ? "reading roles…"
                  : roles.length > 0
                    ? roles.join(", ")
                    : "no role in this consortium (read-only)"}
              </strong>
            </p>
          ) : wallets.length > 0 ? (
            <div class="connect">
              {wallets.length > 1 ? (
                <>
                  <label for="wallet-choice">Wallet</label>
                  <select
                    id="wallet-choice"
                    value={chosen}
                    onChange={(e) => setChosen(e.currentTarget.value)}
                  >
                    {wallets.map((w) => (
                      <option key={w.info.uuid} value={w.info.uuid}>
                        {w.info.name}
                      </option>
                    ))}
                  </select>
                </>
              ) : null}
              <button type="button" onClick={() => void connect()}>
                {wallets.length === 1 ? `Connect ${wallets[0]?.info.name ?? "wallet"}` : "Connect"}
              </button>
            </div>
          ) : (
            <p>No browser wallet found: read-only.</p>
          )}
        </div>
        <nav aria-label="Pages">
          <ul>
            {PAGES.map(([id, title]) => (
              <li key={id}>
                <a href={`#/${id}`} aria-current={page === id ? "page" : undefined}>
                  {title}
                </a>
              </li>
            ))}
          </ul>
        </nav>
      </header>
      <main>
        {wrongChain && connection ? (
          <Notice kind="error">
            {`Your wallet is on chain ${connection.chainId}; this consortium runs on chain ${settings.chainId}. Switch network to sign. `}
            <button type="button" onClick={() => void switchChain()}>
              Switch network
            </button>
          </Notice>
        ) : null}
        {activity ? <Notice kind={activity.kind}>{activity.text}</Notice> : null}
        {readError ? <Notice kind="error">{readError}</Notice> : null}
        {!session ? (
          <p>Reading the chain…</p>
        ) : page === "tx" ? (
          <TxPage session={session} hash={route.slice(3)} />
        ) : page === "proposals" ? (
          <ProposalsPage session={session} />
        ) : page === "tasks" ? (
          <TasksPage session={session} />
        ) : page === "models" ? (
          <ModelsPage session={session} />
        ) : (
          <ConsortiumPage session={session} />
        )}
      </main>
      <footer>
        <p class="small" data-block={snapshot?.blockNumber}>
          {`Chain ${settings.chainId}, block ${snapshot?.blockNumber ?? "…"}; refreshes on every new block. Consortium `}
          <code>{settings.addresses.consortium}</code>
        </p>
      </footer>
    </>
  );
}

async function start(): Promise<void> {
  const root = document.getElementById("app");
  if (!root) return;
  try {
    const response = await fetch("/console.json");
    if (!response.ok) throw new Error(`/console.json: HTTP ${response.status}`);
    render(<App settings={(await response.json()) as ConsoleSettings} />, root);
  } catch (error) {
    render(
      <main>
        <Notice kind="error">{`The console cannot start: ${(error as Error).message}`}</Notice>
      </main>,
      root,
    );
  }
}

void start();
