/**
 * Two sources of one class, "many" with 100,000 items and "few" with 2,000, about 1 KB of data each: what the
 * streaming exports' memory tests compare (100 MB that an export holding its items would need).
 */
import { createClient } from "@libsql/client";
import type { BundleInput } from "../../src/model/bundle.ts";

export const MANY = 100_000;
export const FEW = 2_000;

export const MANY_AND_FEW: BundleInput = {
  classes: [{ name: "Row", attrs: [{ name: "base", attr_type: "B" }, { name: "text", attr_type: "S", id_field: true }, { name: "body", attr_type: "S" }] }],
  scrapers: [{ name: "rows", class: "Row", page_types: [{ page_type: "MP" }], elems: [{ attr: "base", x_path: "//div" }, { attr: "text", x_path: "p/text()" }] }],
  sources: [
    { name: "many", url: "http://127.0.0.1:9/many/", scraper: "rows" },
    { name: "few", url: "http://127.0.0.1:9/few/", scraper: "rows" },
  ],
};

/** Writes the items of the database at `url`, which has MANY_AND_FEW imported: by SQL, as a crawl would take minutes. */
export async function fillManyAndFew(url: string): Promise<void> {
  const client = createClient({ url });
  try {
    const fill = (source: number, count: number) => `
      WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${count})
      INSERT INTO items (class_id, source_id, unique_key, url, data, created_at, updated_at)
      SELECT 1, ${source}, '${source}-' || i, 'http://x/' || i,
             json_object('text', 'row ' || i, 'body', replace(hex(zeroblob(500)), '00', 'ab')),
             1700000000000 + i, 1700000000000 + i
      FROM n`;
    await client.execute(fill(1, MANY));
    await client.execute(fill(2, FEW));
  } finally {
    client.close();
  }
}
