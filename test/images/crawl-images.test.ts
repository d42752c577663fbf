/**
 * Item images through a real crawl: downloaded only for items that will be stored, shared files stored once,
 * mandatory and optional failures, dry runs, deletion with the items, and `images verify`.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { FsBlobStore } from "../../cli/fs-blob-store.ts";
import { loadPhoton } from "../../cli/photon.ts";
import { Fetcher } from "../../src/fetch/fetcher.ts";
import { deleteItems } from "../../src/db/items.ts";
import { imageFileName } from "../../src/images/keys.ts";
import { parseImageSettings, type ImageSettingsInput } from "../../src/images/settings.ts";
import { runCrawlJob } from "../../src/jobs/crawl-job.ts";
import { storedDefinitions } from "../../src/jobs/definitions.ts";
import type { LogRecord } from "../../src/jobs/log.ts";
import type { BundleInput } from "../../src/model/bundle.ts";
import { runOptionsSchema } from "../../src/model/run-options.ts";
import { systemClock } from "../../src/ports.ts";
import type { Database } from "../../src/db/connect.ts";
import { runCli } from "../support/cli.ts";
import { picturesBundle, store as storeBundle, storedItems, TEST_FETCH } from "../support/crawl.ts";
import { html, startSite } from "../support/site.ts";
import { tempDatabase, tempDir } from "../support/temp.ts";
import { gradient, jpeg, pixels, png } from "./encoders.ts";

const PNG_600x400 = await png(600, 400, pixels(600, 400, gradient(600, 400)));
const JPEG_300x300 = jpeg(300, 300, pixels(300, 300, gradient(300, 300)));

const site = startSite({
  "/img/a.png": { body: PNG_600x400, type: "image/png" },
  "/img/b.jpg": { body: JPEG_300x300, type: "image/jpeg" },
  "/img/broken.png": { body: PNG_600x400.slice(0, 300), type: "image/png" },
});
afterAll(() => site.close());

let n = 0;
function products(rows: { name: string; img?: string; title?: boolean }[], mandatoryImage = true): { bundle: BundleInput; path: string } {
  const path = `/list${++n}`;
  site.set(
    path,
    html(rows.map((r) => `<div class="p">${r.title === false ? "" : `<h2>${r.name}</h2>`}${r.img ? `<img src="${r.img}">` : ""}</div>`).join("")),
  );
  return { path, bundle: picturesBundle(`${site.url}${path}`, mandatoryImage) };
}

async function crawl(database: Database, dir: string, settings: ImageSettingsInput = {}, options: Record<string, unknown> = {}) {
  const logs: LogRecord[] = [];
  const rows: Record<string, unknown>[] = [];
  const job = await runCrawlJob(
    {
      database,
      fetcher: new Fetcher(TEST_FETCH),
      clock: systemClock,
      env: { timeZone: "UTC", now: () => new Date() },
      log: { level: "DEBUG", limit: 1000, sink: (r) => logs.push(r) },
      conditionalRequests: false,
      onRow: (r) => rows.push(r),
      images: { store: new FsBlobStore(dir), settings: parseImageSettings(settings), photon: loadPhoton },
    },
    await storedDefinitions(database, "p"),
    runOptionsSchema.parse(options),
    { scheduled: false, updateSchedule: false },
    new AbortController().signal,
  );
  return { job: job as typeof job & { stats: { items: { saved: number; dropped: Record<string, number> } } }, logs, rows };
}

function files(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, prefix: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name), `${prefix}${e.name}/`);
      else out.push(`${prefix}${e.name}`);
    }
  };
  walk(dir, "");
  return out.sort();
}

const A = `${site.url}/img/a.png`;
const B = `${site.url}/img/b.jpg`;

describe("item images in a crawl", () => {
  test("stored once per image, named by the SHA-1 of the URL, in the configured layout; the item holds the file name", async () => {
    const { bundle } = products([{ name: "one", img: "/img/a.png" }, { name: "two", img: "/img/a.png" }, { name: "three", img: "/img/b.jpg" }]);
    const database = await tempDatabase();
    await storeBundle(database, bundle);
    const dir = tempDir();
    const before = site.count("/img/a.png");
    const { job, rows } = await crawl(database, dir, { format: "ALL", thumbs: { small: [170, 170] } });
    expect(job.stats.items.saved).toBe(3);
    expect(site.count("/img/a.png") - before).toBe(1);
    const a = await imageFileName(A);
    const b = await imageFileName(B);
    expect(files(dir)).toEqual([`full/${a}`, `full/${b}`, `thumbs/small/${a}`, `thumbs/small/${b}`].sort());
    expect((await storedItems(database)).map((i) => i.picture).sort()).toEqual([a, a, b].sort());
    expect(rows.map((r) => r.picture).sort()).toEqual([a, a, b].sort());
    const refs = (await database.client.execute("SELECT item_id, key FROM item_images ORDER BY key, item_id")).rows.map((r) => r.key);
    expect(refs).toEqual([`full/${a}`, `full/${a}`, `full/${b}`, `thumbs/small/${a}`, `thumbs/small/${a}`, `thumbs/small/${b}`].sort());
  });

  test("an image already in the store is not downloaded again (a second run, another source)", async () => {
    const dir = tempDir();
    const first = products([{ name: "x", img: "/img/b.jpg" }]);
    const db1 = await tempDatabase();
    await storeBundle(db1, first.bundle);
    await crawl(db1, dir);
    const before = site.count("/img/b.jpg");
    const second = products([{ name: "y", img: "/img/b.jpg" }]);
    const db2 = await tempDatabase();
    await storeBundle(db2, second.bundle);
    const { job } = await crawl(db2, dir);
    expect(job.stats.items.saved).toBe(1);
    expect(site.count("/img/b.jpg")).toBe(before);
  });

  test("a failed mandatory image drops its item with the reason; an optional one is saved without it", async () => {
    const rows = [{ name: "good", img: "/img/a.png" }, { name: "corrupt", img: "/img/broken.png" }, { name: "gone", img: "/img/nope.png" }];
    const mandatory = products(rows, true);
    const db1 = await tempDatabase();
    await storeBundle(db1, mandatory.bundle);
    const { job, logs } = await crawl(db1, tempDir());
    expect(job.stats.items.saved).toBe(1);
    expect(job.stats.items.dropped).toEqual({ "image picture failed": 2 });
    expect(logs.some((l) => l.level === "WARNING" && l.msg.includes("broken.png") && l.msg.includes("corrupt"))).toBe(true);
    expect(logs.some((l) => l.msg.includes("nope.png") && l.msg.includes("HTTP 404"))).toBe(true);
    expect((await storedItems(db1)).map((i) => i.name)).toEqual(["good"]);

    const optional = products(rows, false);
    const db2 = await tempDatabase();
    await storeBundle(db2, optional.bundle);
    const second = await crawl(db2, tempDir());
    expect(second.job.stats.items.saved).toBe(3);
    const byName = Object.fromEntries((await storedItems(db2)).map((i) => [i.name, i.picture]));
    expect(byName).toEqual({ good: await imageFileName(A), corrupt: null, gone: null });
  });

  test("no image is fetched for a dropped item, nor in a dry run (rows then hold the absolute URL)", async () => {
    const { bundle } = products([{ name: "untitled", img: "/img/never1.png", title: false }, { name: "dry", img: "/img/never2.png" }]);
    site.set("/img/never1.png", { body: PNG_600x400, type: "image/png" });
    site.set("/img/never2.png", { body: PNG_600x400, type: "image/png" });
    const database = await tempDatabase();
    await storeBundle(database, bundle);
    const dir = tempDir();
    const { job, rows } = await crawl(database, dir, {}, { dry_run: true });
    expect(job.stats.items.dropped).toEqual({ "missing mandatory name": 1 });
    expect(rows).toEqual([{ name: "dry", picture: `${site.url}/img/never2.png` }]);
    expect(site.count("/img/never1.png") + site.count("/img/never2.png")).toBe(0);
    expect(files(dir)).toEqual([]);
  });

  test("FLAT with a thumbnail size: the thumbnail replaces the original at the root", async () => {
    const { bundle } = products([{ name: "flat", img: "/img/a.png" }]);
    const database = await tempDatabase();
    await storeBundle(database, bundle);
    const dir = tempDir();
    await crawl(database, dir, { thumbs: { small: [170, 170] } });
    const name = await imageFileName(A);
    expect(files(dir)).toEqual([name]);
    const photon = await loadPhoton();
    const stored = photon.PhotonImage.new_from_byteslice(new Uint8Array(await Bun.file(join(dir, name)).arrayBuffer()));
    expect([stored.get_width(), stored.get_height()]).toEqual([170, 113]);
    stored.free();
  });
});

describe("deleting items deletes their images", () => {
  test("with the item, unless another item still uses the same image", async () => {
    const { bundle } = products([{ name: "one", img: "/img/a.png" }, { name: "two", img: "/img/a.png" }, { name: "three", img: "/img/b.jpg" }]);
    const database = await tempDatabase();
    await storeBundle(database, bundle);
    const dir = tempDir();
    await crawl(database, dir);
    const store = new FsBlobStore(dir);
    const ids = Object.fromEntries((await database.client.execute("SELECT id, json_extract(data, '$.name') AS name FROM items")).rows.map((r) => [r.name, Number(r.id)]));
    const a = await imageFileName(A);
    const b = await imageFileName(B);

    expect(await deleteItems(database, store, [ids.one!])).toEqual({ items: 1, files: [] });
    expect(files(dir)).toEqual([a, b].sort());
    expect(await deleteItems(database, store, [ids.two!, ids.three!])).toEqual({ items: 2, files: expect.arrayContaining([a, b]) });
    expect(files(dir)).toEqual([]);
    const left = await database.client.execute("SELECT (SELECT count(*) FROM items) i, (SELECT count(*) FROM item_images) r, (SELECT count(*) FROM scheduler_runtimes WHERE runtime_type = 'C') c");
    expect({ ...left.rows[0] }).toMatchObject({ i: 0, r: 0, c: 0 });
  });
});

describe("dscraper images verify", () => {
  test("reports orphan and missing files; --fix removes the orphans", async () => {
    const cwd = tempDir();
    const { bundle } = products([{ name: "kept", img: "/img/b.jpg" }, { name: "lost", img: "/img/a.png" }]);
    writeFileSync(join(cwd, "b.json"), JSON.stringify(bundle));
    const flags = ["--delay-ms", "0", "--ignore-robots", "--per-host", "4"];
    expect((await runCli(["crawl", "p", "--bundle", "b.json", ...flags], { cwd })).code).toBe(0);
    const images = join(cwd, "data/images");
    const a = await imageFileName(A);
    const b = await imageFileName(B);
    expect(files(images)).toEqual([a, b].sort());
    await Bun.write(join(images, "orphan.jpg"), "x");
    await Bun.file(join(images, a)).delete();

    const report = await runCli(["images", "verify", "--json"], { cwd });
    expect(report.code).toBe(1);
    expect(JSON.parse(report.stdout)).toEqual({ files: 2, references: 2, orphans: ["orphan.jpg"], missing: [{ item_id: 2, key: a }], removed: [] });
    const fixed = await runCli(["images", "verify", "--fix"], { cwd });
    expect(fixed.stdout).toContain("1 orphan file (no item uses them), removed:");
    expect(fixed.stdout).toContain(`1 missing file (items refer to them):\n  ${a} (item 2)`);
    expect(files(images)).toEqual([b]);
  });
});
