/**
 * Turns a contract revert, in whatever shape ethers v6, Hardhat or a JSON-RPC node hands it over, into one
 * readable line: `FederatedRounds__DeadlinePassed(task 1, round 3, deadline 1796171696)`.
 *
 * The decoder knows every custom error of every contract the build generates bindings for (it walks the
 * typechain factories, so a new contract or error needs no change here), plus Solidity's `Error(string)`
 * and `Panic(uint256)`.
 */
import { AbiCoder, ErrorFragment, getAddress, hexlify, type ParamType, type Provider } from "ethers";
import * as bindings from "../../types/ethers-contracts/index.js";

/** One decoded argument: its ABI name, the short label shown to the user, and the value as printed. */
export interface DecodedRevertArg {
  name: string;
  label: string;
  type: string;
  value: unknown;
  text: string;
}

export interface DecodedRevert {
  /** The error's name, e.g. `Consortium__NotGovernor`; `Error` and `Panic` for Solidity's built-ins. */
  name: string;
  /** The canonical signature, e.g. `Consortium__NotGovernor(address)`. */
  signature: string;
  selector: string;
  args: DecodedRevertArg[];
  /** The raw revert data the error was decoded from. */
  data: string;
  /** The one-line form: `Consortium__NotGovernor(account 0x…)`. */
  text: string;
}

const ERROR_STRING_SELECTOR = "0x08c379a0";
const PANIC_SELECTOR = "0x4e487b71";

/** Solidity's panic codes (https://docs.soliditylang.org/en/latest/control-structures.html#panic-via-assert-and-error-via-require). */
const PANIC_CODES: Record<number, string> = {
  0x00: "generic compiler panic",
  0x01: "assertion failed",
  0x11: "arithmetic overflow or underflow",
  0x12: "division or modulo by zero",
  0x21: "invalid enum value",
  0x22: "invalid storage byte array encoding",
  0x31: "pop on an empty array",
  0x32: "array index out of bounds",
  0x41: "out of memory",
  0x51: "call to an uninitialized function",
};

let registry: Map<string, ErrorFragment> | undefined;

function collectAbis(value: unknown, seen: Set<unknown>, out: unknown[][]): void {
  if (value === null || (typeof value !== "object" && typeof value !== "function") || seen.has(value)) return;
  seen.add(value);
  const abi = (value as { abi?: unknown }).abi;
  if (typeof value === "function") {
    if (Array.isArray(abi)) out.push(abi as unknown[]);
    return;
  }
  // A module namespace (the generated index re-exports its sub-folders as namespaces).
  for (const key of Object.keys(value)) collectAbis((value as Record<string, unknown>)[key], seen, out);
}

/** Every error fragment the project's contracts declare, by selector (built once). */
function knownErrors(): Map<string, ErrorFragment> {
  if (registry) return registry;
  const abis: unknown[][] = [];
  collectAbis(bindings, new Set(), abis);
  const map = new Map<string, ErrorFragment>();
  for (const abi of abis) {
    for (const entry of abi) {
      if ((entry as { type?: unknown }).type !== "error") continue;
      const fragment = ErrorFragment.from(entry as Parameters<typeof ErrorFragment.from>[0]);
      if (!map.has(fragment.selector)) map.set(fragment.selector, fragment);
    }
  }
  registry = map;
  return map;
}

/** A parameter's label: `taskId` → `task`, `proposalId` → `proposal`, others as declared. */
function labelFor(name: string): string {
  const bare = name.replace(/^_+/, "");
  const stripped = /^[A-Za-z0-9_]+Id$/.test(bare) && bare.length > 2 ? bare.slice(0, -2) : bare;
  return stripped;
}

function formatValue(param: ParamType, value: unknown): string {
  if (param.isArray()) {
    const items = Array.from(value as Iterable<unknown>);
    return `[${items.map((item) => formatValue(param.arrayChildren, item)).join(", ")}]`;
  }
  if (param.isTuple()) {
    const items = Array.from(value as Iterable<unknown>);
    const parts = param.components.map((component, i) => {
      const text = formatValue(component, items[i]);
      return component.name ? `${labelFor(component.name)} ${text}` : text;
    });
    return `{${parts.join(", ")}}`;
  }
  switch (param.baseType) {
    case "address":
      return getAddress(value as string);
    case "string":
      return JSON.stringify(value);
    case "bool":
      return value ? "true" : "false";
    default:
      if (param.baseType.startsWith("bytes")) return hexlify(value as string).toLowerCase();
      return String(value);
  }
}

