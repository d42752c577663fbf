/** Import semantics: upsert by name, children replaced whole, ids kept, items and runtimes untouched, all or nothing. */
import { describe, expect, test } from "bun:test";
import { exportBundle } from "../../src/bundle/export.ts";
import { bundleBytes, bundleValue, importBundle, importDefinitions, type BundleSource } from "../../src/bundle/import.ts";
import { ConflictError, ValidationError } from "../../src/errors.ts";
import type { BundleInput } from "../../src/model/bundle.ts";
import type { Clock } from "../../src/ports.ts";
import { dumpTables } from "../support/dump.ts";
import { DATABASE_BACKENDS } from "../support/temp.ts";

const clock: Clock = { now: () => new Date("2026-01-02T03:04:05Z") };

function bundle(): BundleInput & Required<Pick<BundleInput, "classes" | "scrapers" | "sources">> {
  return {
    classes: [
      {
        name: "Article",
        attrs: [
          { name: "base", attr_type: "B" },
          { name: "title", attr_type: "S", id_field: true },
          { name: "url", attr_type: "U" },
          { name: "body", attr_type: "T" },
        ],
      },
    ],
    scrapers: [
      {
        name: "news",
        class: "Article",
        status: "ACTIVE",
        page_types: [{ page_type: "MP" }, { page_type: "DP1", attr: "url" }],
        elems: [
          { attr: "base", x_path: "//article" },
          { attr: "title", x_path: "h2/text()" },
          { attr: "url", x_path: "a/@href" },
          { attr: "body", x_path: "//main/text()", page_type: "DP1" },
        ],
        checkers: [{ attr: "url" }],
      },
    ],
    sources: [{ name: "site", url: "http://127.0.0.1:1/news/", scraper: "news" }],
  };
}

type TestDatabase = Awaited<ReturnType<(typeof DATABASE_BACKENDS)[number]["open"]>>;

async function runtimeOf(database: TestDatabase, column: "source_id" | "item_id", id: number) {
  const r = await database.client.execute({ sql: `SELECT * FROM scheduler_runtimes WHERE ${column} = ?`, args: [id] });
  return r.rows[0];
}

async function addItem(database: TestDatabase): Promise<number> {
  const r = await database.client.execute(
    "INSERT INTO items (class_id, source_id, unique_key, url, data, created_at, updated_at) VALUES (1, 1, 'k1', 'http://x/1', '{\"title\":\"a\"}', 1, 1) RETURNING id",
  );
  const id = Number(r.rows[0]!.id);
  await database.client.execute({
    sql: "INSERT INTO scheduler_runtimes (runtime_type, item_id, runnable, next_action_time, next_action_factor, num_zero_actions, num_404) VALUES ('C', ?, 1, 12345, 2.5, 3, 1)",
    args: [id],
  });
  return id;
}

