import { expect } from "chai";
import { renderBackdoorTable, renderMacroF1Table, type CellResult } from "../../src/evaluation/index.js";

type Cell = Pick<
  CellResult,
  "attack" | "defense" | "members" | "malicious" | "macroF1" | "backdoorSuccess" | "failureMissRate"
>;
const cell = (
  attack: Cell["attack"],
  defense: Cell["defense"],
  malicious: number,
  macroF1: number,
  backdoorSuccess = 0.5,
): Cell => ({
  attack,
  defense,
  members: 10,
  malicious,
  macroF1,
  backdoorSuccess,
  failureMissRate: 0.25,
});

describe("evaluation: matrix tables", function () {
  const cells = [
    cell("none", "median", 0, 0.7),
    cell("none", "mean-bounded", 0, 0.71),
    cell("scaling", "median", 3, 0.6),
    cell("scaling", "mean-bounded", 3, 0.65),
    cell("backdoor", "median", 3, 0.69, 0.9),
    cell("backdoor", "mean-bounded", 3, 0.68, 0.8),
  ];

  it("lays out one row per attack and count, one column per defense, best attacked value in bold", function () {
    const lines = renderMacroF1Table(cells).split("\n");
    expect(lines[0]).to.equal("| attack | malicious | median | mean-bounded |");
    expect(lines).to.have.length(2 + 3);
    expect(lines[2]).to.equal("| none | 0/10 | 0.700 | 0.710 |");
    expect(lines[3]).to.equal("| scaling | 3/10 | 0.600 | **0.650** |");
    expect(lines[4]).to.equal("| backdoor | 3/10 | **0.690** | 0.680 |");
  });

  it("shows backdoor success with the untriggered miss rate beside it, for the clean and backdoor rows", function () {
    const lines = renderBackdoorTable(cells).split("\n");
    expect(lines).to.have.length(2 + 2);
    expect(lines[3]).to.equal("| backdoor | 3/10 | 90% (25%) | 80% (25%) |");
  });

  it("marks a missing cell instead of shifting columns", function () {
    const lines = renderMacroF1Table(cells.slice(0, 3)).split("\n");
    expect(lines[3]).to.equal("| scaling | 3/10 | **0.600** | – |");
  });
});
