import { existsSync, readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import type { z } from "zod";
import { registerSecret, registerUrlSecrets } from "./redact.js";
import { configFileSchema, type ConfigFile } from "./schema.js";
import { ConfigError, type CflConfig } from "./types.js";

export const DEFAULT_CONFIG_FILE = "cfl.config.json";

/** Environment variables that override the file (the ones secrets and per-host values come from). */
export const CONFIG_ENV = {
  rpcUrl: "CFL_RPC_URL",
  taskId: "CFL_TASK_ID",
  privateKey: "CFL_PRIVATE_KEY",
  keystorePassword: "CFL_KEYSTORE_PASSWORD",
  readerGroup: "CFL_READER_GROUP",
} as const;

function fieldName(issuePath: readonly PropertyKey[]): string {
  return issuePath.length === 0 ? "(top level)" : issuePath.map(String).join(".");
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const field = fieldName(issue.path);
  if (issue.code === "unrecognized_keys") {
    const where = issue.path.length === 0 ? "" : ` in ${field}`;
    return `unknown field${issue.keys.length > 1 ? "s" : ""}${where}: ${issue.keys.join(", ")}`;
  }
  if (issue.code === "invalid_type" && issue.input === undefined) return `${field} is required`;
  const message = issue.message;
  return /^(must|is) /.test(message)
    ? `${field} ${message}`
    : `${field}: ${message.charAt(0).toLowerCase()}${message.slice(1)}`;
}

/**
 * Validates a configuration object (parsed JSON plus environment overrides) and resolves its file
 * paths against `baseDir`. Every problem is reported on one line that names the field.
 */
export function parseConfig({
  raw,
  baseDir,
  env = process.env,
  source,
}: {
  raw: unknown;
  baseDir: string;
  env?: NodeJS.ProcessEnv;
  source?: string;
}): CflConfig {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    throw new ConfigError("invalid-json", `config ${source ?? ""} must be a JSON object`.replace("  ", " "));
  }
  const merged: Record<string, unknown> = { ...(raw as Record<string, unknown>) };
  if (env[CONFIG_ENV.rpcUrl]) merged.rpcUrl = env[CONFIG_ENV.rpcUrl];
  registerConfigSecrets(merged, env);
  if (env[CONFIG_ENV.taskId]) merged.taskId = env[CONFIG_ENV.taskId];
  // A path from the environment is the operator's, relative to where the command runs, not to the file.
  const groupFromEnv = env[CONFIG_ENV.readerGroup];
  if (groupFromEnv) merged.readerGroupFile = resolve(groupFromEnv);
  const parsed = configFileSchema.safeParse(merged);
  if (!parsed.success) {
    const where = source ? `config ${source}` : "config";
    const fromEnv = (issue: z.core.$ZodIssue): string => {
      const top = issue.path[0];
      const variable =
        top === "rpcUrl" && env[CONFIG_ENV.rpcUrl]
          ? CONFIG_ENV.rpcUrl
          : top === "taskId" && env[CONFIG_ENV.taskId]
            ? CONFIG_ENV.taskId
            : top === "readerGroupFile" && env[CONFIG_ENV.readerGroup]
              ? CONFIG_ENV.readerGroup
              : undefined;
      return variable ? ` (from ${variable})` : "";
    };
    const problems = parsed.error.issues.map((issue) => describeIssue(issue) + fromEnv(issue));
    throw new ConfigError("invalid-field", `${where}: ${problems.join("; ")}`);
  }
  return resolvePaths({ file: parsed.data, baseDir, source });
}

/** Registers the secrets a configuration carries, so that no error or log line can print them. */
function registerConfigSecrets(merged: Record<string, unknown>, env: NodeJS.ProcessEnv): void {
  registerSecret(env[CONFIG_ENV.privateKey]);
  registerSecret(env[CONFIG_ENV.keystorePassword]);
  if (typeof merged.rpcUrl === "string") registerUrlSecrets(merged.rpcUrl);
  const ipfs = merged.ipfs as { url?: unknown } | undefined;
  if (ipfs && typeof ipfs.url === "string") registerUrlSecrets(ipfs.url);
}

