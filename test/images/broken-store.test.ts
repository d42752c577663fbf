/**
 * An image store that cannot be written (issue 10): refused before the run starts; failing during a run, an error
 * of the run (stats and summary), never a silent success; and a known item missing its image gets it from the
 * next crawl. Real processes, a real folder, a real site; a store that fails on purpose for the in-process runs.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { FsBlobStore } from "../../cli/fs-blob-store.ts";
import { loadPhoton } from "../../cli/photon.ts";
import { Fetcher } from "../../src/fetch/fetcher.ts";
import { imageFileName } from "../../src/images/keys.ts";
import { parseImageSettings } from "../../src/images/settings.ts";
import { checkImageStore } from "../../src/images/store-check.ts";
import { ImageStoreError } from "../../src/images/errors.ts";
import { runCrawlJob } from "../../src/jobs/crawl-job.ts";
import { storedDefinitions } from "../../src/jobs/definitions.ts";
import { queueJob } from "../../src/jobs/lifecycle.ts";
import type { LogRecord } from "../../src/jobs/log.ts";
import { runQueuedJob } from "../../src/jobs/runner.ts";
import { crawlJobStats } from "../../src/model/job-stats.ts";
import { runOptionsSchema } from "../../src/model/run-options.ts";
import { systemClock, type BlobStore } from "../../src/ports.ts";
import type { Database } from "../../src/db/connect.ts";
import { ROOT, runCli } from "../support/cli.ts";
import { picturesBundle, store as storeBundle, storedItems, TEST_FETCH } from "../support/crawl.ts";
import { heldPage, type HeldPage } from "../support/held-page.ts";
import { importedProject, projectRows } from "../support/project.ts";
import { html, startSite } from "../support/site.ts";
import { tempDatabase, tempDir } from "../support/temp.ts";
import { gradient, jpeg, pixels } from "./encoders.ts";

const JPEG = jpeg(40, 30, pixels(40, 30, gradient(40, 30)));
const site = startSite({
  "/img/1.jpg": { body: JPEG, type: "image/jpeg" },
  "/img/2.jpg": { body: JPEG, type: "image/jpeg" },
  "/img/3.jpg": { body: JPEG, type: "image/jpeg" },
});
/** An image held until the test releases it. */
let held: HeldPage | undefined;
afterAll(async () => {
  held?.release();
  await site.close();
});

const FAST = ["--delay-ms", "0", "--ignore-robots", "--per-host", "4", "--no-cache"];

let lists = 0;
/** A list page of products named `names`, product i showing `/img/<i+1>.jpg` (or `img`). */
function products(names: string[], img = (i: number) => `/img/${i + 1}.jpg`): string {
  const path = `/list${++lists}`;
  site.set(path, html(names.map((name, i) => `<div class="p"><h2>${name}</h2><img src="${img(i)}"></div>`).join("")));
  return `${site.url}${path}`;
}

describe("an image store that cannot be written is refused before the run", () => {
  test("crawl --images FILE: exit 1, one line naming the folder and the reason, no job", async () => {
    const cwd = await importedProject(picturesBundle(products(["a"]), false));
    writeFileSync(join(cwd, "not-a-folder"), "x");
    const r = await runCli(["crawl", "p", "--images", "not-a-folder", ...FAST], { cwd });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`dscraper: images cannot be stored: image folder ${join(cwd, "not-a-folder")} is a file, not a folder\n`);
    expect(r.stdout).toBe("");
    expect(await projectRows(cwd, "SELECT count(*) AS n FROM jobs")).toEqual([{ n: 0 }]);
    expect(await projectRows(cwd, "SELECT count(*) AS n FROM items")).toEqual([{ n: 0 }]);
    expect(site.count("/img/1.jpg")).toBe(0);
    // A folder below a file is named with the file in the way; a dry run stores no image, so it is not refused.
    const below = await runCli(["crawl", "p", "--images", "not-a-folder/images", ...FAST], { cwd });
    expect(below.stderr).toBe(`dscraper: images cannot be stored: image folder ${join(cwd, "not-a-folder/images")}: ${join(cwd, "not-a-folder")} is a file, not a folder\n`);
    expect((await runCli(["crawl", "p", "--images", "not-a-folder", "--dry-run", ...FAST], { cwd })).code).toBe(0);
  });

  test("a queued crawl with such a store fails with the reason (it never reports success)", async () => {
    const database = await tempDatabase();
    await storeBundle(database, picturesBundle(products(["q"]), false));
    const file = join(tempDir(), "file");
    writeFileSync(file, "x");
    const job = await queueJob(database, { kind: "crawl", source_id: 1, params: { dry_run: false } }, new Date());
    const done = await runQueuedJob({ ...deps(database, new FsBlobStore(file)), store: new FsBlobStore(file) }, job.id, new AbortController().signal);
    expect(done).toMatchObject({ status: "failed", error: `images cannot be stored: image folder ${file} is a file, not a folder` });
    expect(await storedItems(database)).toEqual([]);
  });

  test("the folder store names the reason of a failed write", async () => {
    const cases: [string, string][] = [
      ["EACCES", "permission denied (EACCES)"],
      ["EROFS", "read-only file system (EROFS)"],
      ["ENOSPC", "no space left on the device (ENOSPC)"],
    ];
    for (const [code, reason] of cases) {
      const root = tempDir();
      const refusing = new (class extends FsBlobStore {
        protected override async writeTemp(): Promise<void> {
          throw Object.assign(new Error(`${code}: refused`), { code });
        }
      })(root);
      const error = await checkImageStore(refusing).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ImageStoreError);
      expect((error as Error).message).toBe(`images cannot be stored: image folder ${root}: ${reason}`);
    }
  });
});

