import type { ContractRunner } from "ethers";
import { Consortium__factory, FederatedRounds__factory } from "../../types/ethers-contracts/index.js";
import type { ConsortiumContracts, DeploymentAddresses } from "./types.js";

/** Binds the consortium's contracts at known addresses to a signer or provider. */
export function attachContracts({
  addresses,
  runner,
}: {
  addresses: DeploymentAddresses;
  runner: ContractRunner;
}): ConsortiumContracts {
  return {
    consortium: Consortium__factory.connect(addresses.consortium, runner),
    rounds: FederatedRounds__factory.connect(addresses.rounds, runner),
  };
}
