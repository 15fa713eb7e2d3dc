import { useState } from "preact/hooks";
import { roundOutcome, ExclusionReason, type RoundRecord } from "../../chain/types.js";
import { ruleDefinitionById } from "../../aggregation/rules/registry.js";
import type { TaskPolicy } from "../../governance/types.js";
import { AnyoneAction } from "./anyone-action.js";
import type { Session } from "./session.js";
import type { TaskView } from "./snapshot.js";
import { Address, CidLink, Hash, Section, TxLink } from "./ui.js";

const REASONS = Object.fromEntries(Object.entries(ExclusionReason).map(([name, id]) => [id, name]));

/** The rows of the side-by-side policy table: label and how a version shows it. */
const POLICY_ROWS: readonly (readonly [string, (p: TaskPolicy) => string])[] = [
  ["model id", (p) => `${p.modelId.slice(0, 10)}…`],
  ["d (dimension)", (p) => String(p.dimension)],
  ["k (max non-zeros)", (p) => String(p.maxNonZeros)],
  ["L∞ bound", (p) => p.lInfBound.toString()],
  ["L2 bound", (p) => p.l2Bound.toString()],
  ["scale", (p) => String(p.scale)],
  ["rule", (p) => `${ruleDefinitionById(p.aggregationRule)?.kind ?? p.aggregationRule} (${p.ruleParameter})`],
  ["participants (min / max)", (p) => `${p.minParticipants} / ${p.maxCommits}`],
  ["attestation quorum", (p) => String(p.attestationQuorum)],
  ["dispute sensitivity", (p) => String(p.sensitivity)],
  [
    "windows (round / publish / attest, s)",
    (p) => `${p.maxRoundDuration} / ${p.publishWindow} / ${p.attestationWindow}`,
  ],
  ["expiry", (p) => new Date(Number(p.expiry) * 1000).toISOString().slice(0, 16).replace("T", " ")],
  ["verifying key", (p) => `${p.verifyingKeyHash.slice(0, 10)}…`],
  ["readers", (p) => String(p.readers.length)],
];

export function useTaskChoice(session: Session): [TaskView | undefined, (id: string) => void] {
  const tasks = session.snapshot.tasks;
  const [chosen, setChosen] = useState<string | undefined>(session.settings.taskId);
  const task = tasks.find((t) => t.taskId.toString() === chosen) ?? tasks[tasks.length - 1];
  return [task, setChosen];
}

export function TaskPicker({
  session,
  task,
  choose,
}: {
  session: Session;
  task: TaskView | undefined;
  choose: (id: string) => void;
}) {
  if (session.snapshot.tasks.length <= 1) return null;
  return (
    <div class="field inline-field">
      <label for="task-picker">Task</label>
      <select
        id="task-picker"
        value={task?.taskId.toString()}
        onChange={(e) => choose(e.currentTarget.value)}
      >
        {session.snapshot.tasks.map((t) => (
          <option key={t.taskId.toString()} value={t.taskId.toString()}>
            Task {t.taskId.toString()}
          </option>
        ))}
      </select>
    </div>
  );
}

/** What anyone may do to move this round on, offered only when the contract would accept it now. */
function RoundActions({ session, record }: { session: Session; record: RoundRecord }) {
  const { taskId, round } = record;
  const status = roundOutcome(record);
  const name = `round ${round} of task ${taskId}`;
  const candidates = [
    ...(status === "open"
      ? [{ label: "Close", verb: "Close", call: "closeRound" as const, done: `Round ${round} closed.` }]
      : []),
    ...(status === "published"
      ? [
          {
            label: "Finalize",
            verb: "Finalize",
            call: "finalizeRound" as const,
            done: `Round ${round} finalized.`,
          },
        ]
      : []),
    ...(status === "closed" || status === "published"
      ? [
          {
            label: "Abandon",
            verb: "Abandon",
            call: "abandonRound" as const,
            done: `Round ${round} abandoned.`,
          },
        ]
      : []),
    ...(status === "disputed"
      ? [
          {
            label: "Apply governance's resolution",
            verb: "Apply the resolution of",
            call: "resolveDispute" as const,
            done: `Resolution of round ${round} applied.`,
          },
        ]
      : []),
  ];
  if (candidates.length === 0) return null;
  return (
    <p>
      {candidates.map((a) => (
        <AnyoneAction
          key={a.call}
          session={session}
          label={a.label}
          title={`${a.verb} ${name}`}
          dryRun={(c, from) => c.rounds[a.call].staticCall(taskId, round, { from })}
          build={(c) => c.rounds[a.call](taskId, round)}
          done={a.done}
        />
      ))}
    </p>
  );
}

