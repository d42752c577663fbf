import { classByRef } from "../../src/db/classes.ts";
import { classesWithItems, type ItemFilter } from "../../src/db/items.ts";
import { loadSource, type ClassRow } from "../../src/db/definitions.ts";
import { itemCsvColumns, itemCsvHeader, itemCsvRow, itemJsonLine } from "../../src/items/rows.ts";
import { itemPages } from "../../src/items/stream.ts";
import type { Item } from "../../src/model/item.ts";
import type { Database } from "../../src/db/connect.ts";
import { UsageError } from "../args.ts";
import { atomicFile, standardOutput } from "../atomic-file.ts";
import { defineCommand } from "../command.ts";
import { formatOfPath, OUT_FORMATS, rowWriter, type OutFormat } from "../item-writer.ts";
import { collectAfterExportPage } from "../memory.ts";

export default defineCommand({
  name: "items",
  args: "",
  summary: "list or export the stored items (stdout, or --out FILE)",
  details: [
    "Items come in id order, streamed from the database. Formats: jsonl (one item per line, the default on stdout),",
    "json (one array; the default with --json) and csv (a header, then one column per saved attr of the class).",
    "With --out the format follows the file's extension (.jsonl, .json, .csv) unless --format is given, and the",
    "file is replaced only once it is complete. CSV columns are a class's attrs, so CSV over items of several",
    "classes needs --class.",
  ].join("\n"),
  positionals: [0, 0],
  flags: {
    class: { type: "string", value: "CLASS", help: "only items of this class (id or name)" },
    source: { type: "string", value: "SOURCE", help: "only items of this source (id or name)" },
    format: { type: "string", value: "FORMAT", help: "jsonl, json or csv" },
    out: { type: "string", value: "FILE", help: "write to FILE instead of stdout" },
  },
  async run(ctx) {
    const f = ctx.flags;
    const json = f.json === true;
    const format = outputFormat(f.format, f.out, json);
    const database = await ctx.database();
    const cls = f.class === undefined ? undefined : await classByRef(database, f.class);
    const source = f.source === undefined ? undefined : await loadSource(database, f.source);
    const filter: ItemFilter = { ...(cls ? { classId: cls.id } : {}), ...(source ? { sourceId: source.source.id } : {}) };
    const columns = format === "csv" ? itemCsvColumns((cls ?? (await csvClass(database, filter)) ?? source?.cls)?.definition.attrs ?? []) : [];
    const writer = rowWriter<Item>(f.out ? atomicFile(f.out) : standardOutput(), format, {
      csvHeader: itemCsvHeader(columns),
      csvRow: (item) => itemCsvRow(item, columns),
      jsonLine: itemJsonLine,
    });
    let count = 0;
    try {
      for await (const page of itemPages(database, filter)) {
        for (const item of page) writer.write(item);
        count += page.length;
        await writer.drain();
        collectAfterExportPage();
      }
    } catch (e) {
      await writer.abort();
      throw e;
    }
    await writer.close();
    if (f.out) {
      ctx.printJson({ out: f.out, format, items: count });
      ctx.print(`${count} item${count === 1 ? "" : "s"} written to ${f.out} (${format})`);
    }
  },
});

/** --format, else the extension of --out, else JSON for --json and JSON Lines otherwise. */
function outputFormat(flag: string | undefined, out: string | undefined, json: boolean): OutFormat {
  let format: OutFormat;
  if (flag !== undefined) {
    if (!(OUT_FORMATS as readonly string[]).includes(flag)) throw new UsageError(`--format must be one of ${OUT_FORMATS.join(", ")}, got '${flag}'`);
    format = flag as OutFormat;
  } else if (out !== undefined) {
    const fromPath = formatOfPath(out);
    if (!fromPath) throw new UsageError(`--out: '${out}' does not end in .jsonl, .json or .csv: give --format`);
    format = fromPath;
  } else format = json ? "json" : "jsonl";
  // On stdout, --json promises JSON.
  if (json && !out && format === "csv") throw new UsageError("--json prints JSON on stdout: drop --json for CSV, or write it with --out FILE");
  return format;
}

/** The class whose attrs are the CSV columns. Items of several classes have no one header: --class is needed. */
async function csvClass(database: Database, filter: ItemFilter): Promise<ClassRow | undefined> {
  const found = await classesWithItems(database, filter);
  if (found.length > 1) {
    throw new UsageError(`--format csv needs --class: the items are of ${found.length} classes (${found.map((c) => c.name).join(", ")}), and CSV columns are one class's attrs`);
  }
  return found[0];
}
