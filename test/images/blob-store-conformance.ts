/**
 * What every BlobStore must do, written once and run against each implementation, as drizzle runs one suite
 * against every driver: the folder store under bun:test (fs-blob-store.test.ts), and the R2 store inside workerd
 * (a test Worker runs the same cases against its R2 binding and sends back each case's outcome by name:
 * test/worker/r2-blob-store.test.ts).
 *
 * So this file stays runtime-neutral: no bun:test, no node:*. A case is a named async function over a fresh,
 * empty store that throws on the first failed check.
 */
import { BlobKeyError } from "../../src/images/keys.ts";
import type { BlobStore } from "../../src/ports.ts";

export interface BlobStoreCase {
  name: string;
  run(store: BlobStore): Promise<void>;
}

export interface CaseOutcome {
  name: string;
  ok: boolean;
  /** The failure's message, when not ok. */
  error?: string;
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

const BAD_PREFIXES: readonly string[] = ["../", "/abs", "a\\b", "a//", "./x"];

const bytes = (...values: number[]) => new Uint8Array(values);
const text = (s: string) => new TextEncoder().encode(s);

class CheckFailed extends Error {
  override name = "CheckFailed";
}

/** Deep equality over what the cases compare: primitives, arrays, byte arrays. Byte arrays must be Uint8Arrays. */
function same(actual: unknown, expected: unknown): boolean {
  if (expected instanceof Uint8Array) {
    return actual instanceof Uint8Array && actual.length === expected.length && actual.every((b, i) => b === expected[i]);
  }
  if (Array.isArray(expected)) return Array.isArray(actual) && actual.length === expected.length && expected.every((e, i) => same(actual[i], e));
  return Object.is(actual, expected);
}

function show(value: unknown): string {
  if (value instanceof Uint8Array) {
    const head = Array.from(value.subarray(0, 16)).join(",");
    return `Uint8Array(${value.length})[${head}${value.length > 16 ? ",…" : ""}]`;
  }
  if (value === undefined) return "undefined";
  const json = JSON.stringify(value);
  return json.length > 200 ? `${json.slice(0, 200)}…` : json;
}

function equal(actual: unknown, expected: unknown, what: string): void {
  if (!same(actual, expected)) throw new CheckFailed(`${what}: expected ${show(expected)}, got ${show(actual)}`);
}

function check(condition: boolean, message: string): void {
  if (!condition) throw new CheckFailed(message);
}

async function listed(store: BlobStore, prefix?: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const key of store.list(prefix)) keys.push(key);
  return keys.sort();
}

async function refusal(call: () => Promise<unknown>): Promise<unknown> {
  try {
    await call();
  } catch (e) {
    return e;
  }
  return undefined;
}

