/**
 * Finds the checks of a Solidity source (`if (...) revert ...;`, a lone `revert ...;`, `require(...)`, and
 * the guards `if (...) return false;` / `if (...) continue;`) and builds their mutants:
 *
 *   remove    the check never fires (its condition becomes false, a lone revert is skipped);
 *   negate    the condition is negated;
 *   boundary  one relational operator of the condition is moved by one (< and <=, > and >=).
 *
 * A mutant is applied either alone (`mutantSource`: the file as one mutant reads) or all together behind a
 * switch (`schemaSource`): each mutated condition reads `block.coinbase` and takes the mutant's form only
 * when the chain's coinbase is that mutant's address, so one compilation serves every mutant and the
 * unmutated source behaves as the original. Functions holding a switch lose `pure` (they read the block).
 */

export type Operator = "remove" | "negate" | "boundary";
export const OPERATORS: readonly Operator[] = ["remove", "negate", "boundary"];

/**
 * `branch`: a condition of an if / else-if chain whose final `else` reverts (its windows and states decide
 * whether the call reverts); it gets boundary mutants only.
 */
export type CheckKind = "if-revert" | "revert" | "require" | "guard" | "branch";

export interface Check {
  kind: CheckKind;
  /** 1-based line of the statement's first character. */
  line: number;
  /** Name of the function or modifier holding the check. */
  scope: string;
  /** The statement, on one line. */
  statement: string;
  /** Offsets of the condition in the source (absent for a lone revert). */
  condition?: { start: number; end: number };
  /** Offsets of the whole statement (a lone revert: the `revert ...;`). */
  start: number;
  end: number;
}

export interface Mutant {
  /** Unique over one run (the switch's address is derived from it). */
  id: number;
  contract: string;
  file: string;
  line: number;
  scope: string;
  operator: Operator;
  /** What the mutant does, e.g. `a < b` -> `a <= b`. */
  description: string;
  statement: string;
  /** The replaced range of the source and its text for this mutant alone. */
  edit: { start: number; end: number; text: string };
  /** For the schema: the condition this mutant evaluates instead of the original one (or the lone revert). */
  variant: string;
}

/** A mutant's switch: its coinbase address. Well away from Hardhat's default coinbase (0xc014ba5e...). */
export const SWITCH_BASE = 0xc0ffee000000n;
export function switchAddress(id: number): string {
  return "0x" + (SWITCH_BASE + BigInt(id)).toString(16).padStart(40, "0");
}
function switchExpression(id: number): string {
  return `(block.coinbase == address(uint160(${SWITCH_BASE + BigInt(id)})))`;
}

