/**
 * What every BlobStore must do, written once and run against each implementation (the folder store here, R2 in
 * the Worker's tests), as drizzle runs one suite against every driver.
 */
import { describe, expect, test } from "bun:test";
import { BlobKeyError } from "../../src/images/keys.ts";
import type { BlobStore } from "../../src/ports.ts";

const bytes = (...values: number[]) => new Uint8Array(values);
const text = (s: string) => new TextEncoder().encode(s);

async function listed(store: BlobStore, prefix?: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const key of store.list(prefix)) keys.push(key);
  return keys.sort();
}

/** Keys every implementation must refuse: [why, key]. */
export const BAD_KEYS: readonly [string, string][] = [
  ["empty", ""],
  ["absolute", "/etc/passwd"],
  ["parent folder", "../escape.jpg"],
  ["parent folder inside", "full/../../escape.jpg"],
  ["dot segment", "full/./x.jpg"],
  ["backslash", "full\\x.jpg"],
  ["backslash parent", "..\\escape.jpg"],
  ["empty segment", "full//x.jpg"],
  ["trailing slash", "full/"],
  ["dot file (the folder store's temp files)", ".tmp-x"],
  ["NUL", "a\u0000b"],
  ["newline", "a\nb"],
  ["over 1024 bytes", "x".repeat(1025)],
];