describe.each(DATABASE_BACKENDS)("importBundle on a $name database", ({ open: tempDatabase }) => {
  test("creates definitions and gives a new source its scraper runtime, due now", async () => {
    const database = await tempDatabase();
    const report = await importBundle(database, bundle(), clock);
    expect(report).toEqual({
      classes: { created: 1, updated: 0, unchanged: 0 },
      scrapers: { created: 1, updated: 0, unchanged: 0 },
      sources: { created: 1, updated: 0, unchanged: 0 },
    });
    expect(await runtimeOf(database, "source_id", 1)).toMatchObject({
      runtime_type: "S",
      runnable: 1,
      next_action_time: clock.now().getTime(),
      next_action_factor: null,
      num_zero_actions: 0,
    });
  });

  test("importing the same bundle twice changes nothing at all", async () => {
    const database = await tempDatabase();
    await importBundle(database, bundle(), clock);
    await addItem(database);
    const before = await dumpTables(database);
    const report = await importBundle(database, bundle(), { now: () => new Date("2030-01-01T00:00:00Z") });
    expect(report.classes).toEqual({ created: 0, updated: 0, unchanged: 1 });
    expect(report.scrapers).toEqual({ created: 0, updated: 0, unchanged: 1 });
    expect(report.sources).toEqual({ created: 0, updated: 0, unchanged: 1 });
    expect(await dumpTables(database)).toEqual(before);
  });

  test("upserts by name: ids kept, children replaced as a whole, items and runtimes untouched", async () => {
    const database = await tempDatabase();
    await importBundle(database, bundle(), clock);
    const itemId = await addItem(database);
    const itemBefore = (await database.client.execute("SELECT * FROM items")).rows;
    const sourceRuntimeBefore = await runtimeOf(database, "source_id", 1);
    const itemRuntimeBefore = await runtimeOf(database, "item_id", itemId);

    const changed = bundle();
    changed.classes[0]!.comments = "now with a date";
    changed.classes[0]!.attrs.push({ name: "date", attr_type: "S" });
    changed.scrapers[0]!.elems = [
      { attr: "base", x_path: "//div[@class='article']" },
      { attr: "title", x_path: "h3/text()" },
      { attr: "url", x_path: "a/@href" },
    ];
    changed.sources[0]!.url = "http://127.0.0.1:1/other/";
    const report = await importBundle(database, changed, clock);
    expect(report.classes.updated).toBe(1);
    expect(report.scrapers.updated).toBe(1);
    expect(report.sources.updated).toBe(1);

    const exported = await exportBundle(database);
    expect(exported.classes[0]!.attrs.map((a) => a.name)).toEqual(["base", "title", "url", "body", "date"]);
    expect(exported.scrapers[0]!.elems.map((e) => e.x_path)).toEqual(["//div[@class='article']", "h3/text()", "a/@href"]);
    const ids = (await database.client.execute("SELECT (SELECT id FROM classes) c, (SELECT id FROM scrapers) s, (SELECT id FROM sources) so")).rows[0];
    expect({ ...ids }).toMatchObject({ c: 1, s: 1, so: 1 });
    expect((await database.client.execute("SELECT * FROM items")).rows).toEqual(itemBefore);
    expect(await runtimeOf(database, "source_id", 1)).toEqual(sourceRuntimeBefore);
    expect(await runtimeOf(database, "item_id", itemId)).toEqual(itemRuntimeBefore);
  });

  test("is all or nothing: one invalid definition and nothing is written", async () => {
    const database = await tempDatabase();
    await importBundle(database, bundle(), clock);
    const before = await dumpTables(database);
    const bad = bundle();
    bad.classes.push({ name: "Other", attrs: [{ name: "base", attr_type: "B" }] });
    bad.classes[0]!.comments = "changed";
    bad.sources.push({ name: "second", url: "http://127.0.0.1:1/x", scraper: "missing" });
    const error = await importBundle(database, bad, clock).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues).toEqual([{ path: "sources[1].scraper", message: 'scraper "missing" does not exist' }]);
    expect(await dumpTables(database)).toEqual(before);
  });

  test("a bundle may refer to stored definitions by name", async () => {
    const database = await tempDatabase();
    await importBundle(database, bundle(), clock);
    const onlySource = { sources: [{ name: "mirror", url: "http://127.0.0.1:1/mirror/", scraper: "news" }] };
    expect((await importBundle(database, onlySource, clock)).sources.created).toBe(1);
    const onlyScraper = { scrapers: [{ ...bundle().scrapers[0]!, name: "news2" }] };
    expect((await importBundle(database, onlyScraper, clock)).scrapers.created).toBe(1);
    const missing = { scrapers: [{ ...bundle().scrapers[0]!, name: "news3", class: "Nope" }] };
    const error = await importBundle(database, missing, clock).catch((e: unknown) => e);
    expect((error as ValidationError).issues).toEqual([{ path: "scrapers[0].class", message: 'class "Nope" does not exist' }]);
  });

  test("a class change that a stored scraper would no longer fit is refused", async () => {
    const database = await tempDatabase();
    await importBundle(database, bundle(), clock);
    const before = await dumpTables(database);
    const cls = bundle().classes[0]!;
    const shrunk = { classes: [{ ...cls, attrs: cls.attrs.filter((a) => a.name !== "body") }] };
    const error = await importBundle(database, shrunk, clock).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues).toEqual([
      { path: "classes[0].attrs", message: 'stored scraper "news" would no longer fit: elems[3].attr class "Article" has no attr "body"' },
    ]);
    expect(await dumpTables(database)).toEqual(before);
    // the same change with the scraper updated alongside is fine
    const together = { classes: shrunk.classes, scrapers: [{ ...bundle().scrapers[0]!, elems: bundle().scrapers[0]!.elems!.slice(0, 3) }] };
    expect((await importBundle(database, together, clock)).classes.updated).toBe(1);
  });

  test("a scraper's status and a source's active flag decide whether their runtimes can come due", async () => {
    const database = await tempDatabase();
    await importBundle(database, bundle(), clock);
    const itemId = await addItem(database);
    const paused = bundle();
    paused.scrapers[0]!.status = "PAUSED";
    await importBundle(database, paused, clock);
    expect((await runtimeOf(database, "source_id", 1))!.runnable).toBe(0);
    expect((await runtimeOf(database, "item_id", itemId))!.runnable).toBe(0);
    await importBundle(database, bundle(), clock);
    expect((await runtimeOf(database, "source_id", 1))!.runnable).toBe(1);
    expect((await runtimeOf(database, "item_id", itemId))!.runnable).toBe(1);
    const inactive = bundle();
    inactive.sources[0]!.active = false;
    await importBundle(database, inactive, clock);
    expect((await runtimeOf(database, "source_id", 1))!.runnable).toBe(0);
    expect((await runtimeOf(database, "item_id", itemId))!.runnable).toBe(1);
    const noCheckers = bundle();
    noCheckers.scrapers[0]!.checkers = [];
    await importBundle(database, noCheckers, clock);
    expect((await runtimeOf(database, "item_id", itemId))!.runnable).toBe(0);
  });

  test("a bundle file whose bytes change between the check and the write is refused, nothing stored", async () => {
    const database = await tempDatabase();
    await importBundle(database, bundle(), clock);
    const before = await dumpTables(database);
    const changed = bundle();
    changed.scrapers[0]!.elems![1]!.x_path = "h3/text()";
    changed.sources[0]!.url = "http://127.0.0.1:1/moved/";
    // Three reads check it (classes, scrapers, sources); then it is edited, and the write reads the new bytes.
    let reads = 0;
    const edited = bundleBytes(async function* () {
      yield new TextEncoder().encode(JSON.stringify(++reads <= 3 ? bundle() : changed));
    });
    const error = await importDefinitions(database, edited, clock).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues).toEqual([{ path: "", message: "the bundle changed while it was being imported; nothing was stored" }]);
    expect(await dumpTables(database)).toEqual(before);
  });

  test("a stored class the bundle relies on, changed by another writer between the check and the write: refused, nothing stored", async () => {
    const database = await tempDatabase();
    await importBundle(database, bundle(), clock);
    const onlyScraper = { scrapers: [{ ...bundle().scrapers[0]!, name: "news2" }] };
    let changedMeanwhile = false;
    let before: Record<string, unknown[]> = {};
    const racing: BundleSource = {
      async each(kind, visit) {
        await bundleValue(onlyScraper).each(kind, visit);
        // After the check read the class (while no lock is held), another writer changes it.
        if (kind === "sources" && !changedMeanwhile) {
          changedMeanwhile = true;
          await database.client.execute("UPDATE classes SET definition = json_set(definition, '$.comments', 'changed meanwhile') WHERE name = 'Article'");
          before = await dumpTables(database);
        }
      },
    };
    const error = await importDefinitions(database, racing, clock).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConflictError);
    expect((error as Error).message).toBe('class "Article" was changed by another writer while the bundle was being imported; nothing was stored, run the import again');
    expect(await dumpTables(database)).toEqual(before);
  });

  test("lists every problem up to 100, then how many more", async () => {
    const database = await tempDatabase();
    const many = { sources: Array.from({ length: 150 }, (_, i) => ({ name: `s${i}`, url: "not a url", scraper: "news" })) };
    const error = (await importBundle(database, many, clock).catch((e: unknown) => e)) as ValidationError;
    expect(error.issues).toHaveLength(101);
    expect(error.issues[0]).toEqual({ path: "sources[0].url", message: "must be an absolute http(s) URL" });
    expect(error.issues[100]).toEqual({ path: "", message: "… and 50 more problems" });
  });
});
