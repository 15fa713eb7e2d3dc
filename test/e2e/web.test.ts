/**
 * The web console against a `hardhat node` on loopback, in headless Chromium with an injected EIP-1193
 * wallet: governance by browser wallet (one governor proposes AdmitMember, a second approves and executes,
 * the member appears), events from elsewhere appearing without a reload, a rejected transaction, a wallet on
 * the wrong network, a contract revert by name, the CLI's own payload refusals, axe-core on every page, and
 * the server's read-only JSON-RPC endpoint refusing to send from the node's unlocked accounts.
 */
import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AbiCoder, hexlify, JsonRpcProvider, Wallet, ZeroHash } from "ethers";
import type { Page } from "playwright-core";
import {
  Consortium__factory,
  FederatedRounds__factory,
  VerifyingKeyRegistry__factory,
} from "../../types/ethers-contracts/index.js";
import { draftTaskPolicy, jsonReplacer, parseProposalPayload } from "../../src/governance/index.js";
import { committedDevelopmentKey } from "../../src/zk/index.js";
import { startWebConsole, type WebConsole } from "../../src/web/index.js";
import { runCli } from "./helpers.js";
import {
  devAccount,
  freePort,
  governanceClient,
  killAllChildren,
  spawnCfl,
  startHardhatNode,
} from "./roles-helpers.js";
import {
  axeViolations,
  launchConsoleBrowser,
  screenshotPath,
  switchAccount,
  type ConsoleBrowser,
  type TestWalletState,
} from "./web-helpers.js";

const [A, B, C] = [devAccount(0), devAccount(1), devAccount(2)];
const NEWCOMER = devAccount(7);

