import { useEffect, useState } from "preact/hooks";
import type { TransactionReceipt } from "ethers";
import type { Session } from "./session.js";
import { Address, Notice } from "./ui.js";

/** A transaction as the chain records it, with the consortium's events in it decoded by name. */
export function TxPage({ session, hash }: { session: Session; hash: string }) {
  const [receipt, setReceipt] = useState<TransactionReceipt | null | undefined>(undefined);
  useEffect(() => {
    let live = true;
    session.provider.getTransactionReceipt(hash).then(
      (r) => live && setReceipt(r),
      () => live && setReceipt(null),
    );
    return () => {
      live = false;
    };
  }, [hash]);
  if (receipt === undefined) return <p>Reading transaction…</p>;
  if (receipt === null) return <Notice kind="error">{`No transaction ${hash} on this chain.`}</Notice>;
  const { consortium, rounds } = session.contracts;
  const events = receipt.logs.map((log) => {
    for (const c of [consortium, rounds]) {
      try {
        const parsed = c.interface.parseLog({ topics: [...log.topics], data: log.data });
        if (parsed) return parsed.name;
      } catch {
        // not this contract's event
      }
    }
    return `log at ${log.address}`;
  });
  return (
    <>
      <h1>Transaction</h1>
      <dl class="facts">
        <dt>Hash</dt>
        <dd>
          <code>{hash}</code>
        </dd>
        <dt>Status</dt>
        <dd>{receipt.status === 1 ? "succeeded" : "reverted"}</dd>
        <dt>Block</dt>
        <dd>{receipt.blockNumber}</dd>
        <dt>From</dt>
        <dd>
          <Address value={receipt.from} you={session.account} />
        </dd>
        <dt>To</dt>
        <dd>{receipt.to ? <Address value={receipt.to} /> : "contract creation"}</dd>
        <dt>Gas used</dt>
        <dd>{receipt.gasUsed.toString()}</dd>
        <dt>Events</dt>
        <dd>{events.length > 0 ? events.join(", ") : "none"}</dd>
      </dl>
    </>
  );
}