function panicText(code: bigint): string {
  const meaning = code <= 0xffn ? PANIC_CODES[Number(code)] : undefined;
  const hex = `0x${code.toString(16).padStart(2, "0")}`;
  return meaning ? `${hex} ${meaning}` : hex;
}

/** Decodes raw revert data (`0x` + selector + arguments); undefined when the selector is unknown. */
export function decodeRevertData(data: string): DecodedRevert | undefined {
  if (!/^0x[0-9a-fA-F]*$/.test(data) || data.length < 10 || (data.length - 10) % 64 !== 0) return undefined;
  const selector = data.slice(0, 10).toLowerCase();
  const body = `0x${data.slice(10)}`;
  const coder = AbiCoder.defaultAbiCoder();
  try {
    if (selector === ERROR_STRING_SELECTOR) {
      const [reason] = coder.decode(["string"], body) as unknown as [string];
      const text = `Error(${JSON.stringify(reason)})`;
      return {
        name: "Error",
        signature: "Error(string)",
        selector,
        args: [
          { name: "reason", label: "reason", type: "string", value: reason, text: JSON.stringify(reason) },
        ],
        data,
        text,
      };
    }
    if (selector === PANIC_SELECTOR) {
      const [code] = coder.decode(["uint256"], body) as unknown as [bigint];
      const shown = panicText(code);
      return {
        name: "Panic",
        signature: "Panic(uint256)",
        selector,
        args: [{ name: "code", label: "code", type: "uint256", value: code, text: shown }],
        data,
        text: `Panic(${shown})`,
      };
    }
    const fragment = knownErrors().get(selector);
    if (!fragment) return undefined;
    const values = coder.decode(fragment.inputs, body);
    const args = fragment.inputs.map((param, i): DecodedRevertArg => {
      const value: unknown = values[i];
      return {
        name: param.name,
        label: labelFor(param.name),
        type: param.type,
        value,
        text: formatValue(param, value),
      };
    });
    const inside = args.map((arg) => (arg.label ? `${arg.label} ${arg.text}` : arg.text)).join(", ");
    return {
      name: fragment.name,
      signature: fragment.format("sighash"),
      selector,
      args,
      data,
      text: `${fragment.name}(${inside})`,
    };
  } catch {
    return undefined;
  }
}

/** Keys that hold the request rather than the answer: a transaction's calldata is no revert data. */
const SKIPPED_KEYS = new Set([
  "transaction",
  "tx",
  "payload",
  "request",
  "requestBody",
  "invocation",
  "receipt",
]);
/** Where the shapes seen in practice keep the revert data or the error that holds it, in search order. */
const NESTED_KEYS = ["data", "error", "info", "cause", "body", "responseBody", "response", "errors"];

const HEX_IN_TEXT = [
  /\bdata="(0x[0-9a-fA-F]{8,})"/g,
  /"data"\s*:\s*"(0x[0-9a-fA-F]{8,})"/g,
  /return data:?\s*(0x[0-9a-fA-F]{8,})/gi,
  /\bdata[=:]\s*(0x[0-9a-fA-F]{8,})/g,
];

function hexFromText(text: string): string[] {
  const found: string[] = [];
  for (const pattern of HEX_IN_TEXT) {
    for (const match of text.matchAll(pattern)) if (match[1]) found.push(match[1]);
  }
  return found;
}