export function blobStoreConformance(name: string, makeStore: () => BlobStore | Promise<BlobStore>): void {
  describe(`BlobStore conformance: ${name}`, () => {
    test("put, then get and exists", async () => {
      const store = await makeStore();
      await store.put("a.jpg", text("hello"), "image/jpeg");
      expect(await store.get("a.jpg")).toEqual(text("hello"));
      expect(await store.exists("a.jpg")).toBe(true);
    });

    test("a missing key: get is undefined, exists is false", async () => {
      const store = await makeStore();
      expect(await store.get("missing.jpg")).toBeUndefined();
      expect(await store.exists("missing.jpg")).toBe(false);
      expect(await store.get("no/such/folder/x.jpg")).toBeUndefined();
      expect(await store.exists("no/such/folder/x.jpg")).toBe(false);
    });

    test("a key's folder is not itself a key", async () => {
      const store = await makeStore();
      await store.put("thumbs/small/x.jpg", text("x"), "image/jpeg");
      expect(await store.get("thumbs/small")).toBeUndefined();
      expect(await store.exists("thumbs")).toBe(false);
      await store.delete("thumbs"); // not an error, and removes nothing
      expect(await store.get("thumbs/small/x.jpg")).toEqual(text("x"));
    });

    test("overwrite replaces the whole content (a shorter value leaves no tail)", async () => {
      const store = await makeStore();
      await store.put("k.jpg", text("a long first value"), "image/jpeg");
      await store.put("k.jpg", text("short"), "image/jpeg");
      expect(await store.get("k.jpg")).toEqual(text("short"));
      expect(await listed(store)).toEqual(["k.jpg"]);
    });

    test("binary round trip: all 256 byte values, and an empty value", async () => {
      const store = await makeStore();
      const all = Uint8Array.from({ length: 512 }, (_, i) => (i * 7) % 256);
      expect(new Set(all).size).toBe(256);
      await store.put("bin/all.jpg", all, "image/jpeg");
      await store.put("bin/empty.jpg", new Uint8Array(), "image/jpeg");
      const back = await store.get("bin/all.jpg");
      expect(back).toBeInstanceOf(Uint8Array);
      expect(back).toEqual(all);
      const empty = await store.get("bin/empty.jpg");
      expect(empty).toBeInstanceOf(Uint8Array);
      expect(empty?.length).toBe(0);
      expect(await store.exists("bin/empty.jpg")).toBe(true);
    });

    test("the store keeps its own copy: changing the arrays afterwards changes nothing stored", async () => {
      const store = await makeStore();
      const data = bytes(1, 2, 3);
      await store.put("copy.jpg", data, "image/jpeg");
      data[0] = 99;
      const first = await store.get("copy.jpg");
      expect(first).toEqual(bytes(1, 2, 3));
      first![1] = 99;
      expect(await store.get("copy.jpg")).toEqual(bytes(1, 2, 3));
    });

    test("a view into a larger buffer stores only the view", async () => {
      const store = await makeStore();
      const big = Uint8Array.from({ length: 100 }, (_, i) => i);
      await store.put("view.jpg", big.subarray(10, 20), "image/jpeg");
      expect(await store.get("view.jpg")).toEqual(big.slice(10, 20));
    });

    test("delete removes; deleting a missing key is fine", async () => {
      const store = await makeStore();
      await store.put("d.jpg", text("x"), "image/jpeg");
      await store.delete("d.jpg");
      expect(await store.get("d.jpg")).toBeUndefined();
      expect(await store.exists("d.jpg")).toBe(false);
      expect(await listed(store)).toEqual([]);
      await store.delete("d.jpg");
      await store.delete("never/was/there.jpg");
    });

    test("nested keys", async () => {
      const store = await makeStore();
      await store.put("full/abc.jpg", text("full"), "image/jpeg");
      await store.put("thumbs/small/abc.jpg", text("small"), "image/jpeg");
      await store.put("thumbs/large/abc.jpg", text("large"), "image/jpeg");
      await store.put("abc.jpg", text("flat"), "image/jpeg");
      expect(await store.get("thumbs/small/abc.jpg")).toEqual(text("small"));
      expect(await store.get("thumbs/large/abc.jpg")).toEqual(text("large"));
      expect(await store.get("full/abc.jpg")).toEqual(text("full"));
      expect(await store.get("abc.jpg")).toEqual(text("flat"));
      await store.delete("thumbs/small/abc.jpg");
      expect(await listed(store)).toEqual(["abc.jpg", "full/abc.jpg", "thumbs/large/abc.jpg"]);
    });

    test("list: everything, by folder prefix, by partial prefix, nothing", async () => {
      const store = await makeStore();
      expect(await listed(store)).toEqual([]);
      const keys = ["a.jpg", "full/a.jpg", "full/b.jpg", "thumbs/small/a.jpg", "thumbs/smaller/a.jpg", "thumbs/large/a.jpg", "fullness.jpg"];
      for (const key of keys) await store.put(key, text(key), "image/jpeg");
      expect(await listed(store)).toEqual([...keys].sort());
      expect(await listed(store, "")).toEqual([...keys].sort());
      expect(await listed(store, "full/")).toEqual(["full/a.jpg", "full/b.jpg"]);
      expect(await listed(store, "full")).toEqual(["full/a.jpg", "full/b.jpg", "fullness.jpg"]);
      expect(await listed(store, "thumbs/small/")).toEqual(["thumbs/small/a.jpg"]);
      expect(await listed(store, "thumbs/small")).toEqual(["thumbs/small/a.jpg", "thumbs/smaller/a.jpg"]);
      expect(await listed(store, "thumbs/s")).toEqual(["thumbs/small/a.jpg", "thumbs/smaller/a.jpg"]);
      expect(await listed(store, "thumbs/small/a")).toEqual(["thumbs/small/a.jpg"]);
      expect(await listed(store, "nothing/")).toEqual([]);
      expect(await listed(store, "zzz")).toEqual([]);
    });

    test("concurrent puts of one key end with one complete value", async () => {
      const store = await makeStore();
      const size = 256 * 1024;
      const values = Array.from({ length: 16 }, (_, i) => new Uint8Array(size).fill(i + 1));
      await Promise.all(values.map((v) => store.put("race/x.jpg", v, "image/jpeg")));
      const back = await store.get("race/x.jpg");
      expect(back?.length).toBe(size);
      const first = back![0]!;
      expect(first).toBeGreaterThanOrEqual(1);
      expect(first).toBeLessThanOrEqual(16);
      expect(back!.every((b) => b === first)).toBe(true);
      expect(await listed(store)).toEqual(["race/x.jpg"]);
    });

    test("concurrent puts of different keys in new folders all land", async () => {
      const store = await makeStore();
      const keys = Array.from({ length: 30 }, (_, i) => `thumbs/s${i % 3}/${i}.jpg`);
      await Promise.all(keys.map((key) => store.put(key, text(key), "image/jpeg")));
      expect(await listed(store)).toEqual([...keys].sort());
      for (const key of keys) expect(await store.get(key)).toEqual(text(key));
    });

    test.each(BAD_KEYS)("refuses a bad key (%s) in every method", async (_why, key) => {
      const store = await makeStore();
      for (const call of [
        () => store.put(key, text("x"), "image/jpeg"),
        () => store.get(key),
        () => store.exists(key),
        () => store.delete(key),
      ]) {
        const error = await call().then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(BlobKeyError);
        expect((error as BlobKeyError).key).toBe(key);
      }
      expect(await listed(store)).toEqual([]);
    });

    test.each(["../", "/abs", "a\\b", "a//", "./x"])("refuses the bad list prefix %j", async (prefix) => {
      const store = await makeStore();
      let error: unknown;
      try {
        for await (const _ of store.list(prefix)) break;
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(BlobKeyError);
    });
  });
}
