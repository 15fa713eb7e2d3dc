/**
 * No secret reaches an error line or a log line: URL credentials, named hex keys, swarm keys, and every
 * value the configuration loaded as a secret, wherever a library echoes it.
 */
import { expect } from "chai";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AbiCoder, encryptKeystoreJsonSync, Wallet } from "ethers";
import { createLogger } from "../../src/cli/log.js";
import {
  clearRegisteredSecrets,
  loadSigner,
  parseConfig,
  redactSecrets,
  registeredSecrets,
} from "../../src/config/index.js";
import { runCli } from "../e2e/helpers.js";

const KEY = "0x" + "5a".repeat(32);
const HASH = "0x" + "c3".repeat(32);

/** Runs `work` with stderr captured (the logger's sink). */
function captureStderr(work: () => void): string {
  const original = process.stderr.write.bind(process.stderr);
  let text = "";
  const capture = (chunk: string | Uint8Array): boolean => {
    text += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString();
    return true;
  };
  process.stderr.write = capture;
  try {
    work();
  } finally {
    process.stderr.write = original;
  }
  return text;
}

describe("redactSecrets", function () {
  afterEach(function () {
    clearRegisteredSecrets();
  });

  it("masks URL credentials: userinfo, key-like query values, API keys in the path", function () {
    expect(redactSecrets("rpcUrl https://user:s3cret@rpc.example:8545/ does not answer")).to.equal(
      "rpcUrl https://***:***@rpc.example:8545/ does not answer",
    );
    expect(redactSecrets('{"url":"https://token123@rpc.example/"}')).to.equal(
      '{"url":"https://***@rpc.example/"}',
    );
    expect(redactSecrets("GET https://rpc.example/rpc?chain=1&apikey=abc123&api_key=x9&token=t0k")).to.equal(
      "GET https://rpc.example/rpc?chain=1&apikey=***&api_key=***&token=***",
    );
    expect(redactSecrets("https://mainnet.infura.io/v3/0123456789abcdef0123456789abcdef")).to.equal(
      "https://mainnet.infura.io/v3/***",
    );
    expect(redactSecrets("https://eth-mainnet.g.alchemy.com/v2/AbCdEfGhIjKlMnOp_qrstu")).to.equal(
      "https://eth-mainnet.g.alchemy.com/v2/***",
    );
  });

  it("leaves what is not a secret alone", function () {
    for (const text of [
      "rpcUrl http://127.0.0.1:8545 does not answer eth_chainId",
      "http://127.0.0.1:5001/api/v0/cat?arg=bafkreiabc",
      `transaction ${HASH} reverted`,
      `keyHash ${HASH}`,
      `Consortium__NotGovernor(account 0xBcd4042DE499D14e55001CcbB24a551F3b954096)`,
      "CFL_PRIVATE_KEY must be a 32-byte hex private key",
    ]) {
      expect(redactSecrets(text)).to.equal(text);
    }
  });

  it("masks a 32-byte hex value named as a key, and a swarm key file's body", function () {
    expect(redactSecrets(`bad private key ${KEY}`)).to.equal("bad private key ***");
    expect(redactSecrets(`{"privateKey":"${KEY}"}`)).to.equal('{"privateKey":"***"}');
    expect(redactSecrets(`secretKey=${KEY.slice(2)}`)).to.equal("secretKey=***");
    expect(redactSecrets(`/key/swarm/psk/1.0.0/\n/base16/\n${"ef".repeat(32)}\n`)).to.equal(
      "/key/swarm/psk/1.0.0/\n/base16/\n***\n",
    );
    expect(redactSecrets(`env: CFL_KEYSTORE_PASSWORD=hunter2 CFL_PRIVATE_KEY="${KEY}"`)).to.equal(
      'env: CFL_KEYSTORE_PASSWORD=*** CFL_PRIVATE_KEY="***"',
    );
  });

  it("masks known secrets wherever they appear, in any casing or escaping", function () {
    expect(redactSecrets('library says: bad value x7#Pa"ss!', ['x7#Pa"ss!'])).to.equal(
      "library says: bad value ***",
    );
    expect(redactSecrets('{"detail":"x7#Pa\\"ss!"}', ['x7#Pa"ss!'])).to.equal('{"detail":"***"}');
    expect(redactSecrets(`echo ${KEY.slice(2).toUpperCase()}`, [KEY])).to.equal("echo ***");
    // Short secrets only as whole tokens: a password "abcd" does not garble "abcdef".
    expect(redactSecrets("abcdef abcd", ["abcd"])).to.equal("abcdef ***");
  });

  it("registers the configuration's secrets when it is loaded", async function () {
    parseConfig({
      raw: { rpcUrl: "https://operator:Sup3rS3cretPw@rpc.example/v3/0123456789abcdef0123456789abcdef" },
      baseDir: "/",
      env: { CFL_PRIVATE_KEY: KEY, CFL_KEYSTORE_PASSWORD: "correct horse battery" },
    });
    expect(registeredSecrets()).to.include.members([
      KEY,
      "Sup3rS3cretPw",
      "correct horse battery",
      "0123456789abcdef0123456789abcdef",
    ]);
    const echoed = `failed (pw Sup3rS3cretPw, key ${KEY.slice(2)}, pass correct horse battery)`;
    expect(redactSecrets(echoed)).to.equal("failed (pw ***, key ***, pass ***)");

    // A keystore's password and the key it opens.
    const wallet = Wallet.createRandom();
    const dir = await mkdtemp(join(tmpdir(), "cfl-redact-"));
    const path = join(dir, "keystore.json");
    const json = encryptKeystoreJsonSync(
      { address: wallet.address, privateKey: wallet.privateKey },
      "open sesame 42",
      { scrypt: { N: 1 << 4 } },
    );
    await writeFile(path, json);
    const config = parseConfig({ raw: { keystore: { path } }, baseDir: dir, env: {} });
    await loadSigner({ config, env: { CFL_KEYSTORE_PASSWORD: "open sesame 42" } });
    expect(redactSecrets(`x open sesame 42 ${wallet.privateKey}`)).to.equal("x *** ***");
  });

  it("the logger masks every line at its sink and prints reverts decoded", function () {
    const url = "https://user:s3cret@rpc.example/";
    const revert = Object.assign(new Error('execution reverted (unknown custom error) (data="0x…")'), {
      code: "CALL_EXCEPTION",
      shortMessage: "execution reverted (unknown custom error)",
      data: "0x4e487b71" + AbiCoder.defaultAbiCoder().encode(["uint256"], [0x32]).slice(2),
    });
    const text = captureStderr(() => {
      const log = createLogger();
      log("step-failed", { url, error: revert, key: `private key ${KEY}` });
    });
    expect(text).to.not.include("s3cret");
    expect(text).to.not.include(KEY.slice(2));
    expect(text).to.include("https://***:***@rpc.example/");
    expect(text).to.include("Panic(0x32 array index out of bounds)");
  });
});

describe("cfl: no secret in an error line", function () {
  it("reports an unreachable chain whose URL carries credentials without printing them", async function () {
    const dir = await mkdtemp(join(tmpdir(), "cfl-redact-cli-"));
    const path = join(dir, "cfl.config.json");
    await writeFile(path, JSON.stringify({ rpcUrl: "http://user:s3cret@127.0.0.1:1/?apikey=k3yk3yk3y" }));
    const run = await runCli(
      [
        "deploy",
        "--config",
        path,
        "--governors",
        "0x00000000000000000000000000000000000000aa",
        "--quorum",
        "1",
      ],
      { env: { CFL_PRIVATE_KEY: KEY } },
    );
    expect(run.code).to.equal(2);
    const lines = run.stderr.trimEnd().split("\n");
    expect(lines, run.stderr).to.have.length(1);
    expect(lines[0]).to.match(/^error: /);
    expect(lines[0]).to.include("rpcUrl http://***:***@127.0.0.1:1/");
    for (const secret of ["s3cret", "k3yk3yk3y", KEY.slice(2)]) expect(run.stderr).to.not.include(secret);
  });
});
