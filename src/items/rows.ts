/**
 * @module
 * Items as export rows, for every surface that streams them (the `items` command, the API's export): one JSON line
 * per item, or CSV with a header of the item's fields around one column per saved attr. Pure and platform-free.
 */
import type { Attr } from "../model/attr.ts";
import type { Item } from "../model/item.ts";
import { csvLine } from "./csv.ts";

export function itemJsonLine(item: Item): string {
  return `${JSON.stringify(item)}\n`;
}

const BEFORE = ["id", "class", "source", "url"] as const;
const AFTER = ["images", "created_at", "updated_at"] as const;
const FIXED: ReadonlySet<string> = new Set([...BEFORE, ...AFTER]);

/** The attrs that get a CSV column: those saved with an item (not the BASE), in the class's `order`. */
export function itemCsvColumns(attrs: readonly Attr[]): string[] {
  return attrs
    .map((attr, position) => ({ attr, position }))
    .filter(({ attr }) => attr.attr_type !== "B" && attr.save_to_db)
    .sort((a, b) => a.attr.order - b.attr.order || a.position - b.position)
    .map(({ attr }) => attr.name);
}

/**
 * `id,class,source,url,<attrs>,images,created_at,updated_at`. An attr named like one of the item's own fields (a
 * DETAIL_PAGE_URL attr called `url` is common) is headed `data.url`, so that no two columns share a name.
 */
export function itemCsvHeader(columns: readonly string[]): string {
  return csvLine([...BEFORE, ...columns.map((c) => (FIXED.has(c) ? `data.${c}` : c)), ...AFTER]);
}

/** A `many` value and `images` are JSON arrays in their cells. */
export function itemCsvRow(item: Item, columns: readonly string[]): string {
  return csvLine([item.id, item.class, item.source, item.url, ...columns.map((c) => item.data[c]), item.images, item.created_at, item.updated_at]);
}