function resolvePaths({
  file,
  baseDir,
  source,
}: {
  file: ConfigFile;
  baseDir: string;
  source?: string;
}): CflConfig {
  const at = (p: string): string => (isAbsolute(p) ? p : resolve(baseDir, p));
  // A model is a file beside the config, or a built-in preset by name.
  const modelAt = (p: string): string => (p.startsWith("preset:") ? p : at(p));
  const ipfs =
    file.ipfs.mode === "embedded"
      ? {
          ...file.ipfs,
          path: at(file.ipfs.path),
          ...(file.ipfs.swarmKeyFile ? { swarmKeyFile: at(file.ipfs.swarmKeyFile) } : {}),
          ...(file.ipfs.peersDir ? { peersDir: at(file.ipfs.peersDir) } : {}),
        }
      : file.ipfs;
  return {
    ...(source ? { source } : {}),
    rpcUrl: file.rpcUrl,
    ...(file.addresses ? { addresses: file.addresses } : {}),
    ...(file.taskId !== undefined ? { taskId: file.taskId } : {}),
    ...(file.keystore ? { keystore: { path: at(file.keystore.path) } } : {}),
    ...(file.readerKeyFile ? { readerKeyFile: at(file.readerKeyFile) } : {}),
    ...(file.readerGroupFile ? { readerGroupFile: at(file.readerGroupFile) } : {}),
    ipfs,
    circuit: file.circuit,
    ...(file.provingKeyFile ? { provingKeyFile: at(file.provingKeyFile) } : {}),
    ...(file.member
      ? {
          member: {
            ...file.member,
            residualDir: at(file.member.residualDir),
            ...(file.member.modelFile ? { modelFile: modelAt(file.member.modelFile) } : {}),
            ...(file.member.data
              ? {
                  data: {
                    ...file.member.data,
                    path: at(file.member.data.path),
                    schemaFile: at(file.member.data.schemaFile),
                    ...(file.member.data.modelFile ? { modelFile: modelAt(file.member.data.modelFile) } : {}),
                  },
                }
              : {}),
          },
        }
      : {}),
    pollIntervalMs: file.pollIntervalMs,
    fetchTimeoutMs: file.fetchTimeoutMs,
  };
}

/**
 * Reads the configuration: `path` when given (it must exist), else ./cfl.config.json when present,
 * else defaults and environment alone (enough for `cfl deploy` against a local node).
 */
export function loadConfig({
  path,
  env = process.env,
  cwd = process.cwd(),
}: {
  path?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
} = {}): CflConfig {
  const file = resolve(cwd, path ?? DEFAULT_CONFIG_FILE);
  if (path === undefined && !existsSync(file)) return parseConfig({ raw: {}, baseDir: cwd, env });
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new ConfigError("unreadable-file", `cannot read config ${file}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ConfigError("invalid-json", `config ${file} is not valid JSON: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return parseConfig({ raw, baseDir: dirname(file), env, source: file });
}

type Required<K extends keyof CflConfig> = CflConfig & { [P in K]-?: NonNullable<CflConfig[P]> };

/** Narrows a configuration to the fields one command needs, refusing it with the missing field's name. */
export function requireFields<K extends keyof CflConfig>({
  config,
  fields,
  command,
}: {
  config: CflConfig;
  fields: readonly K[];
  command: string;
}): Required<K> {
  for (const field of fields) {
    if (config[field] === undefined) {
      const where = config.source
        ? `config ${config.source}`
        : `config (no file; default ./${DEFAULT_CONFIG_FILE})`;
      throw new ConfigError("missing-field", `${where}: ${String(field)} is required for ${command}`);
    }
  }
  return config as Required<K>;
}
