/**
 * @module
 * Stored items for an export, streamed: a page at a time in id order, so memory holds one page whether there are
 * ten items or a million.
 */
import type { Database } from "../db/connect.ts";
import { itemsAfter, type ItemFilter } from "../db/items.ts";
import type { Item } from "../model/item.ts";

export const EXPORT_PAGE_SIZE = 500;

export async function* itemPages(database: Database, filter: ItemFilter, pageSize = EXPORT_PAGE_SIZE): AsyncGenerator<Item[]> {
  let after = 0;
  for (;;) {
    const page = await itemsAfter(database, filter, after, pageSize);
    if (page.length === 0) return;
    yield page;
    after = page[page.length - 1]!.id;
  }
}
