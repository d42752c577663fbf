/**
 * Rows written as they come to `--out FILE` (or stdout), in JSON Lines, one JSON array, or CSV: `crawl --out`
 * writes the items read, `items` the stored items. A file is replaced whole once the rows are complete.
 */
import { csvLine } from "../src/items/csv.ts";
import { UsageError } from "./args.ts";
import { atomicFile, type TextOutput } from "./atomic-file.ts";

export const OUT_FORMATS = ["jsonl", "json", "csv"] as const;
export type OutFormat = (typeof OUT_FORMATS)[number];

/** The format a file name's extension names (`.jsonl`/`.ndjson`, `.json`, `.csv`), or undefined. */
export function formatOfPath(path: string): OutFormat | undefined {
  const ext = /\.(jsonl|ndjson|json|csv)$/i.exec(path)?.[1]?.toLowerCase();
  return ext === "ndjson" ? "jsonl" : (ext as OutFormat | undefined);
}

export interface RowWriter<R> {
  write(row: R): void;
  /** Lets the buffer go to the system when it has grown (await it between batches). */
  drain(): Promise<void>;
  /** All rows written: the output is complete (a file replaces the old one). */
  close(): Promise<void>;
  /** The rows are not wanted after all: an existing file stays as it was. */
  abort(): Promise<void>;
}

export interface RowEncoding<R> {
  /** CSV: the header line and one line per row. */
  csvHeader: string;
  csvRow(row: R): string;
  /** JSON Lines: one line per row (default: the row as JSON). */
  jsonLine?(row: R): string;
}

export function rowWriter<R>(output: TextOutput, format: OutFormat, encoding: RowEncoding<R>): RowWriter<R> {
  let first = true;
  if (format === "json") output.write("[");
  if (format === "csv") output.write(encoding.csvHeader);
  return {
    write(row) {
      if (format === "csv") output.write(encoding.csvRow(row));
      else if (format === "json") output.write(`${first ? "\n" : ",\n"}${JSON.stringify(row)}`);
      else output.write(encoding.jsonLine ? encoding.jsonLine(row) : `${JSON.stringify(row)}\n`);
      first = false;
    },
    drain: () => output.drain(),
    async close() {
      if (format === "json") output.write(first ? "]\n" : "\n]\n");
      await output.commit();
    },
    abort: () => output.abort(),
  };
}

/** `crawl --out FILE`: flat rows of the saved attrs, the format taken from the extension. */
export function openItemWriter(path: string, columns: readonly string[]): RowWriter<Record<string, unknown>> {
  const format = formatOfPath(path);
  if (!format) throw new UsageError(`--out: '${path}' must end in .jsonl, .json or .csv (the format is taken from it)`);
  return rowWriter(atomicFile(path), format, { csvHeader: csvLine(columns), csvRow: (row) => csvLine(columns.map((c) => row[c])) });
}
