import { expect } from "chai";
import { checkProvingKey, RoleError } from "../../src/roles/index.js";
import { loadCircuitArtifacts, verifyingKeyHash, verifyingKeyWords } from "../../src/zk/index.js";

describe("checkProvingKey: a member proves only with the key the policy pins", function () {
  it("accepts the pinned key with the registry's shape, and refuses another key or another shape", async function () {
    const artifacts = await loadCircuitArtifacts({ instance: "test" });
    const pinned = verifyingKeyHash(verifyingKeyWords(artifacts.vkey));
    const circuit = { ...artifacts.params };
    checkProvingKey({ artifacts, policy: { verifyingKeyHash: pinned }, circuit });
    const refusal = (fn: () => void): RoleError => {
      try {
        fn();
      } catch (error) {
        expect(error).to.be.instanceOf(RoleError);
        return error as RoleError;
      }
      return expect.fail("expected a RoleError");
    };
    const otherKey = refusal(() =>
      checkProvingKey({ artifacts, policy: { verifyingKeyHash: "0x" + "11".repeat(32) }, circuit }),
    );
    expect(otherKey.code).to.equal("wrong-proving-key");
    expect(otherKey.message)
      .to.include(pinned)
      .and.include("0x" + "11".repeat(32));
    const otherShape = refusal(() =>
      checkProvingKey({ artifacts, policy: { verifyingKeyHash: pinned }, circuit: { ...circuit, K: 128 } }),
    );
    expect(otherShape.code).to.equal("wrong-proving-key");
    expect(otherShape.message).to.include("the registry records K=128");
  });
});
