/**
 * One error-code style across the product: every error class's code is kebab-case, whether declared as a
 * `...ErrorCode` union or as a class's fixed `code`. Read from the sources, so a new error class is
 * covered without touching this test.
 */
import { expect } from "chai";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";

const SRC = join(import.meta.dirname, "..", "..", "src");
const KEBAB = /^[a-z0-9]+(-[a-z0-9]+)*$/;

async function sources(): Promise<{ file: string; text: string }[]> {
  const entries = await readdir(SRC, { recursive: true, withFileTypes: true });
  const files = entries
    .filter((e) => e.isFile() && e.name.endsWith(".ts"))
    .map((e) => join(e.parentPath, e.name));
  return Promise.all(files.map(async (file) => ({ file, text: await readFile(file, "utf8") })));
}

describe("error codes", function () {
  it("are kebab-case in every error-code union and every fixed error code", async function () {
    const offenders: string[] = [];
    let seen = 0;
    for (const { file, text } of await sources()) {
      for (const union of text.matchAll(/export type \w+ErrorCode =([^;]+);/g)) {
        for (const [, code] of union[1]!.matchAll(/"([^"]*)"/g)) {
          seen++;
          if (!KEBAB.test(code!)) offenders.push(`${file}: ${code}`);
        }
      }
      for (const [, code] of text.matchAll(/readonly code = "([^"]*)"/g)) {
        seen++;
        if (!KEBAB.test(code!)) offenders.push(`${file}: ${code}`);
      }
    }
    expect(seen, "error codes found").to.be.greaterThan(50);
    expect(offenders).to.deep.equal([]);
  });
});
