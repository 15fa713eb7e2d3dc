/** Options of `cfl demo`. */
export interface DemoOptions {
  members: number;
  rounds: number;
  dataset: "ai4i" | "supplychain";
  rule: "mean" | "trimmed-mean" | "median" | "clipped-mean";
  attack: "none" | "scaling" | "signflip" | "noise" | "labelflip" | "backdoor" | "freeride";
  malicious: number;
  tamperAggregator: boolean;
  seed: number;
  out: string;
  /** Circuit instance from circuits/instances.json (`demo` by default; `test` is smaller and faster). */
  circuit: string;
  /** Progress lines (a TTY shows them; CI and pipes get structured JSON lines). */
  log: (event: string, fields?: Record<string, unknown>) => void;
}

export interface RoundReport {
  round: number;
  committed: number;
  rejected: { member: string; reason: string }[];
  globalModelCid: string;
  globalModelHash: string;
  finalized: boolean;
  disputed: boolean;
  /** Quality of the model members train on after this round (the finalized one), on the held-out set. */
  metrics: { macroF1: number; balancedAccuracy: number; loss: number; rocAuc?: number };
  bytes: { sparseMedian: number; dense: number };
  proveMsMedian: number;
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
  attack: string;
  tamperAggregator: boolean;
  seed: number;
  circuit: { instance: string; constraints: number; maxEntries: number; vkeyHash: string };
  policy: { dimension: number; maxNonZeros: number; lInfBound: string; l2Bound: string; scale: number };
  backend: string;
  contracts: { consortium: string; rounds: string; verifier: string };
  initialMetrics: { macroF1: number; balancedAccuracy: number; loss: number };
  rounds: RoundReport[];
  durationMs: number;
}
