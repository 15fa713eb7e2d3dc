/**
 * Actions the contracts let anyone take once a window has passed (end a round, apply a resolution, mark a
 * proposal expired). The console offers one only when a dry run (`eth_call` from the connected account,
 * at the latest block) says the contract would accept it now, so no button leads to a revert.
 */
import { useEffect, useState } from "preact/hooks";
import type { ConsortiumContracts } from "../../chain/types.js";
import type { Session } from "./session.js";

export function AnyoneAction({
  session,
  label,
  title,
  dryRun,
  build,
  done,
}: {
  session: Session;
  /** The button's text. */
  label: string;
  /** The button's accessible name (unique on the page). */
  title: string;
  dryRun: (contracts: ConsortiumContracts, from: string) => Promise<unknown>;
  build: (contracts: ConsortiumContracts) => Promise<{ hash: string }>;
  done: string;
}) {
  const [allowed, setAllowed] = useState(false);
  const { account, canSign, snapshot } = session;
  useEffect(() => {
    let live = true;
    if (!account || !canSign) {
      setAllowed(false);
      return;
    }
    dryRun(session.contracts, account).then(
      () => live && setAllowed(true),
      () => live && setAllowed(false),
    );
    return () => {
      live = false;
    };
  }, [account, canSign, snapshot.blockNumber]);
  if (!allowed) return null;
  return (
    <button
      type="button"
      disabled={session.busy}
      aria-label={title}
      onClick={() => void session.send({ label: title, build, done: () => done })}
    >
      {label}
    </button>
  );
}
