/** Definitions and stored items for the API's tests, written the way the pipeline writes them. */
import type { Database } from "../../src/db/connect.ts";
import { saveItems } from "../../src/db/items.ts";
import type { BlobStore } from "../../src/ports.ts";

export const QUOTE_CLASS = {
  name: "Quote",
  attrs: [
    { name: "base", attr_type: "B" },
    { name: "text", attr_type: "S", id_field: true },
    { name: "author_url", attr_type: "U" },
    { name: "photo", attr_type: "I" },
  ],
};

export const QUOTE_SCRAPER = {
  name: "quotes",
  class: "Quote",
  status: "ACTIVE",
  page_types: [{ page_type: "MP" }],
  elems: [
    { attr: "base", x_path: "//div[@class='quote']" },
    { attr: "text", x_path: "span[@class='text']/text()" },
    { attr: "author_url", x_path: "a/@href" },
  ],
  checkers: [{ attr: "author_url", checker_type: "404" }],
};

export const QUOTE_SOURCE = { name: "quotes", url: "http://127.0.0.1:9/quotes/", scraper: "quotes" };

export const QUOTES = { classes: [QUOTE_CLASS], scrapers: [QUOTE_SCRAPER], sources: [QUOTE_SOURCE] };

/**
 * Stores `count` items of a class and source, one batch, created at `at` (ids ascending in `texts` order), each
 * with an image file in `store` when given.
 */
export async function seedItems(
  database: Database,
  owner: { classId: number; sourceId: number },
  texts: readonly string[],
  options: { at?: Date; store?: BlobStore; prefix?: string } = {},
): Promise<void> {
  const at = options.at ?? new Date(Date.UTC(2025, 0, 1));
  const inserts = texts.map((text) => {
    const imageKeys = options.store ? [`${options.prefix ?? owner.sourceId}-${text.replace(/\W+/g, "_")}.jpg`] : [];
    return { key: `${owner.classId}:${owner.sourceId}:${text}`, url: `http://127.0.0.1:9/a/${encodeURIComponent(text)}`, data: { text, photo: imageKeys[0] ?? null }, imageKeys };
  });
  if (options.store) for (const p of inserts) for (const key of p.imageKeys) await options.store.put(key, new TextEncoder().encode(`image of ${p.data.text}`), "image/jpeg");
  await saveItems(database, { classId: owner.classId, sourceId: owner.sourceId, updates: [], inserts, checkersRunnable: false, firstCheckAt: at }, at);
}
