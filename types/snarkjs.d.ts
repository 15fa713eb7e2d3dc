// Minimal typings for the parts of snarkjs 0.7 that circular-fl uses (the package ships none). Where a
// file name is taken, fastfile also accepts the file's bytes (a Uint8Array).
declare module "snarkjs" {
  export interface SnarkjsLogger {
    debug(message: string): void;
    info(message: string): void;
    warn(message: string): void;
    error(message: string): void;
  }

  export interface Groth16Proof {
    pi_a: string[];
    pi_b: string[][];
    pi_c: string[];
    protocol: string;
    curve: string;
  }

  export type PublicSignals = string[];

  export interface Curve {
    terminate(): Promise<void>;
  }

  export type CircuitSignals = Record<string, string | bigint | number | (string | bigint | number)[]>;

  export interface ZkeyTemplates {
    groth16: string;
    plonk?: string;
    fflonk?: string;
  }

  export const curves: {
    getCurveFromName(name: string, options?: { singleThread?: boolean }): Promise<Curve>;
  };

  export const powersOfTau: {
    newAccumulator(curve: Curve, power: number, fileName: string, logger?: SnarkjsLogger): Promise<unknown>;
    beacon(
      oldPtauFilename: string,
      newPTauFilename: string,
      name: string,
      beaconHashStr: string,
      numIterationsExp: number,
      logger?: SnarkjsLogger,
    ): Promise<unknown>;
    preparePhase2(oldPtauFilename: string, newPTauFilename: string, logger?: SnarkjsLogger): Promise<void>;
    verify(ptauFilename: string | Uint8Array, logger?: SnarkjsLogger): Promise<boolean>;
  };

  export const zKey: {
    newZKey(r1csName: string, ptauName: string, zkeyName: string, logger?: SnarkjsLogger): Promise<unknown>;
    contribute(
      zkeyNameOld: string,
      zkeyNameNew: string,
      name: string,
      entropy: string,
      logger?: SnarkjsLogger,
    ): Promise<Uint8Array>;
    beacon(
      zkeyNameOld: string,
      zkeyNameNew: string,
      name: string,
      beaconHashStr: string,
      numIterationsExp: number,
      logger?: SnarkjsLogger,
    ): Promise<Uint8Array | false>;
    verifyFromR1cs(
      r1csFileName: string,
      pTauFileName: string,
      zkeyFileName: string,
      logger?: SnarkjsLogger,
    ): Promise<boolean>;
    verifyFromInit(
      initFileName: string | Uint8Array,
      pTauFileName: string | Uint8Array,
      zkeyFileName: string | Uint8Array,
      logger?: SnarkjsLogger,
    ): Promise<boolean>;
    exportVerificationKey(zkeyName: string | Uint8Array, logger?: SnarkjsLogger): Promise<Record<string, unknown>>;
    exportSolidityVerifier(zkeyName: string, templates: ZkeyTemplates, logger?: SnarkjsLogger): Promise<string>;
  };

  export const groth16: {
    fullProve(
      input: CircuitSignals,
      wasmFile: string,
      zkeyFileName: string,
      logger?: SnarkjsLogger,
    ): Promise<{ proof: Groth16Proof; publicSignals: PublicSignals }>;
    prove(
      zkeyFileName: string,
      witnessFileName: string,
      logger?: SnarkjsLogger,
    ): Promise<{ proof: Groth16Proof; publicSignals: PublicSignals }>;
    verify(
      vkey: Record<string, unknown>,
      publicSignals: PublicSignals,
      proof: Groth16Proof,
      logger?: SnarkjsLogger,
    ): Promise<boolean>;
    exportSolidityCallData(proof: Groth16Proof, publicSignals: PublicSignals): Promise<string>;
  };

  /** In-memory file accepted wherever snarkjs takes a file name (fastfile). */
  export interface MemFile {
    type: "mem";
    data?: Uint8Array;
  }

  export const wtns: {
    calculate(input: CircuitSignals, wasmFileName: string, wtnsFileName: string | MemFile): Promise<void>;
    exportJson(wtnsFileName: string | MemFile): Promise<bigint[]>;
    check(r1csFileName: string, wtnsFileName: string | MemFile, logger?: SnarkjsLogger): Promise<boolean>;
  };

  export const r1cs: {
    info(r1csName: string, logger?: SnarkjsLogger): Promise<{ nConstraints: number; nVars: number; nOutputs: number; nPubInputs: number; nPrvInputs: number; nLabels: number }>;
  };
}