/** The folder store, failing its first `failures` image writes (the store check's probe goes through). */
class FailingStore extends FsBlobStore {
  constructor(
    root: string,
    private failures: number,
  ) {
    super(root);
  }

  override async put(key: string, data: Uint8Array, contentType: string): Promise<void> {
    if (key.endsWith(".jpg") && this.failures > 0) {
      this.failures--;
      throw new Error("bucket unavailable");
    }
    return super.put(key, data, contentType);
  }
}

function deps(database: Database, blobs: BlobStore, logs: LogRecord[] = []) {
  return {
    database,
    fetcher: new Fetcher(TEST_FETCH),
    clock: systemClock,
    env: { timeZone: "UTC", now: () => new Date() },
    log: { level: "DEBUG" as const, limit: 1000, sink: (r: LogRecord) => logs.push(r) },
    conditionalRequests: false,
    images: { store: blobs, settings: parseImageSettings({ format: "ALL" }), photon: loadPhoton },
  };
}

async function crawl(database: Database, blobs: BlobStore) {
  const logs: LogRecord[] = [];
  const job = await runCrawlJob(deps(database, blobs, logs), await storedDefinitions(database, "p"), runOptionsSchema.parse({}), { scheduled: false, updateSchedule: false }, new AbortController().signal);
  return { job, stats: crawlJobStats(job.stats)!, logs };
}

async function imageRows(database: Database): Promise<{ name: string; key: string }[]> {
  const rows = await database.client.execute("SELECT json_extract(i.data, '$.name') AS name, r.key FROM item_images r JOIN items i ON i.id = r.item_id ORDER BY name, key");
  return rows.rows.map((r) => ({ name: String(r.name), key: String(r.key) }));
}

