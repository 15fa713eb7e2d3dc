/** Small pieces every page uses: addresses, transaction links, durations. */
import type { ComponentChildren } from "preact";

export function Address({ value, you }: { value: string; you?: string | undefined }) {
  const mine = you !== undefined && value.toLowerCase() === you.toLowerCase();
  return (
    <code class="address" title={value}>
      {`${value.slice(0, 8)}…${value.slice(-6)}`}
      {mine ? " (you)" : ""}
    </code>
  );
}

/** A transaction: links to the console's own view of its receipt (no outside explorer). */
export function TxLink({ hash }: { hash: string }) {
  return (
    <a href={`#/tx/${hash}`} title={hash}>
      {`tx ${hash.slice(0, 10)}…`}
    </a>
  );
}

/** A CID: ipfs:// for a wallet or desktop IPFS node, full text in the title. */
export function CidLink({ cid }: { cid: string }) {
  return (
    <a href={`ipfs://${cid}`} title={cid}>
      <code>{cid.length > 20 ? `${cid.slice(0, 12)}…${cid.slice(-6)}` : cid}</code>
    </a>
  );
}

export function Hash({ value }: { value: string }) {
  return <code title={value}>{`${value.slice(0, 10)}…${value.slice(-6)}`}</code>;
}

export function formatSeconds(seconds: bigint): string {
  const s = Number(seconds);
  if (s <= 0) return "now";
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172800) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86400)} days`;
}

export function Section({ title, children }: { title: string; children: ComponentChildren }) {
  const id = `section-${title.toLowerCase().replace(/[^a-z0-9]+/g, "-")}`;
  return (
    <section aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      {children}
    </section>
  );
}

export function Notice({
  kind,
  children,
}: {
  kind: "error" | "info" | "success";
  children: ComponentChildren;
}) {
  return (
    <p class={`notice ${kind}`} role={kind === "error" ? "alert" : "status"}>
      {children}
    </p>
  );
}
