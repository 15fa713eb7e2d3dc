/** Small helpers shared by the contract tests (values the contracts define, keys, timestamps). */
import { bn254 } from "@noble/curves/bn254.js";
import type { ContractTransactionResponse } from "ethers";

/** IConsortium.DisputeResolution. */
export const DisputeResolution = { None: 0, ModelUpheld: 1, DisputeConfirmed: 2 } as const;

/** The `test` circuit instance's shape (circuits/instances.json): K = 16, IDX_BITS = 12, VAL_BITS = 16. */
export const TEST_SHAPE = { maxEntries: 16, indexBits: 12, valueBits: 16 };

/** Addresses in the strictly increasing order publishAggregate wants. */
export function sortAddresses(addresses: readonly string[]): string[] {
  return [...addresses].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0));
}

/** The timestamp of the block that mined a transaction. */
export async function minedAt(tx: ContractTransactionResponse | Promise<ContractTransactionResponse>) {
  const receipt = await (await tx).wait();
  const block = await receipt!.getBlock();
  return BigInt(block.timestamp);
}

/** BN254 generators (EIP-197), G2 in the registry's (x_im, x_re, y_im, y_re) order. */
const G1_GEN = [1n, 2n];
const G2_GEN = [
  11559732032986387107991004021392285783925812861821192530917403151452391805634n,
  10857046999023057135944570762232829481370756359578518086990519993285655852781n,
  4082367875863433681332203403145435568316851327593401208105741076214120093531n,
  8495653923123431417604973247489272438418190587263600148770280649306958101930n,
];

/**
 * A well-formed verifying key (it passes the registry's checks) that belongs to no circuit: every point a
 * generator, IC[0] = salt·G1. No real proof verifies against it, which is what "another key" tests need.
 */
export function syntheticKey(salt = 1n): bigint[] {
  const ic0 = bn254.G1.Point.BASE.multiply(salt).toAffine();
  return [
    ...G1_GEN,
    ...G2_GEN,
    ...G2_GEN,
    ...G2_GEN,
    ic0.x,
    ic0.y,
    ...G1_GEN,
    ...G1_GEN,
    ...G1_GEN,
    ...G1_GEN,
  ];
}
