import { useState } from "preact/hooks";
import { Consortium__factory } from "../../../types/ethers-contracts/index.js";
import { checkPolicyOnChain } from "../../governance/onchain.js";
import { KIND_NAMES, parseProposalPayload } from "../../governance/payloads.js";
import { encodeProposal } from "../../governance/policy.js";
import { describeProposalPayload } from "../../governance/describe.js";
import type { ProposalView } from "../../governance/proposals.js";
import { EntityKind, Role, type ProposalKindName } from "../../governance/types.js";
import {
  FormError,
  payloadFromForm,
  POLICY_FIELD_HELP,
  PROPOSAL_FORMS,
  type FormField,
  type FormValues,
} from "./forms.js";
import { AnyoneAction } from "./anyone-action.js";
import type { Session } from "./session.js";
import { Address, formatSeconds, Notice, Section, TxLink } from "./ui.js";

const consortiumInterface = Consortium__factory.createInterface();
/** The names a payload gives roles (lowercase) and entity kinds (as in IConsortium). */
const ROLE_CHOICES = Object.keys(Role).map((name) => name.toLowerCase());
const ENTITY_KIND_CHOICES = Object.keys(EntityKind);

function createdId(logs: readonly { topics: readonly string[]; data: string }[]): string {
  for (const log of logs) {
    try {
      const parsed = consortiumInterface.parseLog({ topics: [...log.topics], data: log.data });
      if (parsed?.name === "ProposalCreated") return `Proposal ${String(parsed.args[0])} created.`;
    } catch {
      // another contract's event
    }
  }
  return "Proposal created.";
}

function Field({
  field,
  value,
  set,
}: {
  field: FormField;
  value: FormValues[string] | undefined;
  set: (v: FormValues[string]) => void;
}) {
  const id = `field-${field.name}`;
  const help = <small id={`${id}-help`}>{field.help}</small>;
  if (field.type === "roles") {
    const chosen = Array.isArray(value) ? (value as readonly string[]) : [];
    return (
      <fieldset>
        <legend>{field.label}</legend>
        {ROLE_CHOICES.map((name) => (
          <label key={name} class="inline">
            <input
              type="checkbox"
              name={name}
              checked={chosen.includes(name)}
              onChange={(e) =>
                set(e.currentTarget.checked ? [...chosen, name] : chosen.filter((c) => c !== name))
              }
            />
            {name}
          </label>
        ))}
        {help}
      </fieldset>
    );
  }
  if (field.type === "bool")
    return (
      <div class="field">
        <label class="inline" for={id}>
          <input
            id={id}
            type="checkbox"
            aria-describedby={`${id}-help`}
            checked={value === true}
            onChange={(e) => set(e.currentTarget.checked)}
          />
          {field.label}
        </label>
        {help}
      </div>
    );
  if (field.type === "entity")
    return (
      <div class="field">
        <label for={id}>{field.label}</label>
        <select
          id={id}
          aria-describedby={`${id}-help`}
          value={typeof value === "string" ? value : ""}
          onChange={(e) => set(e.currentTarget.value)}
        >
          <option value="">choose…</option>
          {ENTITY_KIND_CHOICES.map((k) => (
            <option key={k} value={k}>
              {k}
            </option>
          ))}
        </select>
        {help}
      </div>
    );
  const text = typeof value === "string" ? value : "";
  return (
    <div class="field">
      <label for={id}>
        {field.label}
        {field.optional ? " (optional)" : ""}
      </label>
      {field.type === "json" ? (
        <textarea
          id={id}
          rows={8}
          aria-describedby={`${id}-help`}
          value={text}
          onInput={(e) => set(e.currentTarget.value)}
        />
      ) : (
        <input
          id={id}
          type="text"
          autoComplete="off"
          spellcheck={false}
          aria-describedby={`${id}-help`}
          value={text}
          onInput={(e) => set(e.currentTarget.value)}
        />
      )}
      {help}
    </div>
  );
}

