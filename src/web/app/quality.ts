import type { RoundQuality } from "../types.js";

/** Reads quality figures from a `cfl demo` report.json or a plain [{round, macroF1}] list. */
export function qualityFromFile({
  json,
  taskId,
  source,
}: {
  json: unknown;
  taskId: string;
  source: string;
}): RoundQuality[] {
  const list = Array.isArray(json) ? json : (json as { rounds?: unknown } | null)?.rounds;
  if (!Array.isArray(list))
    throw new Error("expected a report.json with rounds, or a list of {round, macroF1}");
  return list.map((entry, i) => {
    const e = entry as { round?: unknown; macroF1?: unknown; metrics?: { macroF1?: unknown } };
    const f1 = e.metrics?.macroF1 ?? e.macroF1;
    if (typeof e.round !== "number" || typeof f1 !== "number")
      throw new Error(`entry ${i}: needs a numeric round and macroF1`);
    return { taskId, round: e.round, macroF1: f1, source };
  });
}