export const BLOB_STORE_CASES: readonly BlobStoreCase[] = [
  {
    name: "put, then get and exists",
    async run(store) {
      await store.put("a.jpg", text("hello"), "image/jpeg");
      equal(await store.get("a.jpg"), text("hello"), "get");
      equal(await store.exists("a.jpg"), true, "exists");
    },
  },
  {
    name: "a missing key: get is undefined, exists is false",
    async run(store) {
      equal(await store.get("missing.jpg"), undefined, "get missing.jpg");
      equal(await store.exists("missing.jpg"), false, "exists missing.jpg");
      equal(await store.get("no/such/folder/x.jpg"), undefined, "get in a missing folder");
      equal(await store.exists("no/such/folder/x.jpg"), false, "exists in a missing folder");
    },
  },
  {
    name: "a key's folder is not itself a key",
    async run(store) {
      await store.put("thumbs/small/x.jpg", text("x"), "image/jpeg");
      equal(await store.get("thumbs/small"), undefined, "get of the folder");
      equal(await store.exists("thumbs"), false, "exists of the folder");
      await store.delete("thumbs"); // not an error, and removes nothing
      equal(await store.get("thumbs/small/x.jpg"), text("x"), "the key in the folder");
    },
  },
  {
    name: "overwrite replaces the whole content (a shorter value leaves no tail)",
    async run(store) {
      await store.put("k.jpg", text("a long first value"), "image/jpeg");
      await store.put("k.jpg", text("short"), "image/jpeg");
      equal(await store.get("k.jpg"), text("short"), "get");
      equal(await listed(store), ["k.jpg"], "list");
    },
  },
  {
    name: "binary round trip: all 256 byte values, and an empty value",
    async run(store) {
      const all = Uint8Array.from({ length: 512 }, (_, i) => (i * 7) % 256);
      equal(new Set(all).size, 256, "distinct byte values written");
      await store.put("bin/all.jpg", all, "image/jpeg");
      await store.put("bin/empty.jpg", new Uint8Array(), "image/jpeg");
      equal(await store.get("bin/all.jpg"), all, "all byte values");
      equal(await store.get("bin/empty.jpg"), new Uint8Array(), "the empty value");
      equal(await store.exists("bin/empty.jpg"), true, "exists of the empty value");
    },
  },
  {
    name: "the store keeps its own copy: changing the arrays afterwards changes nothing stored",
    async run(store) {
      const data = bytes(1, 2, 3);
      await store.put("copy.jpg", data, "image/jpeg");
      data[0] = 99;
      const first = await store.get("copy.jpg");
      equal(first, bytes(1, 2, 3), "after changing the array put");
      first![1] = 99;
      equal(await store.get("copy.jpg"), bytes(1, 2, 3), "after changing the array got");
    },
  },
  {
    name: "a view into a larger buffer stores only the view",
    async run(store) {
      const big = Uint8Array.from({ length: 100 }, (_, i) => i);
      await store.put("view.jpg", big.subarray(10, 20), "image/jpeg");
      equal(await store.get("view.jpg"), big.slice(10, 20), "get");
    },
  },
  {
    name: "delete removes; deleting a missing key is fine",
    async run(store) {
      await store.put("d.jpg", text("x"), "image/jpeg");
      await store.delete("d.jpg");
      equal(await store.get("d.jpg"), undefined, "get after delete");
      equal(await store.exists("d.jpg"), false, "exists after delete");
      equal(await listed(store), [], "list after delete");
      await store.delete("d.jpg");
      await store.delete("never/was/there.jpg");
    },
  },
  {
    name: "nested keys",
    async run(store) {
      await store.put("full/abc.jpg", text("full"), "image/jpeg");
      await store.put("thumbs/small/abc.jpg", text("small"), "image/jpeg");
      await store.put("thumbs/large/abc.jpg", text("large"), "image/jpeg");
      await store.put("abc.jpg", text("flat"), "image/jpeg");
      equal(await store.get("thumbs/small/abc.jpg"), text("small"), "thumbs/small/abc.jpg");
      equal(await store.get("thumbs/large/abc.jpg"), text("large"), "thumbs/large/abc.jpg");
      equal(await store.get("full/abc.jpg"), text("full"), "full/abc.jpg");
      equal(await store.get("abc.jpg"), text("flat"), "abc.jpg");
      await store.delete("thumbs/small/abc.jpg");
      equal(await listed(store), ["abc.jpg", "full/abc.jpg", "thumbs/large/abc.jpg"], "list");
    },
  },
  {
    name: "list: everything, by folder prefix, by partial prefix, nothing",
    async run(store) {
      equal(await listed(store), [], "list of the empty store");
      const keys = ["a.jpg", "full/a.jpg", "full/b.jpg", "thumbs/small/a.jpg", "thumbs/smaller/a.jpg", "thumbs/large/a.jpg", "fullness.jpg"];
      for (const key of keys) await store.put(key, text(key), "image/jpeg");
      const cases: [string | undefined, string[]][] = [
        [undefined, [...keys].sort()],
        ["", [...keys].sort()],
        ["full/", ["full/a.jpg", "full/b.jpg"]],
        ["full", ["full/a.jpg", "full/b.jpg", "fullness.jpg"]],
        ["thumbs/small/", ["thumbs/small/a.jpg"]],
        ["thumbs/small", ["thumbs/small/a.jpg", "thumbs/smaller/a.jpg"]],
        ["thumbs/s", ["thumbs/small/a.jpg", "thumbs/smaller/a.jpg"]],
        ["thumbs/small/a", ["thumbs/small/a.jpg"]],
        ["nothing/", []],
        ["zzz", []],
      ];
      for (const [prefix, expected] of cases) equal(await listed(store, prefix), expected, `list(${show(prefix)})`);
    },
  },
  {
    name: "concurrent puts of one key end with one complete value",
    async run(store) {
      const size = 256 * 1024;
      const values = Array.from({ length: 16 }, (_, i) => new Uint8Array(size).fill(i + 1));
      await Promise.all(values.map((v) => store.put("race/x.jpg", v, "image/jpeg")));
      const back = await store.get("race/x.jpg");
      equal(back?.length, size, "length of the value read back");
      const first = back![0]!;
      check(first >= 1 && first <= 16, `the value read back is none of those written (first byte ${first})`);
      check(back!.every((b) => b === first), "the value read back mixes several of those written");
      equal(await listed(store), ["race/x.jpg"], "list");
    },
  },
  {
    name: "concurrent puts of different keys in new folders all land",
    async run(store) {
      const keys = Array.from({ length: 30 }, (_, i) => `thumbs/s${i % 3}/${i}.jpg`);
      await Promise.all(keys.map((key) => store.put(key, text(key), "image/jpeg")));
      equal(await listed(store), [...keys].sort(), "list");
      for (const key of keys) equal(await store.get(key), text(key), `get ${key}`);
    },
  },
  ...BAD_KEYS.map(
    ([why, key]): BlobStoreCase => ({
      name: `refuses a bad key (${why}) in every method`,
      async run(store) {
        const calls: [string, () => Promise<unknown>][] = [
          ["put", () => store.put(key, text("x"), "image/jpeg")],
          ["get", () => store.get(key)],
          ["exists", () => store.exists(key)],
          ["delete", () => store.delete(key)],
        ];
        for (const [method, call] of calls) {
          const error = await refusal(call);
          check(error instanceof BlobKeyError, `${method}: expected a BlobKeyError, got ${error instanceof Error ? `${error.name}: ${error.message}` : show(error)}`);
          equal((error as BlobKeyError).key, key, `${method}: the error's key`);
        }
        equal(await listed(store), [], "list");
      },
    }),
  ),
  ...BAD_PREFIXES.map(
    (prefix): BlobStoreCase => ({
      name: `refuses the bad list prefix ${JSON.stringify(prefix)}`,
      async run(store) {
        const error = await refusal(async () => {
          for await (const _ of store.list(prefix)) break;
        });
        check(error instanceof BlobKeyError, `expected a BlobKeyError, got ${error instanceof Error ? `${error.name}: ${error.message}` : show(error)}`);
      },
    }),
  ),
];

/**
 * Every case, one after the other, each on a store from `freshStore` (which must be empty), with its outcome: the
 * way a runtime without bun:test (the test Worker) runs the suite.
 */
export async function runBlobStoreCases(freshStore: () => Promise<BlobStore>): Promise<CaseOutcome[]> {
  const outcomes: CaseOutcome[] = [];
  for (const c of BLOB_STORE_CASES) {
    try {
      await c.run(await freshStore());
      outcomes.push({ name: c.name, ok: true });
    } catch (e) {
      outcomes.push({ name: c.name, ok: false, error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) });
    }
  }
  return outcomes;
}
