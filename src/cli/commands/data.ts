/**
 * `cfl data`: a member's own records. `infer-schema` drafts a task's data schema from a file for a person
 * to review; `check` reads a file under a schema and prints what it holds, or the first bad cell with its
 * file, line and column. Neither touches the chain.
 */
import { Command, Option } from "commander";
import { writeFile } from "node:fs/promises";
import {
  inferSchema,
  scanRecords,
  readSchemaFile,
  schemaHash,
  type DataSchema,
  type RecordSource,
} from "../../data/index.js";

interface SourceOptions {
  format?: "csv" | "jsonl";
  delimiter?: string;
}

function withSourceOptions(command: Command): Command {
  return command
    .addOption(
      new Option("--format <format>", "file format (default: from the extension)").choices(["csv", "jsonl"]),
    )
    .option("--delimiter <char>", "CSV delimiter", ",");
}

function sourceOf(path: string, opts: SourceOptions): RecordSource {
  return { path, format: opts.format, delimiter: opts.delimiter };
}

/** Prints a summary of a checked file (shared by `cfl data check` and `cfl member check-data`). */
export async function checkDataFile({
  source,
  schema,
}: {
  source: RecordSource;
  schema: DataSchema;
}): Promise<void> {
  const { summary } = await scanRecords({ source, schema });
  process.stdout.write(JSON.stringify({ schemaHash: schemaHash(schema), ...summary }, null, 2) + "\n");
}

export function registerDataCommands(program: Command): void {
  const data = program.command("data").description("a member's own records: draft a schema, check a file");

  withSourceOptions(
    data
      .command("infer-schema")
      .description(
        "draft a data schema from a file (types, categories, classes, scaling) for a person to review; prints JSON",
      )
      .argument("<file>", "a CSV (with a header) or JSON Lines file")
      .requiredOption("--label <column>", "the column to predict"),
  )
    .option("--out <file>", "write the schema here instead of stdout")
    .action(async (file: string, opts: SourceOptions & { label: string; out?: string }) => {
      const { schema, rows, notes } = await inferSchema({ source: sourceOf(file, opts), label: opts.label });
      const json = JSON.stringify(schema, null, 2) + "\n";
      if (opts.out) await writeFile(opts.out, json, { flag: "wx" });
      else process.stdout.write(json);
      process.stderr.write(`${rows} rows read; schema hash ${schemaHash(schema)}\n`);
      for (const note of notes) process.stderr.write(`note: ${note}\n`);
    });

  withSourceOptions(
    data
      .command("check")
      .description("check a file against a schema and print rows, class balance and feature ranges")
      .argument("<file>", "a CSV (with a header) or JSON Lines file")
      .requiredOption("--schema <file>", "the task's data schema (JSON)"),
  ).action(async (file: string, opts: SourceOptions & { schema: string }) => {
    await checkDataFile({ source: sourceOf(file, opts), schema: await readSchemaFile(opts.schema) });
  });
}