function NewProposal({ session }: { session: Session }) {
  const [kind, setKind] = useState<ProposalKindName>("AdmitMember");
  const [values, setValues] = useState<FormValues>({});
  const [voting, setVoting] = useState("259200");
  const [problem, setProblem] = useState<string | undefined>();
  const fields = PROPOSAL_FORMS[kind];

  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    setProblem(undefined);
    let payload: { kind: number; payload: string };
    try {
      if (!/^[1-9]\d*$/.test(voting.trim()))
        throw new FormError("voting period must be a positive whole number of seconds");
      const action = parseProposalPayload({ kind, json: payloadFromForm({ kind, values }) });
      if (action.kind === "CreateTask" || action.kind === "UpdateTask")
        await checkPolicyOnChain({ contracts: session.contracts, policy: action.policy });
      payload = encodeProposal(action);
    } catch (error) {
      setProblem((error as Error).message);
      return;
    }
    const ok = await session.send({
      label: `Proposing ${kind}`,
      build: (c) => c.consortium.propose(payload.kind, payload.payload, BigInt(voting.trim())),
      done: createdId,
    });
    if (ok) setValues({});
  };

  return (
    <form onSubmit={(e) => void submit(e)} aria-labelledby="new-proposal-title" class="card">
      <h2 id="new-proposal-title">New proposal</h2>
      <div class="field">
        <label for="proposal-kind">Kind</label>
        <select
          id="proposal-kind"
          value={kind}
          onChange={(e) => {
            setKind(e.currentTarget.value as ProposalKindName);
            setValues({});
            setProblem(undefined);
          }}
        >
          {KIND_NAMES.map((k) => (
            <option key={k} value={k}>
              {k}
            </option>
          ))}
        </select>
      </div>
      {fields.map((f) => (
        <Field
          key={`${kind}-${f.name}`}
          field={f}
          value={values[f.name]}
          set={(v) => setValues({ ...values, [f.name]: v })}
        />
      ))}
      {kind === "CreateTask" || kind === "UpdateTask" ? (
        <details>
          <summary>What each bound of the policy means</summary>
          <dl class="policy-help">
            {POLICY_FIELD_HELP.map(([name, text]) => (
              <div key={name}>
                <dt>
                  <code>{name}</code>
                </dt>
                <dd>{text}</dd>
              </div>
            ))}
          </dl>
          <p>The form refuses a policy its verifying key's circuit cannot prove, as the contract would.</p>
        </details>
      ) : null}
      <div class="field">
        <label for="voting-seconds">Voting period (seconds)</label>
        <input
          id="voting-seconds"
          type="text"
          inputMode="numeric"
          value={voting}
          onInput={(e) => setVoting(e.currentTarget.value)}
        />
      </div>
      {problem ? <Notice kind="error">{problem}</Notice> : null}
      <button type="submit" disabled={session.busy}>
        Propose
      </button>
    </form>
  );
}

/** Approve or execute one proposal through the wallet. */
function ProposalAction({
  session,
  id,
  verb,
}: {
  session: Session;
  id: bigint;
  verb: "approve" | "execute";
}) {
  const [title, ing, ed] =
    verb === "approve" ? ["Approve", "Approving", "approved"] : ["Execute", "Executing", "executed"];
  return (
    <button
      type="button"
      disabled={session.busy}
      aria-label={`${title} proposal ${id}`}
      onClick={() =>
        void session.send({
          label: `${ing} proposal ${id}`,
          build: (c) => (verb === "approve" ? c.consortium.approve(id) : c.consortium.execute(id)),
          done: () => `Proposal ${id} ${ed}.`,
        })
      }
    >
      {title}
    </button>
  );
}

function ProposalRow({ session, p }: { session: Session; p: ProposalView }) {
  const { snapshot, account } = session;
  const approvedByMe =
    account !== undefined && p.approvers.some((a) => a.toLowerCase() === account.toLowerCase());
  const enough = BigInt(p.approvers.length) >= snapshot.quorum;
  const actions = session.isGovernor && session.canSign && p.state === "pending";
  return (
    <tr data-proposal={p.id.toString()}>
      <td>{p.id.toString()}</td>
      <td>{p.kind}</td>
      <td class="small">{describeProposalPayload(p)}</td>
      <td>
        <Address value={p.proposer} you={account} />
      </td>
      <td>
        {`${p.approvers.length} of ${snapshot.quorum}`}
        <ul class="plain small">
          {p.approvers.map((a) => (
            <li key={a}>
              <Address value={a} you={account} />
            </li>
          ))}
        </ul>
      </td>
      <td class={`state ${p.state}`}>{p.state}</td>
      <td>{p.state === "pending" ? formatSeconds(p.expiry - snapshot.now) : "—"}</td>
      <td>
        <TxLink hash={p.transactionHash} />
      </td>
      <td>
        {actions && !approvedByMe ? <ProposalAction session={session} id={p.id} verb="approve" /> : null}
        {actions && enough ? <ProposalAction session={session} id={p.id} verb="execute" /> : null}
        {p.state === "expired" ? (
          <AnyoneAction
            session={session}
            label="Mark expired"
            title={`Mark proposal ${p.id} expired`}
            dryRun={(c, from) => c.consortium.markExpired.staticCall(p.id, { from })}
            build={(c) => c.consortium.markExpired(p.id)}
            done={`Proposal ${p.id} marked expired.`}
          />
        ) : null}
      </td>
    </tr>
  );
}

export function ProposalsPage({ session }: { session: Session }) {
  const { snapshot } = session;
  const proposals = [...snapshot.proposals].reverse();
  return (
    <>
      <h1>Proposals</h1>
      {session.isGovernor && session.canSign ? (
        <NewProposal session={session} />
      ) : (
        <Notice kind="info">
          {session.account
            ? "The connected account is not a governor: it can read proposals, not propose or approve."
            : "Connect a governor's wallet to propose, approve and execute."}
        </Notice>
      )}
      <Section title="All proposals">
        {proposals.length === 0 ? (
          <p>No proposal yet.</p>
        ) : (
          <table>
            <thead>
              <tr>
                <th scope="col">Id</th>
                <th scope="col">Kind</th>
                <th scope="col">What it does</th>
                <th scope="col">Proposer</th>
                <th scope="col">Approvals</th>
                <th scope="col">State</th>
                <th scope="col">Expires in</th>
                <th scope="col">Transaction</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {proposals.map((p) => (
                <ProposalRow key={p.id.toString()} session={session} p={p} />
              ))}
            </tbody>
          </table>
        )}
      </Section>
    </>
  );
}
