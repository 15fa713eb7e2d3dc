/**
 * Shared by the ceremony and forgery tests: a locally made TWO-PARTY phase 1 (snarkjs powersoftau new, two
 * contributions with fresh random entropy, prepare phase 2) and one production ceremony of the `test`
 * instance on it, run step by step on an in-process Hardhat chain. Each step runs once per process, so the
 * forgery test reuses the ceremony test's key when both run together.
 *
 * The phase-1 file takes minutes (power 12 on two cores); it is kept in the OS temporary directory and
 * reused by later runs when it still holds exactly two secret contributions (`ceremony init` verifies it
 * with snarkjs every time).
 */
import { randomBytes } from "node:crypto";
import { existsSync, rmSync } from "node:fs";
import { mkdtemp, rename, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Wallet } from "ethers";
import { network } from "hardhat";
import * as snarkjs from "snarkjs";
import {
  ceremonyContribute,
  ceremonyFinalize,
  ceremonyInit,
  type BeaconChain,
} from "../../src/zk/ceremony.js";
import { readPtauInfo } from "../../src/zk/setup/ptau.js";

export const TWO_PARTY_POWER = 12;
const PTAU_CACHE = join(tmpdir(), `cfl-test-two-party-pot${TWO_PARTY_POWER}-v1.ptau`);

/** The subset of snarkjs's powersOfTau the fixture needs beyond types/snarkjs.d.ts. */
interface PowersOfTau {
  newAccumulator(curve: unknown, power: number, out: string): Promise<unknown>;
  contribute(input: string, out: string, name: string, entropy: string): Promise<unknown>;
  preparePhase2(input: string, out: string): Promise<void>;
}

async function makeTwoPartyPtau(): Promise<string> {
  if (existsSync(PTAU_CACHE)) {
    const info = await readPtauInfo({ path: PTAU_CACHE }).catch(() => undefined);
    if (
      info !== undefined &&
      info.prepared &&
      info.power === TWO_PARTY_POWER &&
      info.contributions.length === 2 &&
      info.contributions.every((c) => !c.beacon)
    ) {
      return PTAU_CACHE;
    }
  }
  const pot = snarkjs.powersOfTau as unknown as PowersOfTau;
  const work = await mkdtemp(join(tmpdir(), "cfl-two-party-"));
  try {
    const curve = await snarkjs.curves.getCurveFromName("bn128");
    await pot.newAccumulator(curve, TWO_PARTY_POWER, join(work, "0.ptau"));
    await pot.contribute(
      join(work, "0.ptau"),
      join(work, "1.ptau"),
      "phase-1 party one",
      randomBytes(32).toString("hex"),
    );
    await pot.contribute(
      join(work, "1.ptau"),
      join(work, "2.ptau"),
      "phase-1 party two",
      randomBytes(32).toString("hex"),
    );
    await pot.preparePhase2(join(work, "2.ptau"), join(work, "prepared.ptau"));
    await rename(join(work, "prepared.ptau"), PTAU_CACHE);
    return PTAU_CACHE;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

let ptau: Promise<string> | undefined;
/** Path of the two-party, prepared phase-1 file of power 12. */
export function twoPartyPtau(): Promise<string> {
  ptau ??= makeTwoPartyPtau();
  return ptau;
}

/** An in-process Hardhat chain as the ceremony's beacon chain, plus a way to mine empty blocks. */
export async function hardhatChain(): Promise<{ chain: BeaconChain; mine: (n?: number) => Promise<void> }> {
  const { ethers } = await network.create();
  const provider = ethers.provider;
  return {
    chain: provider,
    mine: async (n = 1) => {
      for (let i = 0; i < n; i++) await provider.send("evm_mine", []);
    },
  };
}

export interface ProductionCeremony {
  readonly dir: string;
  readonly contributors: readonly [Wallet, Wallet];
  readonly names: readonly [string, string];
  readonly beaconBlock: number;
  readonly chain: BeaconChain;
  readonly mine: (n?: number) => Promise<void>;
  /** Set when finalize found the beacon block not mined yet and waited for it. */
  waitedForBeacon: boolean;
  init(): ReturnType<typeof ceremonyInit>;
  contribute(which: 0 | 1): ReturnType<typeof ceremonyContribute>;
  finalize(): ReturnType<typeof ceremonyFinalize>;
}

let production: Promise<ProductionCeremony> | undefined;

/**
 * The `test` instance's production ceremony: two-party phase 1, two expected contributors (random
 * accounts), beacon = hash of a block 5 ahead of the chain at init. Steps are memoized and run in order.
 */
export function productionCeremony(): Promise<ProductionCeremony> {
  production ??= (async () => {
    const dir = await mkdtemp(join(tmpdir(), "cfl-ceremony-prod-"));
    process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
    const { chain, mine } = await hardhatChain();
    const account = (): Wallet => new Wallet(Wallet.createRandom().privateKey);
    const contributors = [account(), account()] as const;
    const names = ["alice (recycler)", "bob (manufacturer)"] as const;
    const beaconBlock = (await chain.getBlockNumber()) + 5;
    const steps = new Map<string, Promise<unknown>>();
    const once = <T>(key: string, run: () => Promise<T>): Promise<T> => {
      let p = steps.get(key) as Promise<T> | undefined;
      if (p === undefined) {
        p = run();
        steps.set(key, p);
      }
      return p;
    };
    const self: ProductionCeremony = {
      dir,
      contributors,
      names,
      beaconBlock,
      chain,
      mine,
      waitedForBeacon: false,
      init: () =>
        once("init", async () =>
          ceremonyInit({
            instance: "test",
            dir,
            contributors: contributors.map((w) => w.address),
            ptau: await twoPartyPtau(),
            beaconBlock,
            beaconIterationsExp: 10,
            chain,
          }),
        ),
      contribute: (which) =>
        once(`contribute-${which}`, async () => {
          if (which === 1) await self.contribute(0);
          else await self.init();
          return ceremonyContribute({
            dir,
            name: names[which],
            signer: contributors[which],
            chain,
          });
        }),
      finalize: () =>
        once("finalize", async () => {
          await self.contribute(1);
          // The beacon block is not mined yet: finalize must wait for it. The chain mines the missing
          // blocks the first time finalize finds the block absent.
          const waiting: BeaconChain = {
            getBlockNumber: () => chain.getBlockNumber(),
            getNetwork: () => chain.getNetwork(),
            getBlock: async (n) => {
              const block = await chain.getBlock(n);
              if (block === null) {
                self.waitedForBeacon = true;
                await mine(n - (await chain.getBlockNumber()));
              }
              return block;
            },
          };
          return ceremonyFinalize({ dir, chain: waiting, pollIntervalMs: 100, waitTimeoutMs: 600_000 });
        }),
    };
    return self;
  })();
  return production;
}