describe("an image the store could not keep", () => {
  test("is an error of the run; the next crawl fetches the missing images of known items (updated)", async () => {
    const database = await tempDatabase();
    await storeBundle(database, picturesBundle(products(["one", "two", "three"]), false));
    const dir = tempDir();
    const first = await crawl(database, new FailingStore(dir, 2));
    expect(first.job.status).toBe("succeeded");
    expect(first.stats.errors).toEqual({ image_store: 2 });
    expect(first.stats.items).toMatchObject({ saved: 3, updated: 0, dropped: {} });
    expect(first.logs.filter((l) => l.level === "ERROR" && l.msg.includes("the image store failed: bucket unavailable"))).toHaveLength(2);
    const names = await Promise.all([1, 2, 3].map((i) => imageFileName(`${site.url}/img/${i}.jpg`)));
    const stored = Object.fromEntries((await storedItems(database)).map((i) => [i.name, i.picture]));
    const failed = Object.keys(stored).filter((name) => stored[name] === null).sort();
    expect(failed).toHaveLength(2);
    expect(await imageRows(database)).toHaveLength(1);

    const second = await crawl(database, new FsBlobStore(dir));
    expect(second.stats.errors).toEqual({});
    expect(second.stats.items).toMatchObject({ saved: 0, updated: 2, unchanged: 1, dropped: {} });
    expect(Object.fromEntries((await storedItems(database)).map((i) => [i.name, i.picture]))).toEqual({ one: names[0], two: names[1], three: names[2] });
    expect(await imageRows(database)).toEqual([
      { name: "one", key: `full/${names[0]}` },
      { name: "three", key: `full/${names[2]}` },
      { name: "two", key: `full/${names[1]}` },
    ]);
    for (const name of names) expect(existsSync(join(dir, "full", name!))).toBe(true);

    const third = await crawl(database, new FsBlobStore(dir));
    expect(third.stats.items).toMatchObject({ saved: 0, updated: 0, unchanged: 3 });
  });

  test("a mandatory image the store could not keep drops its item and is an error; the next crawl saves it", async () => {
    const database = await tempDatabase();
    await storeBundle(database, picturesBundle(products(["solo"]), true));
    const dir = tempDir();
    const first = await crawl(database, new FailingStore(dir, 1));
    expect(first.stats.errors).toEqual({ image_store: 1 });
    expect(first.stats.items).toMatchObject({ saved: 0, dropped: { "image picture failed": 1 } });
    const second = await crawl(database, new FsBlobStore(dir));
    expect(second.stats.items).toMatchObject({ saved: 1, dropped: {} });
    expect((await storedItems(database)).map((i) => i.picture)).toEqual([await imageFileName(`${site.url}/img/1.jpg`)]);
  });

  test("dscraper crawl: the folder made unwritable during the run → errors in the summary; fixed, the next crawl fills the image", async () => {
    const url = products(["held"], () => "/img/held.jpg");
    held = heldPage(JPEG as BodyInit, "image/jpeg");
    site.set("/img/held.jpg", held.page);
    const cwd = await importedProject(picturesBundle(url, false));
    const images = join(cwd, "data/images");
    const proc = Bun.spawn([process.execPath, join(ROOT, "cli/main.ts"), "crawl", "p", ...FAST], { cwd, stdout: "pipe", stderr: "pipe" });
    await held.requested;
    // The store's check passed before the run; now a file stands where the folder was.
    renameSync(images, join(cwd, "images-away"));
    writeFileSync(images, "not a folder");
    held.release();
    expect(await proc.exited).toBe(0);
    const stdout = await new Response(proc.stdout).text();
    expect(stdout).toContain("items: 1 read, 1 saved, 0 updated, 0 unchanged, 0 dropped");
    expect(stdout).toContain("  errors: 1 image_store\n");
    const stderr = await new Response(proc.stderr).text();
    expect(stderr).toContain(`the image store failed: image folder ${images} is a file, not a folder`);
    expect(await projectRows(cwd, "SELECT json_extract(data, '$.picture') AS picture FROM items")).toEqual([{ picture: null }]);
    expect(crawlJobStats(JSON.parse(String((await projectRows(cwd, "SELECT stats FROM jobs"))[0]!.stats)))?.errors).toEqual({ image_store: 1 });

    rmSync(images);
    mkdirSync(images);
    site.set("/img/held.jpg", { body: JPEG, type: "image/jpeg" });
    const again = await runCli(["crawl", "p", ...FAST], { cwd });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("items: 1 read, 0 saved, 1 updated, 0 unchanged, 0 dropped");
    expect(again.stdout).not.toContain("errors:");
    const name = await imageFileName(`${site.url}/img/held.jpg`);
    expect(existsSync(join(images, name))).toBe(true);
    expect(await projectRows(cwd, "SELECT json_extract(data, '$.picture') AS picture FROM items")).toEqual([{ picture: name }]);
    expect(await projectRows(cwd, "SELECT item_id, key FROM item_images")).toEqual([{ item_id: 1, key: name }]);
  });
});

describe("Ctrl-C while a new item's image downloads", () => {
  test("the item is not stored without it (counted as dropped); the next crawl stores it with its image", async () => {
    const url = products(["late"], () => "/img/late.jpg");
    held = heldPage(JPEG as BodyInit, "image/jpeg");
    site.set("/img/late.jpg", held.page);
    const cwd = await importedProject(picturesBundle(url, false));
    const proc = Bun.spawn([process.execPath, join(ROOT, "cli/main.ts"), "crawl", "p", ...FAST], { cwd, stdout: "pipe", stderr: "pipe" });
    await held.requested;
    proc.kill("SIGINT");
    expect(await proc.exited).toBe(1);
    held.release();
    const stdout = await new Response(proc.stdout).text();
    expect(stdout).toContain("job 1 cancelled: cancelled (interrupted)");
    expect(stdout).toContain("items: 1 read, 0 saved, 0 updated, 0 unchanged, 1 cancelled before its images were stored");
    expect(await projectRows(cwd, "SELECT count(*) AS n FROM items")).toEqual([{ n: 0 }]);

    site.set("/img/late.jpg", { body: JPEG, type: "image/jpeg" });
    const again = await runCli(["crawl", "p", ...FAST], { cwd });
    expect(again.stdout).toContain("items: 1 read, 1 saved, 0 updated, 0 unchanged, 0 dropped");
    expect(await projectRows(cwd, "SELECT json_extract(data, '$.picture') AS picture FROM items")).toEqual([{ picture: await imageFileName(`${site.url}/img/late.jpg`) }]);
  });
});
