/**
 * A member's own records under a task's data schema: every bad input stops with its file, line and
 * column before training; good files encode as the schema says; a large file streams in bounded memory;
 * `cfl data` prints one `error:` line and exits 2 on bad data.
 */
import { execFile } from "node:child_process";
import { createWriteStream } from "node:fs";
import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { expect } from "chai";
import {
  DataError,
  inferSchema,
  scanRecords,
  schemaHash,
  schemaInputShape,
  validateSchema,
  type DataErrorCode,
  type DataSchema,
} from "../../src/data/index.js";

const run = promisify(execFile);
const AI4I = join(import.meta.dirname, "..", "..", "data", "ai4i2020.csv");

const SCHEMA: DataSchema = {
  version: 1,
  features: [
    { name: "temp", type: "numeric", centre: 300, spread: 2 },
    { name: "kind", type: "categorical", categories: ["L", "M", "H"] },
    { name: "worn", type: "boolean" },
  ],
  label: { column: "failure", classes: ["no", "yes"] },
  ignored: ["id"],
};
const HEADER = "id,temp,kind,worn,failure";

let dir: string;
before(async function () {
  dir = await mkdtemp(join(tmpdir(), "cfl-data-"));
});
after(async function () {
  await rm(dir, { recursive: true, force: true });
});

