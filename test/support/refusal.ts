/** The message a refused call throws with (a test fails when the call succeeds). */
import { expect } from "chai";

export async function refusal(run: () => Promise<unknown>): Promise<string> {
  try {
    await run();
  } catch (error) {
    expect(error).to.be.instanceOf(Error);
    return (error as Error).message;
  }
  throw new Error("expected a refusal");
}
