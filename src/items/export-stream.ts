/**
 * @module
 * An item export as a byte stream (the API's `GET /api/items/export`): JSON Lines, or CSV with its header. It is
 * pull-based: each read of the consumer fetches one keyset page from the database, so memory holds one page
 * whatever the number of items, and a consumer that stops (a client that hangs up) stops the reads.
 */
import type { Database } from "../db/connect.ts";
import { itemsAfter, type ItemFilter } from "../db/items.ts";
import { itemCsvHeader, itemCsvRow, itemJsonLine } from "./rows.ts";
import { EXPORT_PAGE_SIZE } from "./stream.ts";

export type ExportFormat = { format: "jsonl" } | { format: "csv"; columns: readonly string[] };

export function itemExportStream(database: Database, filter: ItemFilter, as: ExportFormat, pageSize = EXPORT_PAGE_SIZE): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let after = 0;
  let header = as.format === "csv" ? itemCsvHeader(as.columns) : "";
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const page = await itemsAfter(database, filter, after, pageSize);
        if (page.length === 0) {
          if (header) controller.enqueue(encoder.encode(header));
          controller.close();
          return;
        }
        after = page[page.length - 1]!.id;
        const text = as.format === "csv" ? page.map((item) => itemCsvRow(item, as.columns)).join("") : page.map(itemJsonLine).join("");
        controller.enqueue(encoder.encode(header + text));
        header = "";
      },
    },
    // Nothing is read ahead of the consumer.
    { highWaterMark: 0 },
  );
}
