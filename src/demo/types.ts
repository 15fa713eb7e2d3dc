import type { PoisoningAttack } from "../adversary/index.js";
import type { AggregationRuleKind } from "../aggregation/index.js";

/** `cfl demo --data FILE (--schema FILE | --label COLUMN) [--model FILE] [--split-by COLUMN]`. */
export interface DemoDataOptions {
  path: string;
  format?: "csv" | "jsonl";
  delimiter?: string;
  /** The data schema; without it the schema is inferred from `label` and written beside the report. */
  schemaFile?: string;
  label?: string;
  /** model.json or preset:<name>; without it a small model is proposed for the schema. */
  modelFile?: string;
  /** Members get the rows of one value of this column each, instead of a stratified share. */
  splitBy?: string;
}

/** The demo's in-process chain, as an EIP-1193 provider, with the consortium on it. */
export interface DemoChain {
  readonly provider: { request(args: { method: string; params?: unknown[] | object }): Promise<unknown> };
  readonly addresses: { readonly consortium: string; readonly rounds: string };
  readonly taskId: bigint;
}

/** Options of `cfl demo`. */
export interface DemoOptions {
  members: number;
  /** Undefined: as many as a forest has levels (it grows one a round), else 3. */
  rounds?: number;
  dataset: "ai4i" | "supplychain";
  /** Own records instead of a built-in data set (`--data`). */
  data?: DemoDataOptions;
  /**
   * The model for a built-in data set (model.json or preset:<name>; default: the data set's, on AI4I the
   * histogram forest); with `data`, `data.modelFile`.
   */
  model?: string;
  /**
   * `--defense`: `support` (a forest's sum vetoes splits too few members' rows vary on, and screens free
   * riders), `screened` (the rule `screened-mean`, which the caller sets as `rule`), or `none`. Undefined:
   * `support` for a forest, else `none`.
   */
  defense?: "none" | "screened" | "support";
  /**
   * q of the support defense: it vetoes every histogram on which some but fewer than q members' own rows
   * vary. Default max(2, ⌊members / 3⌋ + 1).
   */
  supportMembers?: number;
  /** A draftable rule (`DRAFTABLE_RULE_KINDS`); default `mean`, or the rule the model's family needs (a forest: `sum`). */
  rule?: AggregationRuleKind;
  attack: PoisoningAttack;
  malicious: number;
  tamperAggregator: boolean;
  /** The aggregator stops after closing this round (it never publishes); the other aggregator takes over. */
  silentAggregator?: number;
  /** One auditor attests a mismatch on every round; governance resolves the disputes. */
  lyingAuditor: boolean;
  seed: number;
  out: string;
  /**
   * Circuit instance from circuits/instances.json (`test` is smaller and faster). Default: the instance with
   * the fewest indices that reach the model's d (`demo`, or `large` for the forest).
   */
  circuit?: string;
  /**
   * The policy's k, non-zeros per update (`--k`; default: the circuit's K, at most d). Above K each update is
   * proven in ceil(k / K) chunks and committed in one transaction.
   */
  maxNonZeros?: number;
  /** Called once the consortium and its task exist on the demo's chain (`--web` serves the console on it). */
  onChain?: (chain: DemoChain) => Promise<void>;
  /** Called after each round with its report. */
  onRound?: (round: { taskId: bigint; report: RoundReport }) => void;
  /** Called with the finished report while the chain still runs; the chain closes when it resolves. */
  afterRounds?: (report: DemoReport) => Promise<void>;
  /** Progress lines (a TTY shows them; CI and pipes get structured JSON lines). */
  log: (event: string, fields?: Record<string, unknown>) => void;
}

export interface RoundReport {
  round: number;
  committed: number;
  rejected: { member: string; reason: string }[];
  globalModelCid: string;
  globalModelHash: string;
  /** The model the round's members trained on (the round's base, as the chain recorded it at opening). */
  baseModelHash: string;
  /** How the round ended. */
  status: "open" | "closed" | "published" | "finalized" | "disputed" | "abandoned" | "resolved";
  finalized: boolean;
  /** Whether any auditor disputed the round (it may since have been resolved). */
  disputed: boolean;
  resolution?: "model-upheld" | "dispute-confirmed";
  abandonReason?: string;
  /** Quality of the model members train on after this round (the finalized one), on the held-out set. */
  metrics: {
    macroF1: number;
    balancedAccuracy: number;
    loss: number;
    rocAuc?: number;
    /** With `--attack backdoor`: the share of test failures, trigger stamped on, called "no failure". */
    backdoorSuccess?: number;
  };
  /** Members the task's rule screened out this round (defenses), with the reason, as published. */
  flagged: { member: string; reason: string; detail: string }[];
  /** Members the screen suspected this round but kept: a direction verdict excludes only when it repeats. */
  suspectedKept: string[];
  bytes: { sparseMedian: number; dense: number };
  proveMsMedian: number;
  /** Chunk proofs per update (median over the round's members): ceil(entries / K), at least 1. */
  chunksMedian: number;
  trainMsMedian: number;
  gas: { commitUpdateMedian: number; publishAggregate: number; attest?: number };
  audit: { auditor: string; matches: boolean; findings: string[] }[];
}

export interface DemoReport {
  product: "circular-fl";
  version: 1;
  generatedAt: string;
  members: number;
  malicious: number;
  dataset: string;
  rule: string;
  /** q of the support defense when it ran (the forest's veto of thinly supported splits and its free-rider screen). */
  supportMembers?: number;
  attack: string;
  tamperAggregator: boolean;
  silentAggregator?: number;
  lyingAuditor: boolean;
  seed: number;
  circuit: { instance: string; constraints: number; maxEntries: number; keyHash: string };
  policy: {
    dimension: number;
    maxNonZeros: number;
    lInfBound: string;
    l2Bound: string;
    scale: number;
    /** The rule's parameter as the policy stores it (a supported sum: q · 2^32 + B · 2^16 + C). */
    ruleParameter: string;
  };
  backend: string;
  contracts: { consortium: string; rounds: string; verifyingKeys: string };
  /** What was federated: the model and data the task pinned, and how members' rows were assigned. */
  task: {
    model: string;
    /** The model family: a TF.js model trained by gradient steps, or a histogram forest grown by counts. */
    family: "neural" | "forest";
    modelId: string;
    topologyHash: string;
    dataHash: string;
    parameters: number;
    initialWeights: string;
    split: string;
    /** Own data only: the schema's file when it was inferred (`--label`). */
    schemaFile?: string;
    /**
     * The final model's main file: TF.js model.json (weights.bin beside it), or a forest's forest.json (its
     * spec, reusable as `--model`) with forest-trees.json (the derived trees) beside it.
     */
    modelJson: string;
  };
  initialMetrics: { macroF1: number; balancedAccuracy: number; loss: number };
  rounds: RoundReport[];
  /** The final model scored on each member's own held-out rows (never trained on). */
  perMember: { member: string; rows: number; heldOut: number; macroF1: number | null }[];
  durationMs: number;
}
