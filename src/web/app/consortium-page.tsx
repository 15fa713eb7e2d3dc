import type { Session } from "./session.js";
import { roleNames } from "../../governance/describe.js";
import { Address, Section, TxLink } from "./ui.js";

export function ConsortiumPage({ session }: { session: Session }) {
  const { snapshot, account } = session;
  return (
    <>
      <h1>Consortium</h1>
      <Section title="Governors">
        <p>
          Quorum: <strong>{snapshot.quorum.toString()}</strong> of {snapshot.governors.length} governors must
          approve a proposal before it can be executed.
          {snapshot.development
            ? " This is a development deployment: development-only keys are accepted."
            : ""}
        </p>
        <ul class="plain">
          {snapshot.governors.map((g) => (
            <li key={g}>
              <Address value={g} you={account} />
            </li>
          ))}
        </ul>
      </Section>
      <Section title="Members">
        {snapshot.members.length === 0 ? (
          <p>No member admitted yet.</p>
        ) : (
          <table>
            <thead>
              <tr>
                <th scope="col">Account</th>
                <th scope="col">Roles</th>
                <th scope="col">Entity kind</th>
                <th scope="col">Status</th>
                <th scope="col">Encryption key</th>
              </tr>
            </thead>
            <tbody>
              {snapshot.members.map((m) => (
                <tr key={m.account} data-member={m.account}>
                  <td>
                    <Address value={m.account} you={account} />
                  </td>
                  <td>{roleNames(m.roles).join(", ")}</td>
                  <td>{m.kind}</td>
                  <td class={`status ${m.status.toLowerCase()}`}>{m.status}</td>
                  <td>
                    <code title={m.encryptionKey}>{`${m.encryptionKey.slice(0, 10)}…`}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Section>
      <Section title="History">
        <ol class="history">
          {snapshot.history.map((h, i) => (
            <li key={`${h.transactionHash}-${i}`}>
              <span class="block">block {h.blockNumber}</span> {h.text} <TxLink hash={h.transactionHash} />
            </li>
          ))}
        </ol>
      </Section>
    </>
  );
}