/** Candidate revert data found in an error, nearest first (breadth-first over the shapes in NESTED_KEYS). */
function candidates(error: unknown): string[] {
  const found: string[] = [];
  const seen = new Set<unknown>();
  let level: unknown[] = [error];
  for (let depth = 0; depth < 8 && level.length > 0; depth++) {
    const next: unknown[] = [];
    for (const value of level) {
      if (typeof value === "string") {
        if (/^0x[0-9a-fA-F]{8,}$/.test(value)) found.push(value);
        else if (/^\s*[[{]/.test(value)) {
          try {
            next.push(JSON.parse(value));
          } catch {
            found.push(...hexFromText(value));
          }
        } else found.push(...hexFromText(value));
        continue;
      }
      if (value === null || typeof value !== "object" || seen.has(value)) continue;
      seen.add(value);
      if (Array.isArray(value)) {
        next.push(...(value as unknown[]));
        continue;
      }
      const record = value as Record<string, unknown>;
      for (const key of NESTED_KEYS) if (key in record && !SKIPPED_KEYS.has(key)) next.push(record[key]);
      for (const key of ["message", "shortMessage", "reason"]) {
        if (typeof record[key] === "string") found.push(...hexFromText(record[key]));
      }
    }
    level = next;
  }
  return [...new Set(found)];
}

/**
 * The contract error inside `error` (an ethers CALL_EXCEPTION, a Hardhat provider error, a JSON-RPC error
 * body, an error wrapping one of these as `cause`, or raw revert data), or undefined when none decodes.
 */
export function decodeRevert(error: unknown): DecodedRevert | undefined {
  for (const data of candidates(error)) {
    const decoded = decodeRevertData(data);
    if (decoded) return decoded;
  }
  return undefined;
}

/** Where the node's or ethers' own wording of a revert begins inside a message. */
const REVERT_WORDING =
  /(?:transaction )?execution reverted|VM Exception while processing transaction|reverted with (?:custom error|reason|panic|an unrecognized)|missing revert data|call revert exception|could not coalesce error/i;

interface EthersLikeError {
  code?: unknown;
  shortMessage?: unknown;
  data?: unknown;
  receipt?: { hash?: unknown; blockNumber?: unknown } | null;
}

function isEthersError(error: unknown): error is Error & EthersLikeError {
  const e = error as EthersLikeError | null;
  return error instanceof Error && typeof e?.code === "string" && typeof e.shortMessage === "string";
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split("\n")[0] ?? message;
}

/** An undecodable revert from ethers: its short wording and what identifies it, not its whole dump. */
function undecodedCallException(error: Error & EthersLikeError): string | undefined {
  if (error.code !== "CALL_EXCEPTION" || typeof error.shortMessage !== "string") return undefined;
  const receipt = error.receipt;
  if (receipt && typeof receipt.hash === "string") {
    return `${error.shortMessage} (transaction ${receipt.hash}, block ${String(receipt.blockNumber)})`;
  }
  if (typeof error.data === "string" && error.data !== "0x")
    return `${error.shortMessage} (data ${error.data})`;
  return error.shortMessage;
}

/**
 * One line for the user. A decoded revert replaces ethers' or the node's wording (`execution reverted
 * (unknown custom error) (action=…, data="0x…", …)`) and keeps the words an error of our own put before
 * it (`cannot commit: FederatedRounds__DeadlinePassed(…)`); anything that does not decode keeps its own
 * message's first line.
 */
export function describeRevert(error: unknown): string {
  const line = firstLine(error);
  const decoded = decodeRevert(error);
  if (!decoded) return (isEthersError(error) && undecodedCallException(error)) || line;
  if (isEthersError(error) || (typeof error !== "string" && !(error instanceof Error))) return decoded.text;
  const at = line.search(REVERT_WORDING);
  const prefix = (at >= 0 ? line.slice(0, at) : line).replace(/[\s:(-]+$/, "");
  // A prefix that is itself a dump (`error={ ... }`) or the raw data says nothing the decoded line does not.
  if (!prefix || /[={]/.test(prefix) || prefix.includes(decoded.data)) return decoded.text;
  return `${prefix}: ${decoded.text}`;
}

/**
 * A transaction mined as failed reaches `tx.wait()` as a CALL_EXCEPTION with its receipt but no revert
 * data (receipts carry none). This replays it as a call at its block and returns what it reverts with,
 * storing the data on the error as well, so that `describeRevert(error)` prints it decoded. Call it where
 * the provider is still open (the receipt's own provider by default); undefined when nothing decodes.
 */
export async function replayRevert(error: unknown, provider?: Provider): Promise<DecodedRevert | undefined> {
  const known = decodeRevert(error);
  if (known) return known;
  const e = error as
    (EthersLikeError & { receipt?: { hash?: unknown; blockNumber?: unknown; provider?: Provider } }) | null;
  const receipt = e?.receipt;
  const runner = provider ?? receipt?.provider;
  if (!runner || typeof receipt?.hash !== "string" || typeof receipt.blockNumber !== "number")
    return undefined;
  let decoded: DecodedRevert | undefined;
  try {
    const tx = await runner.getTransaction(receipt.hash);
    if (!tx) return undefined;
    await runner.call({
      to: tx.to,
      from: tx.from,
      data: tx.data,
      value: tx.value,
      blockTag: receipt.blockNumber,
    });
  } catch (replayed) {
    decoded = decodeRevert(replayed);
  }
  if (decoded && e && typeof e === "object") {
    try {
      (e as { data?: unknown }).data = decoded.data;
    } catch {
      // A frozen error keeps its shape; the caller still has the decoded revert.
    }
  }
  return decoded;
}
