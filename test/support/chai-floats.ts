/**
 * hardhat-ethers-chai-matchers overrides chai's `closeTo`/`approximately` for bigints and, in doing so,
 * turns every plain number into a BigInt, which throws for non-integers ("0.5 is not an integer"). The
 * plugin installs itself on the first network connection, which any contract test file makes while mocha
 * loads it, so in one run with the learning tests their float comparisons would break. This root hook
 * (mocha runs it before any test, after every file loaded) wraps the override once more: numbers that
 * are not all integers get chai's float semantics, everything else the plugin's.
 */
import * as chai from "chai";

function isPlainNumber(x: unknown): x is number {
  return typeof x === "number";
}

let installed = false;

export function installFloatCloseTo(): void {
  if (installed) return;
  installed = true;
  for (const name of ["closeTo", "approximately"] as const) {
    chai.Assertion.overwriteMethod(name, (_super: (...args: unknown[]) => unknown) => {
      return function (this: Chai.AssertionStatic, ...args: unknown[]) {
        const [expected, delta] = args;
        const actual: unknown = chai.util.flag(this, "object");
        if (
          isPlainNumber(actual) &&
          isPlainNumber(expected) &&
          isPlainNumber(delta) &&
          !(Number.isInteger(actual) && Number.isInteger(expected) && Number.isInteger(delta))
        ) {
          this.assert(
            Math.abs(actual - expected) <= delta,
            `expected ${actual} to be close to ${expected} +/- ${delta}`,
            `expected ${actual} not to be close to ${expected} +/- ${delta}`,
            expected,
            actual,
          );
          return;
        }
        _super.apply(this, args);
      };
    });
  }
}

before(installFloatCloseTo);
