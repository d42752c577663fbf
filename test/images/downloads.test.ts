/**
 * A run's image downloads (src/images/downloads.ts) against a real site and a real folder store: how often the
 * store is asked, fetched and written, the bound on downloads waiting for their conversion, and either way of
 * rendering (`render`, or `photon` inline).
 */
import { afterAll, describe, expect, test } from "bun:test";
import { FsBlobStore } from "../../cli/fs-blob-store.ts";
import { loadPhoton } from "../../cli/photon.ts";
import { Fetcher, type PageRequest, type PageResponse } from "../../src/fetch/fetcher.ts";
import { ImageDownloads } from "../../src/images/downloads.ts";
import { imageFileName } from "../../src/images/keys.ts";
import { parseImageSettings } from "../../src/images/settings.ts";
import { renderInline, type Rendered, type RenderJpegs } from "../../src/images/thumbnail.ts";
import type { BlobStore } from "../../src/ports.ts";
import { TEST_FETCH } from "../support/crawl.ts";
import { startSite } from "../support/site.ts";
import { tick, until } from "../support/test-clock.ts";
import { tempDir } from "../support/temp.ts";
import { gradient, pixels, png } from "./encoders.ts";

const PNG = await png(60, 90, pixels(60, 90, gradient(60, 90)));
const site = startSite({});
for (let i = 0; i < 80; i++) site.set(`/img/${i}.png`, { body: PNG, type: "image/png" });
afterAll(() => site.close());

function countingStore(dir = tempDir()) {
  const inner = new FsBlobStore(dir);
  const calls = { exists: 0, put: 0 };
  /** Looks at the store that have had their answer. */
  const answered = { exists: 0 };
  const store: BlobStore = {
    put: (key, data, type) => (calls.put++, inner.put(key, data, type)),
    get: (key) => inner.get(key),
    delete: (key) => inner.delete(key),
    exists: (key) => (calls.exists++, inner.exists(key).finally(() => answered.exists++)),
    list: (prefix) => inner.list(prefix),
  };
  return { store, calls, answered, dir };
}

/** A real fetcher that counts the fetches asked of it. */
class CountingFetcher extends Fetcher {
  started = 0;
  override fetch(request: PageRequest, signal?: AbortSignal): Promise<PageResponse> {
    this.started++;
    return super.fetch(request, signal);
  }
}

const ALL = parseImageSettings({ format: "ALL", thumbs: { small: [170, 170] } });
const fetcher = new Fetcher({ ...TEST_FETCH, perHost: 64, concurrency: 64 });

describe("ImageDownloads", () => {
  test("each file of an image is looked for once, the image fetched once and each file written once", async () => {
    const { store, calls, dir } = countingStore();
    const url = `${site.url}/img/0.png`;
    const downloads = new ImageDownloads({ fetcher, store, settings: ALL, photon: loadPhoton }, new AbortController().signal);
    const before = site.count("/img/0.png");
    const [a, b] = await Promise.all([downloads.get(url), downloads.get(url)]);
    const name = await imageFileName(url);
    expect(a).toEqual({ fileName: name, keys: [`full/${name}`, `thumbs/small/${name}`], written: [`full/${name}`, `thumbs/small/${name}`] });
    expect(b).toBe(a);
    expect(calls).toEqual({ exists: 2, put: 2 });
    expect(site.count("/img/0.png") - before).toBe(1);

    // Another run finds the files: two looks, no download, no write.
    const next = countingStore(dir);
    const again = await new ImageDownloads({ fetcher, store: next.store, settings: ALL, photon: loadPhoton }, new AbortController().signal).get(url);
    expect(again).toEqual({ ...a, written: [] });
    expect(next.calls).toEqual({ exists: 2, put: 0 });
    expect(site.count("/img/0.png") - before).toBe(1);
  });

  test("a given `render` is used instead of photon inline, with the image's bytes and the settings' options", async () => {
    const { store } = countingStore();
    const seen: { length: number; quality: number; flatten: boolean; boxes: number }[] = [];
    const inline = renderInline(await loadPhoton());
    const render: RenderJpegs = (bytes, options) => {
      seen.push({ length: bytes.length, quality: options.quality, flatten: options.flatten, boxes: options.boxes.length });
      return inline(bytes, options);
    };
    const settings = parseImageSettings({ ...ALL, jpegQuality: 70 });
    const stored = await new ImageDownloads({ fetcher, store, settings, render }, new AbortController().signal).get(`${site.url}/img/1.png`);
    expect(stored.written).toHaveLength(2);
    expect(seen).toEqual([{ length: PNG.length, quality: 70, flatten: false, boxes: 2 }]);
    expect(() => new ImageDownloads({ fetcher, store, settings }, new AbortController().signal)).toThrow("needs `render` or `photon`");
  });

  test("at most 32 images are downloaded and waiting for their conversion at once", async () => {
    const { store, answered } = countingStore();
    let waiting = 0;
    let most = 0;
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    let full!: () => void;
    const thirtyTwoWaiting = new Promise<void>((resolve) => (full = resolve));
    const inline = renderInline(await loadPhoton());
    const render: RenderJpegs = async (bytes, options): Promise<Rendered> => {
      most = Math.max(most, ++waiting);
      if (waiting === 32) full();
      await gate;
      waiting--;
      return inline(bytes, options);
    };
    const counting = new CountingFetcher({ ...TEST_FETCH, perHost: 64, concurrency: 64 });
    const downloads = new ImageDownloads({ fetcher: counting, store, settings: ALL, render }, new AbortController().signal);
    const urls = Array.from({ length: 60 }, (_, i) => `${site.url}/img/${i + 10}.png`);
    const before = urls.reduce((n, u) => n + site.count(new URL(u).pathname), 0);
    const all = Promise.all(urls.map((u) => downloads.get(u)));
    // Every download has been to the store (two files each) and gone as far as it may: fetching, or waiting
    // for a slot. Nothing here waits for time, so a slow machine sees the same counts.
    await thirtyTwoWaiting;
    await until(() => answered.exists === 2 * urls.length);
    await tick();
    const fetched = urls.reduce((n, u) => n + site.count(new URL(u).pathname), 0) - before;
    expect({ asked: counting.started, fetched, waiting }).toEqual({ asked: 32, fetched: 32, waiting: 32 });
    open();
    const stored = await all;
    expect(stored.every((s) => s.written.length === 2)).toBe(true);
    expect(most).toBe(32);
  });
});