/** The source with comments and string literals blanked (same length, newlines kept), assembly blocks too. */
export function maskSource(source: string): string {
  const out = source.split("");
  let i = 0;
  const blank = (from: number, to: number) => {
    for (let k = from; k < to; k++) if (out[k] !== "\n") out[k] = " ";
  };
  while (i < source.length) {
    if (source.startsWith("//", i)) {
      const end = source.indexOf("\n", i);
      const stop = end < 0 ? source.length : end;
      blank(i, stop);
      i = stop;
    } else if (source.startsWith("/*", i)) {
      const end = source.indexOf("*/", i + 2);
      const stop = end < 0 ? source.length : end + 2;
      blank(i, stop);
      i = stop;
    } else if (source[i] === '"' || source[i] === "'") {
      const quote = source[i];
      let k = i + 1;
      while (k < source.length && source[k] !== quote) k += source[k] === "\\" ? 2 : 1;
      blank(i + 1, k);
      i = k + 1;
    } else i++;
  }
  // Assembly blocks: their `revert(p, s)` is an opcode, not a check.
  const masked = out.join("");
  const assembly = /\bassembly\b[^{]*\{/g;
  let m: RegExpExecArray | null;
  while ((m = assembly.exec(masked)) !== null) {
    const open = m.index + m[0].length - 1;
    const close = matchForward(masked, open, "{", "}");
    blank(m.index, close + 1);
  }
  return out.join("");
}

function matchForward(text: string, open: number, o: string, c: string): number {
  let depth = 0;
  for (let k = open; k < text.length; k++) {
    if (text[k] === o) depth++;
    else if (text[k] === c && --depth === 0) return k;
  }
  throw new Error(`unbalanced ${o}${c} from offset ${open}`);
}

function matchBackward(text: string, close: number, o: string, c: string): number {
  let depth = 0;
  for (let k = close; k >= 0; k--) {
    if (text[k] === c) depth++;
    else if (text[k] === o && --depth === 0) return k;
  }
  throw new Error(`unbalanced ${o}${c} before offset ${close}`);
}

function skipSpaceBack(text: string, at: number): number {
  while (at >= 0 && /\s/.test(text[at]!)) at--;
  return at;
}

function skipSpaceForward(text: string, at: number): number {
  while (at < text.length && /\s/.test(text[at]!)) at++;
  return at;
}

/** Offset of the `;` ending the statement that starts at `from` (parentheses and brackets balanced). */
function statementEnd(masked: string, from: number): number {
  let depth = 0;
  for (let k = from; k < masked.length; k++) {
    const ch = masked[k];
    if (ch === "(" || ch === "[" || ch === "{") depth++;
    else if (ch === ")" || ch === "]" || ch === "}") depth--;
    else if (ch === ";" && depth === 0) return k;
  }
  throw new Error(`no end of statement from offset ${from}`);
}

/** The `if (` whose `)` is at `close`, or undefined. */
function ifBefore(masked: string, close: number): { ifStart: number; open: number } | undefined {
  if (masked[close] !== ")") return undefined;
  const open = matchBackward(masked, close, "(", ")");
  const before = skipSpaceBack(masked, open - 1);
  if (before >= 1 && masked.slice(before - 1, before + 1) === "if" && !/\w/.test(masked[before - 2] ?? " ")) {
    return { ifStart: before - 1, open };
  }
  return undefined;
}

interface Scope {
  name: string;
  headerStart: number;
  bodyStart: number;
  bodyEnd: number;
}

function scopes(masked: string): Scope[] {
  const result: Scope[] = [];
  const re = /\b(function|modifier)\s+(\w+)\s*\(/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(masked)) !== null) {
    let k = m.index + m[0].length - 1;
    k = matchForward(masked, k, "(", ")") + 1;
    while (k < masked.length && masked[k] !== "{" && masked[k] !== ";") {
      if (masked[k] === "(") k = matchForward(masked, k, "(", ")");
      k++;
    }
    if (masked[k] !== "{") continue;
    result.push({
      name: m[2]!,
      headerStart: m.index,
      bodyStart: k,
      bodyEnd: matchForward(masked, k, "{", "}"),
    });
  }
  return result;
}

function lineOf(source: string, offset: number): number {
  let line = 1;
  for (let k = 0; k < offset; k++) if (source[k] === "\n") line++;
  return line;
}

const oneLine = (text: string) => text.replace(/\s+/g, " ").trim();

/** The checks of one source file, in source order. */
export function findChecks(source: string): Check[] {
  const masked = maskSource(source);
  const scopeList = scopes(masked);
  const scopeAt = (offset: number) =>
    scopeList.find((s) => s.bodyStart < offset && offset < s.bodyEnd)?.name ?? "<contract>";
  const checks: Check[] = [];
  const add = (check: Omit<Check, "line" | "scope" | "statement">) => {
    checks.push({
      ...check,
      line: lineOf(source, check.start),
      scope: scopeAt(check.start),
      statement: oneLine(source.slice(check.start, check.end)),
    });
  };

  const reverts = /\brevert\b/g;
  let m: RegExpExecArray | null;
  while ((m = reverts.exec(masked)) !== null) {
    const end = statementEnd(masked, m.index) + 1;
    const before = skipSpaceBack(masked, m.index - 1);
    const unbraced = ifBefore(masked, before);
    if (unbraced) {
      add({
        kind: "if-revert",
        start: unbraced.ifStart,
        end,
        condition: { start: unbraced.open + 1, end: before },
      });
      continue;
    }
    if (masked[before] === "{" && masked[skipSpaceForward(masked, end)] === "}") {
      // `if (...) { revert ...; }`: the block holds the revert alone.
      const braced = ifBefore(masked, skipSpaceBack(masked, before - 1));
      if (braced) {
        const close = skipSpaceBack(masked, before - 1);
        add({
          kind: "if-revert",
          start: braced.ifStart,
          end: skipSpaceForward(masked, end) + 1,
          condition: { start: braced.open + 1, end: close },
        });
        continue;
      }
    }
    add({ kind: "revert", start: m.index, end });
    // `if (a) {...} else if (b) {...} else { revert ...; }`: a and b decide whether the call reverts.
    if (masked[before] === "{" && /\belse\s*$/.test(masked.slice(0, before))) {
      let at = skipSpaceBack(masked, masked.slice(0, before).search(/\belse\s*$/) - 1);
      while (masked[at] === "}") {
        const open = matchBackward(masked, at, "{", "}");
        const branch = ifBefore(masked, skipSpaceBack(masked, open - 1));
        if (!branch) break;
        const close = skipSpaceBack(masked, open - 1);
        add({
          kind: "branch",
          start: branch.ifStart,
          end: close + 1,
          condition: { start: branch.open + 1, end: close },
        });
        const elseAt = masked.slice(0, branch.ifStart).search(/\belse\s*$/);
        if (elseAt < 0) break;
        at = skipSpaceBack(masked, elseAt - 1);
      }
    }
  }

  const requires = /\brequire\s*\(/g;
  while ((m = requires.exec(masked)) !== null) {
    const open = m.index + m[0].length - 1;
    const close = matchForward(masked, open, "(", ")");
    // The condition is the first argument: up to the first top-level comma.
    let depth = 0;
    let condEnd = close;
    for (let k = open + 1; k < close; k++) {
      const ch = masked[k];
      if (ch === "(" || ch === "[") depth++;
      else if (ch === ")" || ch === "]") depth--;
      else if (ch === "," && depth === 0) {
        condEnd = k;
        break;
      }
    }
    add({
      kind: "require",
      start: m.index,
      end: statementEnd(masked, m.index) + 1,
      condition: { start: open + 1, end: condEnd },
    });
  }

  // Guards: `if (...) return false;`, `if (...) return (false, ...);`, `if (...) continue;`.
  const guards = /\b(return\s*\(?\s*false\b|continue\s*;)/g;
  while ((m = guards.exec(masked)) !== null) {
    const before = skipSpaceBack(masked, m.index - 1);
    const guard = ifBefore(masked, before);
    if (!guard) continue;
    add({
      kind: "guard",
      start: guard.ifStart,
      end: statementEnd(masked, m.index) + 1,
      condition: { start: guard.open + 1, end: before },
    });
  }
  return checks.sort((a, b) => a.start - b.start);
}

/** Relational operators of a (masked) condition: offsets relative to the condition and the operator. */
function relationalOperators(maskedCondition: string): { at: number; op: string }[] {
  const ops: { at: number; op: string }[] = [];
  for (let k = 0; k < maskedCondition.length; k++) {
    const two = maskedCondition.slice(k, k + 2);
    if (two === "<<" || two === ">>" || two === "=>") {
      k += maskedCondition[k + 2] === "=" ? 2 : 1;
      continue;
    }
    if (two === "<=" || two === ">=") {
      ops.push({ at: k, op: two });
      k++;
    } else if (maskedCondition[k] === "<" || maskedCondition[k] === ">")
      ops.push({ at: k, op: maskedCondition[k]! });
  }
  return ops;
}

const BOUNDARY: Record<string, string> = { "<": "<=", "<=": "<", ">": ">=", ">=": ">" };

/** The mutants of one file's checks, numbered from `firstId`. */
export function mutantsOf({
  source,
  contract,
  file,
  operators,
  firstId,
}: {
  source: string;
  contract: string;
  file: string;
  operators: readonly Operator[];
  firstId: number;
}): Mutant[] {
  const masked = maskSource(source);
  const mutants: Mutant[] = [];
  let id = firstId;
  for (const check of findChecks(source)) {
    const base = { contract, file, line: check.line, scope: check.scope, statement: check.statement };
    if (!check.condition) {
      if (!operators.includes("remove")) continue;
      const text = source.slice(check.start, check.end);
      mutants.push({
        ...base,
        id: id++,
        operator: "remove",
        description: "lone revert skipped",
        edit: { start: check.start, end: check.start, text: "if (false) " },
        variant: text,
      });
      continue;
    }
    const { start, end } = check.condition;
    const condition = source.slice(start, end);
    const edit = (text: string) => ({ start, end, text });
    if (operators.includes("remove") && check.kind !== "branch") {
      mutants.push({
        ...base,
        id: id++,
        operator: "remove",
        description: check.kind === "require" ? "require(true)" : "condition -> false",
        edit: edit(check.kind === "require" ? "true" : "false"),
        variant: check.kind === "require" ? "true" : "false",
      });
    }
    if (operators.includes("negate") && check.kind !== "branch") {
      mutants.push({
        ...base,
        id: id++,
        operator: "negate",
        description: "condition negated",
        edit: edit(`!(${condition})`),
        variant: `!(${condition})`,
      });
    }
    if (operators.includes("boundary")) {
      for (const { at, op } of relationalOperators(masked.slice(start, end))) {
        const replaced = condition.slice(0, at) + BOUNDARY[op] + condition.slice(at + op.length);
        const around = oneLine(condition.slice(Math.max(0, at - 30), at + op.length + 30));
        mutants.push({
          ...base,
          id: id++,
          operator: "boundary",
          description: `${op} -> ${BOUNDARY[op]} in "${around}"`,
          edit: edit(replaced),
          variant: replaced,
        });
      }
    }
  }
  return mutants;
}

/** The file as one mutant reads. */
export function mutantSource(source: string, mutant: Mutant): string {
  const { start, end, text } = mutant.edit;
  return source.slice(0, start) + text + source.slice(end);
}

/** The file with every given mutant behind its coinbase switch (see the module comment). */
export function schemaSource(source: string, mutants: readonly Mutant[]): string {
  const masked = maskSource(source);
  const edits: { start: number; end: number; text: string }[] = [];
  const byRange = new Map<string, Mutant[]>();
  for (const mutant of mutants) {
    const key = `${mutant.edit.start}:${mutant.edit.end}:${mutant.operator === "remove" && mutant.edit.start === mutant.edit.end}`;
    byRange.set(key, [...(byRange.get(key) ?? []), mutant]);
  }
  const switched: number[] = [];
  for (const group of byRange.values()) {
    const first = group[0]!;
    if (first.edit.start === first.edit.end) {
      // A lone revert: skipped when its switch is on.
      edits.push({
        start: first.edit.start,
        end: first.edit.start,
        text: `if (!${switchExpression(first.id)}) `,
      });
    } else {
      const original = source.slice(first.edit.start, first.edit.end);
      let text = `(${original})`;
      for (const mutant of [...group].reverse())
        text = `(${switchExpression(mutant.id)} ? (${mutant.variant}) : ${text})`;
      edits.push({ start: first.edit.start, end: first.edit.end, text });
    }
    switched.push(first.edit.start);
  }
  // `pure` functions that now read block.coinbase become `view`.
  for (const scope of scopes(masked)) {
    if (!switched.some((at) => scope.bodyStart < at && at < scope.bodyEnd)) continue;
    const header = masked.slice(scope.headerStart, scope.bodyStart);
    const pure = /\bpure\b/.exec(header);
    if (pure)
      edits.push({
        start: scope.headerStart + pure.index,
        end: scope.headerStart + pure.index + 4,
        text: "view",
      });
  }
  edits.sort((a, b) => b.start - a.start);
  let out = source;
  for (const e of edits) out = out.slice(0, e.start) + e.text + out.slice(e.end);
  return out;
}
