/** What every page receives: the chain's picture, who is connected, and the one way to send. */
import type { JsonRpcProvider } from "ethers";
import type { ConsortiumContracts } from "../../chain/types.js";
import type { ConsoleSettings } from "../types.js";
import type { MemberView, Snapshot } from "./snapshot.js";

export interface Session {
  readonly settings: ConsoleSettings;
  readonly snapshot: Snapshot;
  /** The consortium's contracts on the read-only endpoint. */
  readonly contracts: ConsortiumContracts;
  readonly provider: JsonRpcProvider;
  /** The connected wallet account, when one is connected. */
  readonly account?: string | undefined;
  readonly isGovernor: boolean;
  readonly member?: MemberView | undefined;
  /** Connected and on the consortium's chain. */
  readonly canSign: boolean;
  /** A transaction is on its way: buttons that send wait (forms keep what was typed). */
  readonly busy: boolean;
  /**
   * Sends a transaction through the wallet: `build` gets the contracts bound to the wallet's signer. Shows
   * progress and the outcome (a rejection, a revert by name, or `done(receipt logs)`), resolves true on success.
   */
  send(args: {
    label: string;
    build: (contracts: ConsortiumContracts) => Promise<{ hash: string }>;
    done?: (logs: readonly { topics: readonly string[]; data: string }[]) => string;
  }): Promise<boolean>;
}
