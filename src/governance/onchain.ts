import { VerifyingKeyRegistry__factory } from "../../types/ethers-contracts/index.js";
import type { ConsortiumContracts } from "../chain/index.js";
import { validatePolicy } from "./policy.js";
import type { CircuitShape, TaskPolicy } from "./types.js";

/** A registered key's circuit shape and development flag, from the consortium's registry. */
export async function registeredKey({
  contracts,
  keyHash,
}: {
  contracts: ConsortiumContracts;
  keyHash: string;
}): Promise<{ shape: CircuitShape; developmentOnly: boolean }> {
  const { consortium } = contracts;
  const registry = VerifyingKeyRegistry__factory.connect(await consortium.verifyingKeys(), consortium.runner);
  if (!(await registry.isRegistered(keyHash))) {
    throw new Error(
      `verifying key ${keyHash} is not registered in the consortium's registry: propose it first with \`cfl governance propose register-key\``,
    );
  }
  const info = await registry.keyInfo(keyHash);
  return {
    shape: {
      maxEntries: Number(info.shape.maxEntries),
      indexBits: Number(info.shape.indexBits),
      valueBits: Number(info.shape.valueBits),
    },
    developmentOnly: info.developmentOnly,
  };
}

/**
 * Checks a policy as the contract will: against the registered key's circuit shape (read from the chain,
 * never from local configuration) and the deployment's development flag.
 */
export async function checkPolicyOnChain({
  contracts,
  policy,
}: {
  contracts: ConsortiumContracts;
  policy: TaskPolicy;
}): Promise<void> {
  const key = await registeredKey({ contracts, keyHash: policy.verifyingKeyHash });
  if (key.developmentOnly && !(await contracts.consortium.development())) {
    throw new Error(
      `verifying key ${policy.verifyingKeyHash} is development-only (its setup secrets are public) and this consortium is not a development deployment`,
    );
  }
  validatePolicy({ policy, circuit: key.shape });
}