function Round({
  record,
  task,
  you,
  session,
}: {
  record: RoundRecord;
  task: TaskView;
  you?: string | undefined;
  session: Session;
}) {
  const status = roundOutcome(record);
  const resolution = task.resolutions.get(record.round.toString());
  return (
    <li class="round" data-round={record.round.toString()}>
      <h3>
        Round {record.round.toString()}{" "}
        <span class={`badge ${status}`} data-status={status}>
          {status}
        </span>
      </h3>
      <p class="small">
        Opened (<TxLink hash={record.openedIn} />) by aggregator{" "}
        <Address value={record.aggregator} you={you} />, policy version {record.policyVersion}, base model{" "}
        <Hash value={record.baseModelHash} />
        {record.abandoned ? `; abandoned: ${record.abandoned}` : ""}
      </p>
      <details>
        <summary>{`${record.commits.length} commits`}</summary>
        <ul class="plain small">
          {record.commits.map((c) => (
            <li key={c.transactionHash}>
              <Address value={c.member} you={you} /> <TxLink hash={c.transactionHash} />
            </li>
          ))}
        </ul>
      </details>
      {record.published ? (
        <div class="small">
          <p>
            Published model <Hash value={record.published.modelHash} /> at{" "}
            <CidLink cid={record.published.modelCid} />, block {record.published.blockNumber} (
            <TxLink hash={record.published.transactionHash} />
            ): {record.published.included.length} included
            {record.published.excluded.length > 0 ? `, ${record.published.excluded.length} excluded` : ""}.
          </p>
          <details>
            <summary>{`${record.published.included.length} included`}</summary>
            <ul class="plain">
              {record.published.included.map((m) => (
                <li key={m}>
                  <Address value={m} you={you} />
                </li>
              ))}
            </ul>
          </details>
          {record.published.excluded.length > 0 ? (
            <ul class="plain">
              {record.published.excluded.map((x) => (
                <li key={x.member}>
                  excluded <Address value={x.member} you={you} />: {REASONS[x.reason] ?? String(x.reason)}
                </li>
              ))}
            </ul>
          ) : null}
        </div>
      ) : null}
      {record.attestations.length > 0 ? (
        <ul class="plain small">
          {record.attestations.map((a) => (
            <li key={a.auditor}>
              Auditor <Address value={a.auditor} you={you} />{" "}
              {a.matches ? "attested a match" : "attested a MISMATCH"} <TxLink hash={a.transactionHash} />
            </li>
          ))}
        </ul>
      ) : null}
      <RoundActions session={session} record={record} />
      {record.disputed ? (
        <p class="small">
          Disputed
          {resolution ? `; resolved by governance: ${resolution.resolution}` : ", awaiting governance"}.
        </p>
      ) : null}
    </li>
  );
}

export function TasksPage({ session }: { session: Session }) {
  const [task, choose] = useTaskChoice(session);
  if (!task)
    return (
      <>
        <h1>Tasks and rounds</h1>
        <p>No task has a policy yet: a governor proposes CreateTask.</p>
      </>
    );
  const rounds = [...task.rounds].reverse();
  return (
    <>
      <h1>Tasks and rounds</h1>
      <TaskPicker session={session} task={task} choose={choose} />
      <Section title={`Task ${task.taskId} policy versions`}>
        <div class="scroll">
          <table>
            <thead>
              <tr>
                <th scope="col">Bound</th>
                {task.versions.map((v) => (
                  <th scope="col" key={v.version}>
                    Version {v.version} <TxLink hash={v.transactionHash} />
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {POLICY_ROWS.map(([label, show]) => (
                <tr key={label}>
                  <th scope="row">{label}</th>
                  {task.versions.map((v) => (
                    <td key={v.version}>{show(v.policy)}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <p class="small">{`${task.access.length} accounts granted access.`}</p>
      </Section>
      <Section title="Rounds">
        {rounds.length === 0 ? (
          <p>No round opened yet.</p>
        ) : (
          <ol class="timeline">
            {rounds.map((r) => (
              <Round
                key={r.round.toString()}
                record={r}
                task={task}
                you={session.account}
                session={session}
              />
            ))}
          </ol>
        )}
      </Section>
    </>
  );
}