async function fileWith(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

async function refusal(path: string, delimiter?: string): Promise<DataError> {
  try {
    await scanRecords({ source: { path, delimiter }, schema: SCHEMA });
  } catch (error) {
    if (error instanceof DataError) return error;
    throw error;
  }
  throw new Error(`${path} was accepted`);
}

describe("own data: records under a schema", function () {
  it("encodes rows as the schema says: standardised numbers, one-hot categories, 0/1 booleans, class indices", async function () {
    const path = await fileWith("good.csv", `${HEADER}\n1,302,M,true,yes\n2,298,H,0,no\n`);
    const { summary, data } = await scanRecords({ source: { path }, schema: SCHEMA, keep: true });
    expect(summary.rows).to.equal(2);
    expect(summary.classCounts).to.deep.equal({ no: 1, yes: 1 });
    expect(summary.numeric["temp"]).to.deep.equal({ min: 298, max: 302, mean: 300 });
    expect(summary.counts["kind"]).to.deep.equal({ M: 1, H: 1 });
    expect(data!.featureShape).to.deep.equal([5]);
    expect([...data!.features]).to.deep.equal([1, 0, 1, 0, 1, -1, 0, 0, 1, 0]);
    expect([...data!.labels]).to.deep.equal([1, 0]);
  });

  it("reads JSON Lines with the same result", async function () {
    const path = await fileWith(
      "good.jsonl",
      '{"id":1,"temp":302,"kind":"M","worn":true,"failure":"yes"}\n\n{"id":2,"temp":298,"kind":"H","worn":false,"failure":"no"}\n',
    );
    const { data } = await scanRecords({ source: { path }, schema: SCHEMA, keep: true });
    expect([...data!.features]).to.deep.equal([1, 0, 1, 0, 1, -1, 0, 0, 1, 0]);
  });

  const BAD: [string, string, DataErrorCode, RegExp][] = [
    [
      "missing column",
      "id,temp,kind,failure\n1,300,L,no\n",
      "missing-column",
      /bad\.csv:1: column "worn": missing/,
    ],
    [
      "extra column",
      `${HEADER},site\n1,300,L,0,no,A\n`,
      "extra-column",
      /bad\.csv:1: column "site": is not in the schema/,
    ],
    [
      "non-number",
      `${HEADER}\n1,300,L,0,no\n2,abc,L,0,no\n`,
      "not-a-number",
      /bad\.csv:3: column "temp": "abc" is not a number/,
    ],
    [
      "NaN",
      `${HEADER}\n1,NaN,L,0,no\n`,
      "not-finite",
      /bad\.csv:2: column "temp": "NaN" is not a finite number/,
    ],
    ["Infinity", `${HEADER}\n1,-Infinity,L,0,no\n`, "not-finite", /bad\.csv:2: column "temp": "-Infinity"/],
    [
      "unknown category",
      `${HEADER}\n1,300,XL,0,no\n`,
      "unknown-category",
      /bad\.csv:2: column "kind": "XL" is not one of/,
    ],
    [
      "unknown class",
      `${HEADER}\n1,300,L,0,maybe\n`,
      "unknown-class",
      /bad\.csv:2: column "failure": "maybe" is not one of/,
    ],
    ["bad boolean", `${HEADER}\n1,300,L,2,no\n`, "not-a-boolean", /bad\.csv:2: column "worn": "2"/],
    ["empty cell", `${HEADER}\n1,,L,0,no\n`, "missing-value", /bad\.csv:2: column "temp": is empty/],
    ["short row", `${HEADER}\n1,300,L,0\n`, "field-count", /bad\.csv:2: 4 fields, the header has 5/],
    ["empty file", "", "empty-file", /bad\.csv: the file is empty/],
    ["header only", `${HEADER}\n`, "no-rows", /bad\.csv: the file has no data rows/],
    [
      "wrong delimiter",
      "id;temp;kind;worn;failure\n1;300;L;0;no\n",
      "wrong-delimiter",
      /bad\.csv:1: .*";" as its delimiter/,
    ],
  ];
  for (const [what, text, code, message] of BAD) {
    it(`refuses a file with a ${what}, naming file, line and column`, async function () {
      const error = await refusal(await fileWith("bad.csv", text));
      expect(error.code).to.equal(code);
      expect(error.message).to.match(message);
    });
  }

  it("refuses a JSON Lines line that is not an object, and a missing key, with the line", async function () {
    let error = await refusal(
      await fileWith("bad.jsonl", '{"id":1,"temp":300,"kind":"L","worn":0,"failure":"no"}\n[1,2]\n'),
    );
    expect([error.code, error.line]).to.deep.equal(["bad-json", 2]);
    error = await refusal(await fileWith("bad.jsonl", '{"id":1,"temp":300,"kind":"L","failure":"no"}\n'));
    expect([error.code, error.line, error.column]).to.deep.equal(["missing-column", 1, "worn"]);
  });

  it("streams a large file in bounded memory", async function () {
    this.timeout(120_000);
    const path = join(dir, "large.csv");
    const out = createWriteStream(path);
    const rows = 200_000;
    out.write(`${HEADER}\n`);
    for (let i = 0; i < rows; i++) {
      if (
        !out.write(
          `${i},${(295 + (i % 100) / 10).toFixed(1)},${"LMH"[i % 3]},${i % 2},${i % 7 === 0 ? "yes" : "no"}\n`,
        )
      )
        await new Promise<void>((resolve) => out.once("drain", () => resolve()));
    }
    await new Promise<void>((resolve) => out.end(() => resolve()));
    const bytes = (await stat(path)).size;
    // Live heap, sampled after a full collection, so garbage that the collector has not reached yet is not
    // counted as held memory.
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as () => void;
    gc();
    const before = process.memoryUsage().heapUsed;
    let peak = before;
    const timer = setInterval(() => {
      gc();
      peak = Math.max(peak, process.memoryUsage().heapUsed);
    }, 500);
    const { summary } = await scanRecords({ source: { path }, schema: SCHEMA });
    clearInterval(timer);
    gc();
    peak = Math.max(peak, process.memoryUsage().heapUsed);
    console.log(
      `      live heap growth ${((peak - before) / 2 ** 20).toFixed(2)} MiB reading ${(bytes / 2 ** 20).toFixed(1)} MiB`,
    );
    expect(summary.rows).to.equal(rows);
    // The file as one string would hold `bytes`, its rows as objects several times more; streaming holds a
    // window of a few chunks.
    expect(peak - before, `live heap growth while reading ${bytes} bytes`).to.be.below(bytes / 8);
  });

  it("refuses schemas with a duplicate column, an unknown type or a bad spread", function () {
    const bad = [
      { ...SCHEMA, features: [...SCHEMA.features, { name: "temp", type: "boolean" }] },
      { ...SCHEMA, features: [{ name: "x", type: "text" }] },
      { ...SCHEMA, features: [{ name: "x", type: "numeric", centre: 0, spread: 0 }] },
      { ...SCHEMA, label: { column: "failure", classes: ["only"] } },
      { ...SCHEMA, ignored: ["temp"] },
    ];
    for (const schema of bad)
      expect(() => validateSchema({ schema }), JSON.stringify(schema)).to.throw(DataError);
    expect(validateSchema({ schema: SCHEMA })).to.equal(SCHEMA);
  });

  it("hashes a schema canonically (key order does not matter, content does)", function () {
    const reordered = JSON.parse(
      `{"label":{"classes":["no","yes"],"column":"failure"},"ignored":["id"],"version":1,"features":${JSON.stringify(SCHEMA.features)}}`,
    ) as DataSchema;
    expect(schemaHash(reordered)).to.equal(schemaHash(SCHEMA));
    expect(schemaHash({ ...SCHEMA, ignored: [] })).not.to.equal(schemaHash(SCHEMA));
  });
});

describe("own data: time series (sequence key and order)", function () {
  const SERIES: DataSchema = {
    version: 1,
    features: [{ name: "vibration", type: "numeric", centre: 0, spread: 1 }],
    label: { column: "state", classes: ["ok", "wear"] },
    sequence: { key: "machine", order: "t", steps: 3 },
  };

  it("orders each key's rows and makes every run of steps rows one example, labelled by its last row", async function () {
    // Rows out of order and interleaved: a plant's export need not be sorted.
    const path = await fileWith(
      "series.csv",
      "machine,t,vibration,state\nA,3,3,wear\nB,1,10,ok\nA,1,1,ok\nA,2,2,ok\nB,2,20,ok\nA,4,4,wear\nC,1,7,ok\n",
    );
    const { summary, data } = await scanRecords({ source: { path }, schema: SERIES, keep: true });
    expect(summary.rows).to.equal(7);
    expect(summary.sequences).to.equal(3);
    // A: 4 rows → 2 windows; B: 2 rows and C: 1 row → none.
    expect(summary.windows).to.equal(2);
    expect(data!.featureShape).to.deep.equal([3, 1]);
    expect([...data!.features]).to.deep.equal([1, 2, 3, 2, 3, 4]);
    expect([...data!.labels]).to.deep.equal([1, 1]);
  });

  it("refuses an order that is not a number, or repeats within a key, naming the line", async function () {
    const bad = await fileWith("series-bad.csv", "machine,t,vibration,state\nA,1,1,ok\nA,soon,2,ok\n");
    let caught: unknown;
    await scanRecords({ source: { path: bad }, schema: SERIES, keep: true }).catch(
      (e: unknown) => (caught = e),
    );
    expect((caught as DataError).message).to.equal(
      'series-bad.csv:3: column "t": "soon" is not a finite number (the sequence order)',
    );
    const twice = await fileWith(
      "series-twice.csv",
      "machine,t,vibration,state\nA,1,1,ok\nB,1,1,ok\nA,1,2,ok\n",
    );
    caught = undefined;
    await scanRecords({ source: { path: twice }, schema: SERIES, keep: true }).catch(
      (e: unknown) => (caught = e),
    );
    expect((caught as DataError).code).to.equal("duplicate-order");
    expect((caught as DataError).message).to.match(
      /^series-twice\.csv:4: column "t": 1 repeats the order of line 2/,
    );
    expect(() =>
      validateSchema({ schema: { ...SERIES, sequence: { key: "machine", order: "t", steps: 1 } } }),
    ).to.throw(/sequence\.steps must be an integer from 2 to 1024/);
    expect(() =>
      validateSchema({ schema: { ...SERIES, sequence: { key: "vibration", order: "t", steps: 3 } } }),
    ).to.throw(/"vibration" is used twice/);
  });

  it("trains the model proposed for a time-series schema (an encoder per step, an LSTM) on the windows", async function () {
    const rows = ["machine,t,vibration,state"];
    for (let m = 0; m < 6; m++)
      for (let t = 0; t < 12; t++)
        rows.push(`M${m},${t},${(m % 2 ? 2 : -2) + Math.sin(t)},${m % 2 ? "wear" : "ok"}`);
    const path = await fileWith("series-train.csv", rows.join("\n") + "\n");
    const { data } = await scanRecords({ source: { path }, schema: SERIES, keep: true });
    const { defaultModelForSchema, initialParams, trainLocal } = await import("../../src/learning/index.js");
    const spec = defaultModelForSchema({ inputShape: schemaInputShape(SERIES), classes: 2, maxParams: 4096 });
    expect(spec.inputShape).to.deep.equal([3, 1]);
    expect(spec.layout.map((t) => t.name)).to.include("lstm/recurrent_kernel");
    const result = await trainLocal({
      spec,
      globalParams: initialParams({ spec, seed: 1 }),
      data: data!,
      policy: { epochs: 3, batchSize: 8, learningRate: 0.02 },
      seed: 1,
    });
    expect(result.metrics.samples).to.equal(6 * 10);
    expect(result.metrics.loss).to.be.lessThan(result.metrics.initialLoss);
  });
});

describe("own data: a schema drafted from AI4I 2020", function () {
  it("finds the classes, the product type's categories, the measurements, and leaves identifiers out", async function () {
    const { schema, rows, notes } = await inferSchema({ source: { path: AI4I }, label: "Machine failure" });
    expect(rows).to.equal(10_000);
    expect(schema.label.classes).to.deep.equal(["0", "1"]);
    expect(schema.ignored).to.deep.equal(["UDI", "Product ID"]);
    const byName = new Map(schema.features.map((f) => [f.name, f]));
    expect(byName.get("Type")).to.deep.equal({
      name: "Type",
      type: "categorical",
      categories: ["H", "L", "M"],
    });
    const torque = byName.get("Torque [Nm]");
    expect(torque?.type).to.equal("numeric");
    if (torque?.type === "numeric") {
      expect(torque.centre).to.be.closeTo(39.99, 0.01);
      expect(torque.range).to.deep.equal([3.8, 76.6]);
    }
    expect(byName.get("TWF")?.type).to.equal("boolean");
    expect(notes.join("\n")).to.match(/reveal the label/);
    // The drafted schema reads its own file back: 339 failures, as the data set documents.
    const { summary } = await scanRecords({ source: { path: AI4I }, schema });
    expect(summary.classCounts).to.deep.equal({ "0": 9661, "1": 339 });
  });
});

describe("cfl data", function () {
  this.timeout(60_000);
  async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    try {
      const { stdout, stderr } = await run("node", ["bin/cfl.js", ...args], { cwd: process.cwd() });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const e = error as { code?: number; stdout?: string; stderr?: string };
      return { code: e.code ?? -1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
    }
  }

  it("infer-schema drafts, check prints the summary, and bad data is one error line with exit 2", async function () {
    const schemaFile = join(dir, "ai4i.schema.json");
    const drafted = await cli([
      "data",
      "infer-schema",
      AI4I,
      "--label",
      "Machine failure",
      "--out",
      schemaFile,
    ]);
    expect(drafted.code, drafted.stderr).to.equal(0);
    const checked = await cli(["data", "check", AI4I, "--schema", schemaFile]);
    expect(checked.code, checked.stderr).to.equal(0);
    expect((JSON.parse(checked.stdout) as { rows: number }).rows).to.equal(10_000);

    const bad = await fileWith("bad-cli.csv", "UDI,Product ID,Type\n1,M1,L\n");
    const refused = await cli(["data", "check", bad, "--schema", schemaFile]);
    expect(refused.code).to.equal(2);
    expect(refused.stderr.trim().split("\n")).to.have.length(1);
    expect(refused.stderr).to.match(/^error: bad-cli\.csv:1: column "Air temperature \[K\]": missing/);
  });

  it("member check-data reads member.data from the config, paths relative to the config file", async function () {
    const configDir = await mkdtemp(join(dir, "member-"));
    await writeFile(join(configDir, "records.csv"), `${HEADER}\n1,301,L,no,no\n2,299,H,yes,yes\n`);
    await writeFile(join(configDir, "schema.json"), JSON.stringify(SCHEMA));
    const config = join(configDir, "cfl.config.json");
    const member = { dataset: "ai4i", partitionIndex: 0, residualDir: "residuals" };
    await writeFile(
      config,
      JSON.stringify({ member: { ...member, data: { path: "records.csv", schemaFile: "schema.json" } } }),
    );
    const checked = await cli(["member", "check-data", "--config", config]);
    expect(checked.code, checked.stderr).to.equal(0);
    expect(JSON.parse(checked.stdout)).to.include({ rows: 2, schemaHash: schemaHash(SCHEMA) });

    await writeFile(config, JSON.stringify({ member }));
    const missing = await cli(["member", "check-data", "--config", config]);
    expect([missing.code, missing.stderr.trim()]).to.deep.equal([
      2,
      "error: member.data { path, schemaFile } is required in the config",
    ]);
  });
});
