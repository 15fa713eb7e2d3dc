/**
 * `cfl demo --web`: the console comes up on the demo's own chain as soon as the task exists, a page opened
 * then follows the rounds live (status changes without a reload, quality figures charted), and the console
 * stays up after the rounds until the operator stops it with Ctrl-C.
 */
import { expect } from "chai";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { killAllChildren, spawnCfl } from "./roles-helpers.js";
import { axeViolations, launchConsoleBrowser, screenshotPath, type ConsoleBrowser } from "./web-helpers.js";

describe("cfl demo --web: the console on the demo's chain, live", function () {
  this.timeout(900_000);
  let chrome: ConsoleBrowser | undefined;

  before(async function () {
    chrome = await launchConsoleBrowser();
    if (!chrome) this.skip();
  });

  after(async function () {
    await chrome?.close();
    await killAllChildren();
  });

  it("shows the rounds' status change while the roles run, then keeps serving until Ctrl-C", async function () {
    const out = await mkdtemp(join(tmpdir(), "cfl-demo-web-"));
    const demo = spawnCfl("demo", [
      "demo",
      "--web",
      "0",
      "--circuit",
      "test",
      "--members",
      "3",
      "--rounds",
      "2",
      "--seed",
      "5",
      "--out",
      out,
    ]);
    const started = await demo.waitFor((e) => e.event === "web", 600_000);
    const url = String(started.url);
    expect(url).to.match(/^http:\/\/127\.0\.0\.1:\d+\/$/);

    const { page, context, errors } = await chrome!.open({ rpcUrl: "" });
    await page.goto(`${url}#/tasks`);
    await page.getByRole("heading", { name: "Tasks and rounds" }).waitFor();
    // Every status the page shows for round 1, in order, without a reload.
    const seen: string[] = [];
    const badge = page.locator('li[data-round="1"] .badge');
    const deadline = Date.now() + 600_000;
    while (Date.now() < deadline) {
      const status = (await badge.count()) > 0 ? await badge.getAttribute("data-status") : null;
      if (status && seen.at(-1) !== status) seen.push(status);
      if (status === "finalized") break;
      await page.waitForTimeout(100);
    }
    expect(seen.at(-1), `statuses seen: ${seen.join(" → ")}`).to.equal("finalized");
    expect(seen.length, `statuses seen: ${seen.join(" → ")}`).to.be.greaterThan(1);

    await demo.waitFor((e) => e.event === "web" && String(e.note).includes("Ctrl-C"), 600_000);
    await page.goto(`${url}#/tasks`);
    await page.locator('li[data-round="2"] .badge[data-status="finalized"]').waitFor();
    expect(await axeViolations(page), "tasks").to.deep.equal([]);
    const tasksShot = screenshotPath("tasks");
    if (tasksShot) await page.screenshot({ path: tasksShot, fullPage: true });

    await page.goto(`${url}#/models`);
    const chart = page.getByRole("img", { name: /Macro-F1 by round/ });
    await chart.waitFor();
    const label = (await chart.getAttribute("aria-label")) ?? "";
    expect(label).to.match(/round 1: 0\.\d{3}, round 2: 0\.\d{3}/);
    expect(await axeViolations(page), "models").to.deep.equal([]);
    const modelsShot = screenshotPath("models");
    if (modelsShot) await page.screenshot({ path: modelsShot, fullPage: true });
    expect(errors).to.deep.equal([]);
    await context.close();

    demo.process.kill("SIGINT");
    expect(await demo.exited).to.equal(0);
  });
});
