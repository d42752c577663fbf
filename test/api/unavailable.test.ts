/**
 * What the API answers when something it depends on fails, on a real server: a database whose write lock another
 * process holds past the busy timeout, and an image store that fails under a delete. Each is a 503 naming the
 * failure in one line (never the SQL or its parameters, never "internal error"); reads go on meanwhile.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { connectDatabase } from "../../cli/database.ts";
import type { Database } from "../../src/db/connect.ts";
import { errorOf, startApi, type ApiServer } from "../support/api.ts";
import { QUOTE_CLASS, QUOTE_SCRAPER, QUOTE_SOURCE, seedItems } from "../support/api-fixtures.ts";
import { startHolder } from "../support/db-holder.ts";
import { tempDir } from "../support/temp.ts";

let api: ApiServer;
let database: Database;
let dbPath: string;

beforeAll(async () => {
  dbPath = join(tempDir(), "api.db");
  database = await connectDatabase(`file:${dbPath}`, undefined, { busyTimeoutMs: 300 });
  api = await startApi({ database, settings: { rateLimit: 0 } });
});
afterAll(async () => {
  await api.close();
  database.close();
});

describe("a database locked by another writer", () => {
  test("a write answers 503 naming the lock and how long it waited, in one line; reads go on; the write goes through once the lock is free", async () => {
    const holder = startHolder(dbPath);
    await holder.hold();
    try {
      const before = api.lines.length;
      const response = await api.send("POST", "/api/classes", QUOTE_CLASS);
      expect(response.status).toBe(503);
      const text = await response.text();
      for (const leak of ["INSERT", "Failed query", "params", "Quote"]) expect(text).not.toContain(leak);
      const error = (JSON.parse(text) as { error: { code: string; message: string; issues: unknown[] } }).error;
      expect(error.code).toBe("unavailable");
      expect(error.issues).toEqual([]);
      expect(error.message).toMatch(new RegExp(`^database ${dbPath.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")} is locked by another writer \\(waited [\\d.]+ s\\)$`));
      // An expected failure: the access line says 503, and no internal error is logged.
      expect(api.lines.slice(before).map((l) => [l.msg, l.status])).toEqual([["request", 503]]);

      const read = await api.fetch("/api/classes");
      expect(read.status).toBe(200);
      expect(((await read.json()) as { total: number }).total).toBe(0);
    } finally {
      await holder.release();
      await holder.stop();
    }
    expect((await api.send("POST", "/api/classes", QUOTE_CLASS)).status).toBe(201);
  });
});

describe("an image store that fails", () => {
  test("deleting an item whose image file the store cannot delete: 503 with code image_store and the store's reason, in one line", async () => {
    expect((await api.send("POST", "/api/scrapers", QUOTE_SCRAPER)).status).toBe(201);
    const source = (await (await api.send("POST", "/api/sources", QUOTE_SOURCE)).json()) as { id: number };
    const classId = Number((await database.client.execute("SELECT id FROM classes WHERE name = 'Quote'")).rows[0]!.id);
    await seedItems(database, { classId, sourceId: source.id }, ["kept"], { store: api.images, prefix: "q" });
    const [item] = ((await (await api.fetch("/api/items")).json()) as { items: { id: number }[] }).items;
    // An image reference whose file name the file system refuses (ENAMETOOLONG): the folder store fails to delete it.
    await database.client.execute({ sql: "INSERT INTO item_images (item_id, key) VALUES (?, ?)", args: [item!.id, `${"x".repeat(300)}.jpg`] });

    const response = await api.fetch(`/api/items/${item!.id}`, { method: "DELETE" });
    expect(response.status).toBe(503);
    const error = await errorOf(response);
    expect(error.code).toBe("image_store");
    expect(error.message).toStartWith("the image store failed: ");
    expect(error.message).toContain("ENAMETOOLONG");
    expect(error.message).not.toContain("\n");
  });
});
