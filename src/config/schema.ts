import { z } from "zod";

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

const address = z.string().regex(ADDRESS, "must be a 0x-prefixed 20-byte address");
const path = z.string().min(1, "must be a non-empty path");
const httpUrl = z
  .string()
  .refine(
    (value) => URL.canParse(value) && /^https?:$/.test(new URL(value).protocol),
    "must be an http(s) URL",
  );

const embeddedIpfs = z.strictObject({
  mode: z.literal("embedded"),
  path,
  listen: z.array(z.string().startsWith("/", "must be a multiaddr")).optional(),
  bootstrap: z
    .array(z.string().includes("/p2p/", { message: "must be a multiaddr ending in /p2p/<peer id>" }))
    .optional(),
  swarmKeyFile: path.optional(),
  peersDir: path.optional(),
  peerName: z
    .string()
    .regex(/^[A-Za-z0-9_.-]+$/, "must be letters, digits, '.', '_' or '-'")
    .optional(),
});

const kuboIpfs = z.strictObject({ mode: z.literal("kubo"), url: httpUrl });

const member = z
  .strictObject({
    dataset: z.enum(["ai4i", "supplychain"]).optional(),
    partitions: z.number().int().min(1).max(1024).default(3),
    partitionIndex: z.number().int().min(0).optional(),
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 31)
      .default(7),
    residualDir: path,
    /**
     * With `dataset`: the task's model (model.json, forest.json or preset:<name>) when it is not the data
     * set's preset, such as `preset:ai4i-forest`.
     */
    modelFile: path.optional(),
    /** The member's own records and the task's data schema they are read under (`cfl member check-data`). */
    data: z
      .strictObject({
        path,
        format: z.enum(["csv", "jsonl"]).optional(),
        delimiter: z.string().length(1).optional(),
        schemaFile: path,
        /** The task's model.json, or preset:<name>; default: the model proposed for the schema. */
        modelFile: path.optional(),
      })
      .optional(),
  })
  .refine((m) => m.data !== undefined || (m.dataset !== undefined && m.partitionIndex !== undefined), {
    message:
      "needs data { path, schemaFile } (own records) or dataset and partitionIndex (a built-in data set)",
  })
  .refine((m) => m.data === undefined || m.modelFile === undefined, {
    message: "with own data the model is data.modelFile",
    path: ["modelFile"],
  })
  .refine((m) => m.partitionIndex === undefined || m.partitionIndex < m.partitions, {
    message: "must be below member.partitions",
    path: ["partitionIndex"],
  });

/**
 * The configuration file's schema. Defaults are loopback-only and embedded (a node that follows them
 * talks to nothing but this machine); a real deployment names its RPC URL and IPFS network explicitly.
 */
export const configFileSchema = z.strictObject({
  rpcUrl: httpUrl.default("http://127.0.0.1:8545"),
  addresses: z.strictObject({ consortium: address, rounds: address }).optional(),
  taskId: z
    .union([z.number().int().min(1), z.string().regex(/^[1-9]\d*$/, "must be a positive integer")])
    .transform((v) => BigInt(v))
    .optional(),
  keystore: z.strictObject({ path }).optional(),
  readerKeyFile: path.optional(),
  readerGroupFile: path.optional(),
  ipfs: z
    .discriminatedUnion("mode", [embeddedIpfs, kuboIpfs], {
      error: 'must be { "mode": "embedded", "path": ... } or { "mode": "kubo", "url": ... }',
    })
    .default({ mode: "embedded", path: "./cfl-ipfs" }),
  circuit: z
    .string()
    .regex(/^[a-z0-9-]+$/, "must be a circuit instance name from circuits/instances.json")
    .default("demo"),
  /** A ceremony's final proving key (final.zkey) for `circuit`; the development key when absent. */
  provingKeyFile: path.optional(),
  member: member.optional(),
  pollIntervalMs: z.number().int().min(50).max(600_000).default(2_000),
  fetchTimeoutMs: z.number().int().min(100).max(600_000).default(15_000),
});

export type ConfigFileInput = z.input<typeof configFileSchema>;
export type ConfigFile = z.output<typeof configFileSchema>;
