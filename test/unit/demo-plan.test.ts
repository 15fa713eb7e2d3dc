/**
 * What `cfl demo` runs when the operator names nothing: the defaults `planDemoModel` applies before any
 * chain or proof (model, circuit, rounds, defense), how naming one of them moves the others, and the
 * combinations it refuses with one line.
 */
import { expect } from "chai";
import { planDemoModel } from "../../src/demo/data.js";
import type { DemoOptions } from "../../src/demo/types.js";
import { AI4I_COMPACT_MODEL_SPEC, AI4I_FOREST_SPEC, AI4I_MODEL_SPEC } from "../../src/learning/index.js";
import { refusal } from "../support/refusal.js";

type Asked = Parameters<typeof planDemoModel>[0];
const asked = (extra: Partial<DemoOptions> = {}): Asked => ({ members: 4, dataset: "ai4i", ...extra });
const MLP = `preset:${AI4I_MODEL_SPEC.id}`;

describe("cfl demo: the defaults it applies before any chain", function () {
  this.timeout(30_000);

  it("on AI4I with nothing named grows the forest on the large circuit, one round per level, with the support defense", async function () {
    expect(await planDemoModel(asked())).to.deep.equal({
      circuit: "large",
      model: "preset:ai4i-forest",
      rounds: AI4I_FOREST_SPEC.depth,
      // max(2, floor(4 / 3) + 1)
      supportMembers: 2,
    });
    expect((await planDemoModel(asked({ members: 9 }))).supportMembers).to.equal(4);
    expect((await planDemoModel(asked({ members: 2 }))).supportMembers).to.equal(2);
    // What the operator names is kept.
    expect(await planDemoModel(asked({ rounds: 3, defense: "none" }))).to.deep.equal({
      circuit: "large",
      model: "preset:ai4i-forest",
      rounds: 3,
    });
    expect((await planDemoModel(asked({ supportMembers: 3 }))).supportMembers).to.equal(3);
  });

  it("falls back to the MLP where the forest cannot go: a neural rule or defense, a circuit whose indices stop short", async function () {
    const mlp = { circuit: "demo", model: MLP, rounds: 3 };
    expect(await planDemoModel(asked({ rule: "median" }))).to.deep.equal(mlp);
    expect(await planDemoModel(asked({ rule: "screened-mean", defense: "screened" }))).to.deep.equal(mlp);
    expect(await planDemoModel(asked({ circuit: "demo" }))).to.deep.equal(mlp);
    expect(await planDemoModel(asked({ dataset: "supplychain" }))).to.deep.include({
      circuit: "demo",
      rounds: 3,
    });
    // The test circuit's 16 entries: the compact MLP, and the reason in the plan.
    const compact = await planDemoModel(asked({ circuit: "test" }));
    expect(compact).to.include({ circuit: "test", model: `preset:${AI4I_COMPACT_MODEL_SPEC.id}`, rounds: 3 });
    expect(compact.modelNote).to.match(/proves 16 entries per update/);
    // The large circuit reaches the forest: it is the default there too; a named model is kept as named.
    expect(await planDemoModel(asked({ circuit: "large" }))).to.include({ model: "preset:ai4i-forest" });
    expect(await planDemoModel(asked({ model: MLP }))).to.deep.equal(mlp);
  });

  it("refuses the support defense without a forest, q out of range, q without the defense, and a forest under another rule", async function () {
    expect(await refusal(() => planDemoModel(asked({ circuit: "demo", defense: "support" })))).to.match(
      /^--defense support vetoes splits of a histogram forest's counts/,
    );
    expect(await refusal(() => planDemoModel(asked({ supportMembers: 5 })))).to.equal(
      "--support-members must be an integer from 2 to --members (4)",
    );
    expect(await refusal(() => planDemoModel(asked({ defense: "none", supportMembers: 3 })))).to.equal(
      "--support-members needs --defense support",
    );
    expect(await refusal(() => planDemoModel(asked({ model: MLP, supportMembers: 3 })))).to.equal(
      "--support-members needs --defense support",
    );
    expect(
      await refusal(() => planDemoModel(asked({ model: "preset:ai4i-forest", rule: "median" }))),
    ).to.equal('model "ai4i-forest" needs rule sum (its parameters are counts), not median');
  });
});
