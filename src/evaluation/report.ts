/**
 * The matrix as Markdown tables (docs/benchmarks.md is regenerated from bench/results.json with these):
 * macro-F1 per attack and malicious count (rows) and defense (columns), each row next to the clean
 * federation of the same defense; and the backdoor's success next to the plain miss rate.
 */
import type { AttackName, CellResult, DefenseName } from "./types.js";

type MatrixCell = Pick<
  CellResult,
  "attack" | "defense" | "members" | "malicious" | "macroF1" | "backdoorSuccess" | "failureMissRate"
>;

const f3 = (x: number): string => x.toFixed(3);
const pct = (x: number): string => `${Math.round(x * 100)}%`;

function rowsOf(cells: readonly MatrixCell[]): { attack: AttackName; malicious: number; members: number }[] {
  const seen = new Map<string, { attack: AttackName; malicious: number; members: number }>();
  for (const c of cells)
    seen.set(`${c.attack}/${c.malicious}`, { attack: c.attack, malicious: c.malicious, members: c.members });
  return [...seen.values()];
}

function defensesOf(cells: readonly MatrixCell[]): DefenseName[] {
  return [...new Set(cells.map((c) => c.defense))];
}

function find(
  cells: readonly MatrixCell[],
  attack: AttackName,
  defense: DefenseName,
  malicious: number,
): MatrixCell | undefined {
  return cells.find((c) => c.attack === attack && c.defense === defense && c.malicious === malicious);
}

/** Macro-F1 table: one row per (attack, malicious count), one column per defense; the best robust value in bold. */
export function renderMacroF1Table(cells: readonly MatrixCell[]): string {
  const defenses = defensesOf(cells);
  const lines = [
    `| attack | malicious | ${defenses.join(" | ")} |`,
    `|---|---|${defenses.map(() => "---:").join("|")}|`,
  ];
  for (const row of rowsOf(cells)) {
    const values = defenses.map((d) => find(cells, row.attack, d, row.malicious)?.macroF1);
    const best = Math.max(...values.filter((v): v is number => v !== undefined));
    const shown = values.map((v) =>
      v === undefined ? "–" : v === best && row.attack !== "none" ? `**${f3(v)}**` : f3(v),
    );
    lines.push(`| ${row.attack} | ${row.malicious}/${row.members} | ${shown.join(" | ")} |`);
  }
  return lines.join("\n");
}

/**
 * Backdoor table: share of triggered test failures called "no failure", with the same model's miss rate on
 * the untriggered failures in parentheses (the baseline: what the trigger adds is the difference).
 */
export function renderBackdoorTable(
  cells: readonly MatrixCell[],
  attacks: readonly AttackName[] = ["none", "backdoor"],
): string {
  const defenses = defensesOf(cells);
  const lines = [
    `| attack | malicious | ${defenses.join(" | ")} |`,
    `|---|---|${defenses.map(() => "---:").join("|")}|`,
  ];
  for (const row of rowsOf(cells).filter((r) => attacks.includes(r.attack))) {
    const shown = defenses.map((d) => {
      const c = find(cells, row.attack, d, row.malicious);
      return c === undefined ? "–" : `${pct(c.backdoorSuccess)} (${pct(c.failureMissRate)})`;
    });
    lines.push(`| ${row.attack} | ${row.malicious}/${row.members} | ${shown.join(" | ")} |`);
  }
  return lines.join("\n");
}
