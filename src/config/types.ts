import type { JsonRpcProvider, Signer } from "ethers";
import type { ReaderGroupKey, ReaderKey, RoleEnvironment } from "../roles/index.js";
import type { ContentStore } from "../storage/index.js";

/** Why a configuration was refused; the message names the field or variable at fault. */
export type ConfigErrorCode =
  | "unreadable-file"
  | "invalid-json"
  | "invalid-field"
  | "missing-field"
  | "missing-key"
  | "bad-key"
  | "bad-keystore"
  | "bad-reader-key"
  | "bad-reader-group"
  | "chain-unreachable";

export class ConfigError extends Error {
  readonly code: ConfigErrorCode;
  constructor(code: ConfigErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ConfigError";
    this.code = code;
  }
}

/** An embedded Helia node: its own blockstore directory and a libp2p network on loopback by default. */
export interface EmbeddedIpfsConfig {
  mode: "embedded";
  /** Blockstore and datastore directory (peer identity included). */
  path: string;
  /** libp2p listen multiaddrs; default TCP on 127.0.0.1 with an ephemeral port. */
  listen?: string[];
  /** The consortium's peers to dial at start (multiaddrs ending in /p2p/<peer id>). */
  bootstrap?: string[];
  /** A libp2p private network key file (swarm.key) shared by the consortium's nodes only. */
  swarmKeyFile?: string;
  /**
   * A directory where every node writes its multiaddrs (one file per node) and from which it dials the
   * others, again on every poll: peers that restart on a new port are found again.
   */
  peersDir?: string;
  /** Name of this node's file in peersDir (default: the account address). */
  peerName?: string;
}

/** A Kubo node (or IPFS Cluster proxy) reached through its RPC API. */
export interface KuboIpfsConfig {
  mode: "kubo";
  url: string;
}

export type IpfsConfig = EmbeddedIpfsConfig | KuboIpfsConfig;

/** Where a member's training data comes from and where its error-feedback residual is kept. */
export interface MemberConfig {
  /** A built-in data set (demonstrations); a member with its own records sets `data` instead. */
  dataset?: "ai4i" | "supplychain";
  /** How many partitions the data set is split into (one per consortium member holding this data). */
  partitions: number;
  /** This member's partition of the built-in data set, 0-based. */
  partitionIndex?: number;
  seed: number;
  residualDir: string;
  /** With `dataset`: the task's model (model.json, forest.json or `preset:<name>`); default: the data set's preset. */
  modelFile?: string;
  /**
   * The member's own records, the task's data schema they are read under and the task's model
   * (model.json or `preset:<name>`; default: the model proposed for the schema). Takes precedence over
   * `dataset`.
   */
  data?: {
    path: string;
    format?: "csv" | "jsonl";
    delimiter?: string;
    schemaFile: string;
    modelFile?: string;
  };
}

/** A validated configuration, file paths resolved against the config file's directory. */
export interface CflConfig {
  /** The file it came from, or undefined when no file existed (defaults and environment only). */
  source?: string;
  rpcUrl: string;
  addresses?: { consortium: string; rounds: string };
  taskId?: bigint;
  keystore?: { path: string };
  readerKeyFile?: string;
  /**
   * The task's reader-group bundle (`cfl governance reader-group create`): the group secret sealed to every
   * reader's own key. Readers (aggregator, auditors, `cfl audit`) open it with their reader key.
   */
  readerGroupFile?: string;
  ipfs: IpfsConfig;
  circuit: string;
  /**
   * The proving key members prove with: a ceremony's `final.zkey` for the `circuit` instance. Without it the
   * instance's development key is used, which only development deployments accept.
   */
  provingKeyFile?: string;
  member?: MemberConfig;
  pollIntervalMs: number;
  fetchTimeoutMs: number;
}

/** Everything a running role holds open; `close` releases the store and the provider. */
export interface RoleConnection {
  config: CflConfig;
  provider: JsonRpcProvider;
  signer: Signer;
  env: RoleEnvironment;
  store: ContentStore;
  close(): Promise<void>;
}

export type { ReaderGroupKey, ReaderKey };
