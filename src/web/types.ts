/** The JSON-RPC chain the console reads: a node's URL, or an EIP-1193 provider in this process (the demo's). */
export type ChainUpstream =
  | { readonly url: string }
  | {
      readonly provider: {
        request(args: { method: string; params?: unknown[] | object }): Promise<unknown>;
      };
    };

/** A quality figure of a round's global model, as its host (the demo, an auditor's report) measured it. */
export interface RoundQuality {
  readonly taskId: string;
  readonly round: number;
  readonly macroF1: number;
  /** Who measured it (shown beside the chart). */
  readonly source: string;
}

/** What the page reads at `/console.json`: where the consortium is, and nothing secret. */
export interface ConsoleSettings {
  /** Decimal chain id the consortium runs on; a wallet on another chain is told to switch. */
  readonly chainId: string;
  readonly addresses: { readonly consortium: string; readonly rounds: string };
  /** The task the pages open on (the config's taskId), as a decimal string. */
  readonly taskId?: string;
  /** Same-origin path of the read-only JSON-RPC endpoint. */
  readonly rpcPath: string;
  /** How often the page looks for a new block (ms). */
  readonly pollMs: number;
  readonly quality: readonly RoundQuality[];
}

/** Arguments of `startWebConsole`. */
export interface WebConsoleOptions {
  readonly chain: ChainUpstream;
  readonly addresses: { readonly consortium: string; readonly rounds: string };
  readonly taskId?: bigint;
  /** Interface to listen on; loopback unless the operator names another. */
  readonly host?: string;
  /** 0 picks a free port. */
  readonly port?: number;
  readonly pollMs?: number;
}

/** A running console. */
export interface WebConsole {
  readonly url: string;
  /** Adds quality figures the page charts (the demo's evaluation after each round). */
  addQuality(figures: readonly RoundQuality[]): void;
  close(): Promise<void>;
}