describe("cfl web: the console in a browser, signing with the visitor's wallet", function () {
  this.timeout(300_000);
  let rpcUrl: string;
  let addresses: { consortium: string; rounds: string };
  let web: WebConsole;
  let chrome: ConsoleBrowser | undefined;

  before(async function () {
    chrome = await launchConsoleBrowser();
    if (!chrome) this.skip();
    ({ rpcUrl } = await startHardhatNode(await freePort()));
    const work = await mkdtemp(join(tmpdir(), "cfl-web-"));
    const deployConfig = join(work, "deploy.json");
    await writeFile(deployConfig, JSON.stringify({ rpcUrl }));
    const deployed = await runCli(
      [
        "deploy",
        "--development",
        "--with",
        "ethers",
        "--governors",
        [A.address, B.address, C.address].join(","),
        "--quorum",
        "2",
        "--config",
        deployConfig,
        "--quiet",
      ],
      { env: { CFL_PRIVATE_KEY: A.privateKey } },
    );
    expect(deployed.code, deployed.stderr).to.equal(0);
    const record = JSON.parse(deployed.stdout) as { consortium: string; rounds: string };
    addresses = { consortium: record.consortium, rounds: record.rounds };
    web = await startWebConsole({ chain: { url: rpcUrl }, addresses, pollMs: 250 });
  });

  after(async function () {
    await chrome?.close();
    await web?.close();
    await killAllChildren();
  });

  const wallet = (account: string, chainId = "0x7a69"): TestWalletState => ({
    account,
    chainId,
    rejectNext: false,
    sent: [],
  });

  async function notice(page: Page, text: string | RegExp): Promise<string> {
    const locator = page.locator(".notice", { hasText: text }).first();
    try {
      await locator.waitFor({ timeout: 60_000 });
    } catch (error) {
      const shown = await page.locator(".notice").allTextContents();
      throw new Error(`no notice ${String(text)}; the page shows: ${JSON.stringify(shown)}`, {
        cause: error,
      });
    }
    return (await locator.textContent()) ?? "";
  }

  async function connect(page: Page): Promise<void> {
    await page.getByRole("button", { name: "Connect CFL Test Wallet" }).click();
    await page.locator(".wallet strong", { hasNotText: "reading roles" }).waitFor();
  }

  it("is a read-only explorer without a wallet, and every page passes axe-core", async function () {
    const { page, context, errors } = await chrome!.open({ rpcUrl });
    await page.goto(web.url);
    await page.getByRole("heading", { name: "Consortium" }).waitFor();
    await page.getByText("No browser wallet found: read-only.").waitFor();
    expect(await page.locator("section li code.address").count()).to.equal(3);
    for (const [route, heading] of [
      ["consortium", "Consortium"],
      ["proposals", "Proposals"],
      ["tasks", "Tasks and rounds"],
      ["models", "Model history"],
    ] as const) {
      await page.goto(`${web.url}#/${route}`);
      await page.getByRole("heading", { name: heading, exact: true }).waitFor();
      expect(await axeViolations(page), route).to.deep.equal([]);
    }
    // Keyboard only: Tab reaches the navigation, Enter follows it.
    await page.goto(`${web.url}#/consortium`);
    await page.getByRole("heading", { name: "Consortium" }).waitFor();
    let focused = "";
    for (let i = 0; i < 10 && focused !== "Proposals"; i++) {
      await page.keyboard.press("Tab");
      focused = await page.evaluate<string>(
        "document.activeElement ? document.activeElement.textContent : ''",
      );
    }
    expect(focused, "Tab reaches the Proposals link").to.equal("Proposals");
    await page.keyboard.press("Enter");
    await page.getByText("Connect a governor's wallet to propose").waitFor();
    expect(await page.getByRole("button", { name: "Propose" }).count()).to.equal(0);
    expect(errors).to.deep.equal([]);
    await context.close();
  });

  it("runs under its own Content Security Policy: every page renders with nothing blocked", async function () {
    const { page, context, errors } = await chrome!.open({ rpcUrl, bypassCSP: false });
    for (const [route, heading] of [
      ["consortium", "Governors"],
      ["proposals", "All proposals"],
      ["tasks", "Tasks and rounds"],
      ["models", "Model history"],
    ] as const) {
      await page.goto(`${web.url}#/${route}`);
      await page.getByRole("heading", { name: heading, exact: true }).waitFor();
    }
    expect(errors, "nothing of the console's own is blocked").to.deep.equal([]);
    // A script injected by a page on the way (or a CDN) is refused by the policy.
    const injected = await page.evaluate<string>(
      `new Promise((resolve) => { const s = document.createElement("script"); s.src = "http://127.0.0.1:9/x.js"; ` +
        `s.onerror = () => resolve("blocked"); s.onload = () => resolve("loaded"); document.head.appendChild(s); })`,
    );
    expect(injected).to.equal("blocked");
    expect(
      errors.some((e) => e.includes("Content Security Policy")),
      "the refusal names the policy",
    ).to.equal(true);
    await context.close();
  });

  it("one governor proposes AdmitMember, a second approves and executes, and the member appears", async function () {
    const state = wallet(A.address);
    const { page, context, errors } = await chrome!.open({ rpcUrl, wallet: state });
    await page.goto(`${web.url}#/proposals`);
    await connect(page);
    expect(await page.locator(".wallet strong").textContent()).to.equal("governor");
    const encryptionKey = hexlify(randomBytes(32));
    await page.getByLabel("Account").fill(NEWCOMER.address);
    await page.getByRole("checkbox", { name: "member" }).check();
    await page.getByLabel("Entity kind").selectOption("Recycler");
    await page.getByLabel("Encryption key").fill(encryptionKey);
    expect(await axeViolations(page), "proposal form").to.deep.equal([]);
    const shot = screenshotPath("proposals");
    if (shot) await page.screenshot({ path: shot, fullPage: true });
    await page.getByRole("button", { name: "Propose" }).click();
    await notice(page, "Proposal 1 created.");
    await page.getByRole("button", { name: "Approve proposal 1" }).click();
    await notice(page, "Proposal 1 approved.");
    expect(
      await page.getByRole("button", { name: "Execute proposal 1" }).count(),
      "one approval of two",
    ).to.equal(0);

    // The second governor, in the same wallet: the page follows accountsChanged.
    await switchAccount(page, state, B.address);
    await page.getByRole("button", { name: "Approve proposal 1" }).click();
    await notice(page, "Proposal 1 approved.");
    await page.getByRole("button", { name: "Execute proposal 1" }).click();
    await notice(page, "Proposal 1 executed.");
    // The notice comes with the receipt; the table follows on its next read of the chain.
    const executed = page.locator('tr[data-proposal="1"] .state', { hasText: /^executed$/ });
    await executed.waitFor({ timeout: 15_000 });
    expect(await page.locator('tr[data-proposal="1"] .state').textContent()).to.equal("executed");
    // What the governors approved, decoded from the chain's payload bytes.
    expect(await page.locator('tr[data-proposal="1"]').textContent()).to.contain(
      `admit ${NEWCOMER.address.slice(0, 8)}…${NEWCOMER.address.slice(-6)} as member (Recycler)`,
    );
    expect(state.sent, "propose, two approvals, execute").to.have.length(4);

    await page.goto(`${web.url}#/consortium`);
    const row = page.locator(`tr[data-member="${NEWCOMER.address}"]`);
    await row.waitFor();
    expect(await row.textContent())
      .to.contain("member")
      .and.contain("Recycler")
      .and.contain("Active");
    const consortiumShot = screenshotPath("consortium");
    if (consortiumShot) await page.screenshot({ path: consortiumShot, fullPage: true });

    // On chain, not only on the page.
    const provider = new JsonRpcProvider(rpcUrl, undefined, { staticNetwork: true });
    const member = await Consortium__factory.connect(addresses.consortium, provider).member(NEWCOMER.address);
    provider.destroy();
    expect(member.status).to.equal(1n);
    expect(member.profile.encryptionKey).to.equal(encryptionKey);
    expect(errors).to.deep.equal([]);
    await context.close();
  });

  it("shows what others do on chain without a reload", async function () {
    const { page, context, errors } = await chrome!.open({ rpcUrl });
    await page.goto(`${web.url}#/consortium`);
    const row = page.locator(`tr[data-member="${NEWCOMER.address}"]`);
    await row.waitFor();
    expect(await row.locator(".status").textContent()).to.equal("Active");
    // Two governors suspend the member from their own scripts, not through this page.
    const client = governanceClient({
      rpcUrl,
      consortium: addresses.consortium,
      governorKeys: [A.privateKey, B.privateKey, C.privateKey],
    });
    try {
      await client.govern({ kind: "SuspendMember", account: NEWCOMER.address });
    } finally {
      client.close();
    }
    await page
      .locator(`tr[data-member="${NEWCOMER.address}"] .status`, { hasText: "Suspended" })
      .waitFor({ timeout: 30_000 });
    await page.getByText("is now Suspended").first().waitFor();
    expect(errors).to.deep.equal([]);
    await context.close();
  });

  it("refuses a malformed payload with the CLI's own words, before any transaction", async function () {
    const state = wallet(A.address);
    const { page, context, errors } = await chrome!.open({ rpcUrl, wallet: state });
    await page.goto(`${web.url}#/proposals`);
    await connect(page);
    await page.getByLabel("Account").fill(NEWCOMER.address);
    await page.getByRole("checkbox", { name: "auditor" }).check();
    await page.getByLabel("Entity kind").selectOption("Supplier");
    await page.getByLabel("Encryption key").fill("0x1234");
    await page.getByRole("button", { name: "Propose" }).click();
    const shown = await notice(page, "AdmitMember payload");
    let cli = "";
    try {
      parseProposalPayload({
        kind: "AdmitMember",
        json: { account: NEWCOMER.address, roles: ["auditor"], kind: "Supplier", encryptionKey: "0x1234" },
      });
    } catch (error) {
      cli = (error as Error).message;
    }
    expect(cli).to.contain("encryptionKey: must be 32 bytes hex");
    expect(shown).to.equal(cli);
    expect(state.sent).to.deep.equal([]);
    expect(errors).to.deep.equal([]);
    await context.close();
  });

  it("a rejected transaction and a contract revert each show one clear message", async function () {
    const state = wallet(A.address);
    const { page, context, errors } = await chrome!.open({ rpcUrl, wallet: state });
    await page.goto(`${web.url}#/proposals`);
    await connect(page);
    // SetQuorum 5 with three governors: valid as a payload, refused by the contract when executed.
    await page.getByLabel("Kind", { exact: true }).selectOption("SetQuorum");
    await page.getByLabel("Quorum", { exact: true }).fill("5");
    state.rejectNext = true;
    await page.getByRole("button", { name: "Propose" }).click();
    expect(await notice(page, "rejected")).to.equal(
      "You rejected the request in your wallet; nothing was sent.",
    );
    expect(state.sent).to.deep.equal([]);
    await page.getByRole("button", { name: "Propose" }).click();
    await notice(page, /Proposal \d+ created\./);
    const id = (await page.locator("tbody tr").first().getAttribute("data-proposal")) ?? "";
    await page.getByRole("button", { name: `Approve proposal ${id}` }).click();
    await notice(page, `Proposal ${id} approved.`);
    await switchAccount(page, state, C.address);
    await page.getByRole("button", { name: `Approve proposal ${id}` }).click();
    await notice(page, `Proposal ${id} approved.`);
    await page.getByRole("button", { name: `Execute proposal ${id}` }).click();
    expect(await notice(page, "Consortium__")).to.contain(
      "Consortium__QuorumOutOfRange(quorum 5, governorCount 3)",
    );
    expect(await page.locator(`tr[data-proposal="${id}"] .state`).textContent()).to.equal("pending");
    expect(errors).to.deep.equal([]);
    await context.close();
  });

  it("a task policy is checked against its registered circuit: refused with the numbers, then proposed", async function () {
    const key = await committedDevelopmentKey({ instance: "test" });
    const client = governanceClient({
      rpcUrl,
      consortium: addresses.consortium,
      governorKeys: [A.privateKey, B.privateKey, C.privateKey],
    });
    try {
      await client.govern({
        kind: "RegisterVerifyingKey",
        words: key.words,
        shape: key.shape,
        developmentOnly: true,
      });
    } finally {
      client.close();
    }
    const provider = new JsonRpcProvider(rpcUrl, undefined, { staticNetwork: true });
    const now = BigInt((await provider.getBlock("latest"))!.timestamp);
    provider.destroy();
    const policy = draftTaskPolicy({
      model: {
        name: "web-test",
        // d = 2^12, the test circuit's largest: a k of 2,049 is then refused by the circuit bound, not by d.
        dimension: 4096,
        hash: hexlify(randomBytes(32)),
        cid: "bafkreidummycidforthewebconsoletest",
      },
      verifyingKey: { keyHash: key.keyHash, shape: key.shape },
      readers: { key: hexlify(randomBytes(32)), addresses: [B.address] },
      now,
    });
    const state = wallet(A.address);
    const { page, context, errors } = await chrome!.open({ rpcUrl, wallet: state });
    await page.goto(`${web.url}#/proposals`);
    await connect(page);
    await page.getByLabel("Kind", { exact: true }).selectOption("CreateTask");
    await page.getByText("What each bound of the policy means").click();
    await page.getByText("2×lInfBound must fit the circuit's value bits").waitFor();
    const field = page.getByLabel("Task policy (JSON)");
    await field.fill(JSON.stringify({ ...policy, maxNonZeros: 2049 }, jsonReplacer));
    await page.getByRole("button", { name: "Propose" }).click();
    expect(await notice(page, "exceeds")).to.equal(
      "invalid task policy: maxNonZeros 2049 exceeds the circuit's 2048 (16 entries per chunk proof, at most 128 chunks)",
    );
    expect(state.sent).to.deep.equal([]);
    expect(await axeViolations(page), "policy form").to.deep.equal([]);
    await field.fill(JSON.stringify(policy, jsonReplacer));
    await page.getByRole("button", { name: "Propose" }).click();
    await notice(page, /Proposal \d+ created\./);
    expect(await page.locator("tbody tr").first().locator("td").nth(1).textContent()).to.equal("CreateTask");
    expect(await axeViolations(page), "proposals with history").to.deep.equal([]);
    await page.goto(`${web.url}#/consortium`);
    await page.getByRole("heading", { name: "Members" }).waitFor();
    expect(await axeViolations(page), "consortium with members and history").to.deep.equal([]);
    expect(errors).to.deep.equal([]);
    await context.close();
  });

  it("tells a wallet on another network to switch, and signs once it has", async function () {
    const state = wallet(A.address, "0x1");
    const { page, context, errors } = await chrome!.open({ rpcUrl, wallet: state });
    await page.goto(`${web.url}#/proposals`);
    await connect(page);
    const alert = await notice(page, "Your wallet is on chain 1");
    expect(alert).to.contain("this consortium runs on chain 31337");
    expect(await page.getByRole("button", { name: "Propose" }).count()).to.equal(0);
    await page.getByRole("button", { name: "Switch network" }).click();
    await page.getByRole("button", { name: "Propose" }).waitFor();
    expect(state.chainId).to.equal("0x7a69");
    expect(errors).to.deep.equal([]);
    await context.close();
  });

  it("offers what anyone may do only when the contract would accept it: marking an expired proposal", async function () {
    const provider = new JsonRpcProvider(rpcUrl, undefined, { staticNetwork: true, cacheTimeout: -1 });
    const proposer = new Wallet(A.privateKey, provider);
    const consortium = Consortium__factory.connect(addresses.consortium, proposer);
    await (await consortium.propose(6, AbiCoder.defaultAbiCoder().encode(["uint256"], [1]), 60n)).wait();
    const id = (await consortium.proposalCount()).toString();
    const state = wallet(C.address);
    const { page, context, errors } = await chrome!.open({ rpcUrl, wallet: state });
    await page.goto(`${web.url}#/proposals`);
    await connect(page);
    await page.locator(`tr[data-proposal="${id}"] .state`, { hasText: "pending" }).waitFor();
    expect(
      await page.getByRole("button", { name: `Mark proposal ${id} expired` }).count(),
      "not yet",
    ).to.equal(0);
    // The voting period passes on the chain's clock.
    await provider.send("evm_increaseTime", [3600]);
    await provider.send("evm_mine", []);
    provider.destroy();
    await page.getByRole("button", { name: `Mark proposal ${id} expired` }).click();
    await notice(page, `Proposal ${id} marked expired.`);
    expect(await page.locator(`tr[data-proposal="${id}"] .state`).textContent()).to.equal("expired");
    await page.getByRole("button", { name: `Mark proposal ${id} expired` }).waitFor({ state: "detached" });
    expect(state.sent).to.have.length(1);
    expect(errors).to.deep.equal([]);
    await context.close();
  });

  it("offers to close a round anyone may close once its deadline passed, and shows it end", async function () {
    const aggregator = devAccount(8);
    const auditor = devAccount(9);
    const key = await committedDevelopmentKey({ instance: "test" });
    const client = governanceClient({
      rpcUrl,
      consortium: addresses.consortium,
      governorKeys: [A.privateKey, B.privateKey, C.privateKey],
    });
    const provider = new JsonRpcProvider(rpcUrl, undefined, { staticNetwork: true, cacheTimeout: -1 });
    try {
      const registry = VerifyingKeyRegistry__factory.connect(
        await Consortium__factory.connect(addresses.consortium, provider).verifyingKeys(),
        provider,
      );
      if (!(await registry.isRegistered(key.keyHash)))
        await client.govern({
          kind: "RegisterVerifyingKey",
          words: key.words,
          shape: key.shape,
          developmentOnly: true,
        });
      // An aggregator and an auditor (the policy's attestation quorum needs an auditor among its readers).
      for (const [account, roles] of [
        [aggregator.address, 2],
        [auditor.address, 4],
      ] as const)
        await client.govern({
          kind: "AdmitMember",
          account,
          profile: { roles, kind: 1, encryptionKey: hexlify(randomBytes(32)), metadataHash: ZeroHash },
        });
      const now = BigInt((await provider.getBlock("latest"))!.timestamp);
      const modelHash = hexlify(randomBytes(32));
      const policy = draftTaskPolicy({
        model: { name: "web-round", dimension: 1000, hash: modelHash, cid: "bafkreiwebroundmodel" },
        verifyingKey: { keyHash: key.keyHash, shape: key.shape },
        readers: { key: hexlify(randomBytes(32)), addresses: [aggregator.address, auditor.address] },
        now,
        settings: { minParticipants: 1, attestationQuorum: 1 },
      });
      await client.govern({ kind: "CreateTask", policy });
      const consortium = Consortium__factory.connect(addresses.consortium, provider);
      const taskId = await consortium.taskCount();
      await client.govern({ kind: "GrantTaskAccess", taskId, account: aggregator.address });
      const rounds = FederatedRounds__factory.connect(
        addresses.rounds,
        new Wallet(aggregator.privateKey, provider),
      );
      await (await rounds.openRound(taskId, "bafkreiwebroundmodel", modelHash, now + 600n)).wait();

      const state = wallet(C.address);
      const { page, context, errors } = await chrome!.open({ rpcUrl, wallet: state });
      await page.goto(`${web.url}#/tasks`);
      await connect(page);
      const picker = page.getByLabel("Task", { exact: true });
      if ((await picker.count()) > 0) await picker.selectOption(taskId.toString());
      await page.locator('li[data-round="1"] .badge[data-status="open"]').waitFor();
      const close = page.getByRole("button", { name: `Close round 1 of task ${taskId}` });
      expect(await close.count(), "before the deadline only the aggregator may close").to.equal(0);
      await provider.send("evm_increaseTime", [700]);
      await provider.send("evm_mine", []);
      await close.click();
      await notice(page, "Round 1 closed.");
      // Closed without minParticipants commits: the contract ends it as abandoned.
      await page.locator('li[data-round="1"] .badge[data-status="abandoned"]').waitFor();
      expect(await close.count()).to.equal(0);
      expect(await axeViolations(page), "tasks with a round").to.deep.equal([]);
      expect(errors).to.deep.equal([]);
      await context.close();
    } finally {
      client.close();
      provider.destroy();
    }
  });

  it("serves a read-only JSON-RPC endpoint: nobody opening the page can send from the node's accounts", async function () {
    const call = async (body: unknown, host?: string) => {
      const response = await fetch(`${web.url}rpc`, {
        method: "POST",
        headers: { "content-type": "application/json", ...(host ? { host } : {}) },
        body: JSON.stringify(body),
      });
      return { status: response.status, body: await response.text() };
    };
    const send = await call({
      jsonrpc: "2.0",
      id: 1,
      method: "eth_sendTransaction",
      params: [{ from: A.address, to: B.address, value: "0x1" }],
    });
    expect(JSON.parse(send.body)).to.deep.include({
      error: {
        code: -32601,
        message:
          "eth_sendTransaction is not served by the console's read-only endpoint: sign with your own wallet",
      },
    });
    for (const method of ["eth_accounts", "eth_sign", "personal_sign", "hardhat_setBalance", "evm_mine"]) {
      const reply = JSON.parse((await call({ jsonrpc: "2.0", id: 2, method, params: [] })).body) as {
        error?: { code: number };
      };
      expect(reply.error?.code, method).to.equal(-32601);
    }
    const batch = JSON.parse(
      (
        await call([
          { jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] },
          { jsonrpc: "2.0", id: 2, method: "eth_sendRawTransaction", params: ["0x00"] },
        ])
      ).body,
    ) as { result?: string; error?: { code: number } }[];
    expect(batch[0]?.result).to.equal("0x7a69");
    expect(batch[1]?.error?.code).to.equal(-32601);
    const malformed = await call("not json{");
    expect(malformed.status).to.equal(200);
  });

  it("cfl web serves the console from a role's config until Ctrl-C, and refuses a config it cannot serve with one line", async function () {
    const work = await mkdtemp(join(tmpdir(), "cfl-web-cli-"));
    const config = join(work, "auditor.json");
    await writeFile(config, JSON.stringify({ rpcUrl, addresses, taskId: "1" }));
    const served = spawnCfl("cfl web", ["web", "--config", config, "--port", "0", "--quiet"]);
    const deadline = Date.now() + 60_000;
    while (!served.stdout().includes("\n") && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    const url = served.stdout().trim();
    expect(url).to.match(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const page = await fetch(url);
    expect(page.status).to.equal(200);
    expect(page.headers.get("content-security-policy")).to.contain("default-src 'none'");
    expect(await page.text()).to.contain('<div id="app"></div>');
    const settings = (await (await fetch(`${url}console.json`)).json()) as Record<string, unknown>;
    expect(settings).to.deep.include({ chainId: "31337", taskId: "1", addresses });
    // A page on another host name (DNS rebinding) is refused.
    const rebound = await new Promise<number>((resolve, reject) => {
      void import("node:http").then(({ get }) =>
        get(`${url}console.json`, { headers: { host: "attacker.example:80" } }, (res) =>
          resolve(res.statusCode ?? 0),
        ).on("error", reject),
      );
    });
    expect(rebound).to.equal(421);
    served.process.kill("SIGINT");
    expect(await served.exited).to.equal(0);

    const oneLine = async (body: object, text: string) => {
      const file = join(work, `bad-${Math.random().toString(36).slice(2)}.json`);
      await writeFile(file, JSON.stringify(body));
      const run = await runCli(["web", "--config", file, "--port", "0"]);
      expect(run.code, run.stderr).to.not.equal(0);
      expect(run.stderr.trimEnd().split("\n"), run.stderr).to.have.length(1);
      expect(run.stderr).to.match(/^error: /);
      expect(run.stderr).to.contain(text);
    };
    const badPort = await runCli(["web", "--config", config, "--port", "70000"]);
    expect(badPort.code).to.equal(2);
    expect(badPort.stderr.trim().split("\n")).to.deep.equal([
      "error: option '--port <n>' argument '70000' is invalid. a port is 0..65535 (0: any free port)",
    ]);
    await oneLine({ rpcUrl }, "addresses");
    await oneLine({ rpcUrl: `http://127.0.0.1:${await freePort()}`, addresses }, "cannot reach the chain at");
    await oneLine(
      { rpcUrl, addresses: { consortium: NEWCOMER.address, rounds: addresses.rounds } },
      `no contract at the consortium address ${NEWCOMER.address}`,
    );
  });
});
