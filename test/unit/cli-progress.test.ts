import { expect } from "chai";
import { ProgressTracker, renderProgressBar } from "../../src/cli/progress.js";
import { qualityFromFile } from "../../src/web/app/quality.js";

describe("terminal progress bars", function () {
  it("draws the share done, the count and the time left", function () {
    const line = renderProgressBar({
      phase: "round 2/3",
      step: "member 2 of 4 trains",
      done: 3,
      total: 8,
      secondsLeft: 12.4,
    });
    expect(line).to.match(/^round 2\/3 · member 2 of 4 trains\s+\[█{9}░{15}\] 3\/8 {2}~12 s left$/);
    expect(renderProgressBar({ phase: "setup", done: 0, total: 4 })).to.match(/\[░{24}\] 0\/4$/);
    expect(renderProgressBar({ phase: "setup", done: 5, total: 4, secondsLeft: 3 })).to.match(
      /\[█{24}\] 5\/4$/,
    );
    expect(renderProgressBar({ phase: "setup", done: 1, total: 4, secondsLeft: 125 })).to.match(
      /~2 min 05 s left$/,
    );
  });

  it("estimates the time left from the phase's own pace, and forgets a phase that starts over", function () {
    let now = 0;
    const tracker = new ProgressTracker(() => now);
    expect(tracker.secondsLeft({ phase: "p", done: 0, total: 4 })).to.equal(undefined);
    now = 2000;
    expect(tracker.secondsLeft({ phase: "p", done: 1, total: 4 })).to.equal(6);
    now = 4000;
    expect(tracker.secondsLeft({ phase: "p", done: 2, total: 4 })).to.equal(4);
    expect(tracker.secondsLeft({ phase: "p", done: 4, total: 4 })).to.equal(undefined);
    now = 10_000;
    expect(tracker.secondsLeft({ phase: "p", done: 0, total: 3 })).to.equal(undefined);
    now = 11_000;
    expect(tracker.secondsLeft({ phase: "p", done: 1, total: 3 })).to.equal(2);
  });
});

describe("web console: quality figures an auditor loads", function () {
  it("reads a cfl demo report.json and a plain list, and refuses anything else by entry", function () {
    const report = {
      rounds: [
        { round: 1, metrics: { macroF1: 0.61 } },
        { round: 2, metrics: { macroF1: 0.7 } },
      ],
    };
    expect(qualityFromFile({ json: report, taskId: "1", source: "report.json" })).to.deep.equal([
      { taskId: "1", round: 1, macroF1: 0.61, source: "report.json" },
      { taskId: "1", round: 2, macroF1: 0.7, source: "report.json" },
    ]);
    expect(
      qualityFromFile({ json: [{ round: 3, macroF1: 0.5 }], taskId: "2", source: "mine" }),
    ).to.have.length(1);
    expect(() => qualityFromFile({ json: { nothing: 1 }, taskId: "1", source: "x" })).to.throw(
      "expected a report.json with rounds, or a list of {round, macroF1}",
    );
    expect(() =>
      qualityFromFile({ json: [{ round: "1", macroF1: 0.5 }], taskId: "1", source: "x" }),
    ).to.throw("entry 0: needs a numeric round and macroF1");
  });
});
