/**
 * `crawl --out FILE`: the items read, written as they come, in the format the file's extension names.
 */
import type { FileSink } from "bun";
import { UsageError } from "./args.ts";

export interface ItemWriter {
  write(row: Record<string, unknown>): void;
  close(): Promise<void>;
}

export function openItemWriter(path: string, columns: readonly string[]): ItemWriter {
  const format = /\.(jsonl|ndjson|json|csv)$/i.exec(path)?.[1]?.toLowerCase();
  if (!format) throw new UsageError(`--out: '${path}' must end in .jsonl, .json or .csv (the format is taken from it)`);
  let sink: FileSink;
  try {
    sink = Bun.file(path).writer({ highWaterMark: 1 << 16 });
  } catch (e) {
    throw new UsageError(`--out: cannot write '${path}': ${e instanceof Error ? e.message : String(e)}`);
  }
  let first = true;
  if (format === "json") sink.write("[");
  if (format === "csv") sink.write(`${columns.map(csvCell).join(",")}\r\n`);
  return {
    write(row) {
      if (format === "csv") sink.write(`${columns.map((c) => csvCell(row[c])).join(",")}\r\n`);
      else if (format === "json") sink.write(`${first ? "\n" : ",\n"}${JSON.stringify(row)}`);
      else sink.write(`${JSON.stringify(row)}\n`);
      first = false;
    },
    async close() {
      if (format === "json") sink.write(first ? "]\n" : "\n]\n");
      await sink.end();
    },
  };
}

/** RFC 4180: quoted when needed; a list (a `many` attr) as its JSON text, so nothing is lost. */
function csvCell(value: unknown): string {
  const text = value === null || value === undefined ? "" : typeof value === "string" ? value : JSON.stringify(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}
