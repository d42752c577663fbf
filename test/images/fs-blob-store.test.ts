/**
 * The folder BlobStore: the shared conformance suite, plus what only a folder has: the files' layout, temp
 * files, and what a failure or a crash in the middle of a write leaves.
 */
import { describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { DEFAULT_IMAGES_DIR, FsBlobStore } from "../../cli/fs-blob-store.ts";
import { BlobKeyError } from "../../src/images/keys.ts";
import { ROOT } from "../support/cli.ts";
import { tempDir } from "../support/temp.ts";
import { BLOB_STORE_CASES } from "./blob-store-conformance.ts";

describe("BlobStore conformance: FsBlobStore", () => {
  test("the suite's cases have distinct names (the Worker's run reports them by name)", () => {
    expect(new Set(BLOB_STORE_CASES.map((c) => c.name)).size).toBe(BLOB_STORE_CASES.length);
  });
  for (const c of BLOB_STORE_CASES) {
    test(c.name, () => c.run(new FsBlobStore(join(tempDir("dscraper-blobs-"), "images"))));
  }
});

/** Every file under `dir`, relative, including hidden ones. */
function filesUnder(dir: string, prefix = ""): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`],
  );
}

async function listed(store: FsBlobStore): Promise<string[]> {
  const keys: string[] = [];
  for await (const key of store.list()) keys.push(key);
  return keys.sort();
}

const text = (s: string) => new TextEncoder().encode(s);

describe("FsBlobStore on disk", () => {
  test("a key is the file's path under the root; folders are made as needed", async () => {
    const root = join(tempDir(), "images");
    const store = new FsBlobStore(root);
    await store.put("thumbs/small/abc.jpg", text("small"), "image/jpeg");
    await store.put("abc.jpg", text("flat"), "image/jpeg");
    expect(readFileSync(join(root, "thumbs/small/abc.jpg"), "utf8")).toBe("small");
    expect(readFileSync(join(root, "abc.jpg"), "utf8")).toBe("flat");
    expect(filesUnder(root).sort()).toEqual(["abc.jpg", "thumbs/small/abc.jpg"]);
  });

  test("the root is absolute, fixed when the store is made; the default is ./data/images", () => {
    expect(new FsBlobStore().root).toBe(resolve(DEFAULT_IMAGES_DIR));
    expect(new FsBlobStore("rel/images").root).toBe(resolve(process.cwd(), "rel/images"));
  });

  test("no temp file is left behind, even after many concurrent puts of one key", async () => {
    const root = join(tempDir(), "images");
    const store = new FsBlobStore(root);
    await Promise.all(Array.from({ length: 25 }, (_, i) => store.put("full/x.jpg", new Uint8Array(64 * 1024).fill(i), "image/jpeg")));
    await store.put("y.jpg", text("y"), "image/jpeg");
    expect(filesUnder(root).sort()).toEqual(["full/x.jpg", "y.jpg"]);
  });

  test("a write that fails half way leaves the old file under the key and no temp file", async () => {
    const root = join(tempDir(), "images");
    const failAfterHalf = new (class extends FsBlobStore {
      protected override async writeTemp(temp: string, data: Uint8Array): Promise<void> {
        await writeFile(temp, data.subarray(0, data.length >> 1));
        throw new Error("disk full");
      }
    })(root);
    const store = new FsBlobStore(root);
    await store.put("full/x.jpg", text("old content"), "image/jpeg");
    await expect(failAfterHalf.put("full/x.jpg", new Uint8Array(100_000).fill(7), "image/jpeg")).rejects.toThrow("disk full");
    expect(await store.get("full/x.jpg")).toEqual(text("old content"));
    expect(filesUnder(root)).toEqual(["full/x.jpg"]);
    await expect(failAfterHalf.put("full/new.jpg", text("new"), "image/jpeg")).rejects.toThrow("disk full");
    expect(await store.exists("full/new.jpg")).toBe(false);
    expect(filesUnder(root)).toEqual(["full/x.jpg"]);
  });

  test("a process killed in the middle of a write leaves the old file under the key; the half file is invisible", async () => {
    const root = join(tempDir(), "images");
    const store = new FsBlobStore(root);
    await store.put("full/x.jpg", text("old content"), "image/jpeg");
    // The child writes half of the new value into its temp file, says so, and hangs there until killed: a
    // crash between the write and the rename, the only window in which a half file exists.
    const script = join(tempDir(), "crash.ts");
    writeFileSync(
      script,
      `import { writeFile } from "node:fs/promises";
       import { FsBlobStore } from ${JSON.stringify(join(ROOT, "cli/fs-blob-store.ts"))};
       class Stalling extends FsBlobStore {
         async writeTemp(temp, data) {
           await writeFile(temp, data.subarray(0, data.length >> 1));
           console.log("half written");
           await new Promise(() => {});
         }
       }
       await new Stalling(${JSON.stringify(root)}).put("full/x.jpg", new Uint8Array(1 << 20).fill(9), "image/jpeg");`,
    );
    const child = Bun.spawn([process.execPath, script], { stdout: "pipe", stderr: "inherit" });
    const reader = child.stdout.getReader();
    const { value } = await reader.read();
    expect(new TextDecoder().decode(value)).toContain("half written");
    child.kill("SIGKILL");
    await child.exited;

    const files = filesUnder(root).sort();
    expect(files).toHaveLength(2);
    const temp = files.find((f) => f !== "full/x.jpg")!;
    expect(temp).toMatch(/^full\/\.tmp-/);
    expect(readFileSync(join(root, temp)).length).toBe(1 << 19);
    expect(await store.get("full/x.jpg")).toEqual(text("old content"));
    expect(await listed(store)).toEqual(["full/x.jpg"]);
    await expect(store.get(temp)).rejects.toBeInstanceOf(BlobKeyError);
    await store.put("full/x.jpg", text("new content"), "image/jpeg");
    expect(await store.get("full/x.jpg")).toEqual(text("new content"));
  });

  test("a put that returned survives the process being killed (no fsync: the kernel has the file)", async () => {
    const root = join(tempDir(), "images");
    const script = join(tempDir(), "killed-after-put.ts");
    writeFileSync(
      script,
      `import { FsBlobStore } from ${JSON.stringify(join(ROOT, "cli/fs-blob-store.ts"))};
       await new FsBlobStore(${JSON.stringify(root)}).put("full/x.jpg", new Uint8Array(1 << 20).fill(7), "image/jpeg");
       console.log("put");
       await new Promise(() => {});`,
    );
    const child = Bun.spawn([process.execPath, script], { stdout: "pipe", stderr: "inherit" });
    const { value } = await child.stdout.getReader().read();
    expect(new TextDecoder().decode(value)).toContain("put");
    child.kill("SIGKILL");
    await child.exited;
    expect(filesUnder(root)).toEqual(["full/x.jpg"]);
    expect(readFileSync(join(root, "full/x.jpg"))).toEqual(Buffer.alloc(1 << 20, 7));
  });

  test("a folder removed behind the store's back is made again by the next put", async () => {
    const root = join(tempDir(), "images");
    const store = new FsBlobStore(root);
    await store.put("thumbs/small/a.jpg", text("a"), "image/jpeg");
    rmSync(join(root, "thumbs"), { recursive: true });
    await store.put("thumbs/small/b.jpg", text("b"), "image/jpeg");
    expect(filesUnder(root)).toEqual(["thumbs/small/b.jpg"]);
    // A folder that cannot be made (a file is in the way) is an error, and leaves nothing behind.
    writeFileSync(join(root, "full"), "a file");
    await expect(store.put("full/c.jpg", text("c"), "image/jpeg")).rejects.toThrow();
    expect(filesUnder(root).sort()).toEqual(["full", "thumbs/small/b.jpg"]);
  });

  test("list skips hidden files and does not follow into hidden folders", async () => {
    const root = join(tempDir(), "images");
    mkdirSync(join(root, ".cache/deep"), { recursive: true });
    writeFileSync(join(root, ".cache/deep/x.jpg"), "x");
    writeFileSync(join(root, ".tmp-123"), "half");
    const store = new FsBlobStore(root);
    await store.put("a.jpg", text("a"), "image/jpeg");
    expect(await listed(store)).toEqual(["a.jpg"]);
  });

  test("a missing root lists nothing and is created by the first put", async () => {
    const root = join(tempDir(), "not/yet/there");
    const store = new FsBlobStore(root);
    expect(await listed(store)).toEqual([]);
    expect(await store.get("a.jpg")).toBeUndefined();
    await store.put("a.jpg", text("a"), "image/jpeg");
    expect(readFileSync(join(root, "a.jpg"), "utf8")).toBe("a");
  });

  test("a bad key's message says what is wrong with it", async () => {
    const store = new FsBlobStore(join(tempDir(), "images"));
    await expect(store.put("../x.jpg", text("x"), "image/jpeg")).rejects.toThrow(`bad blob key "../x.jpg": ".." is not allowed as a folder name`);
    await expect(store.put("a\\b.jpg", text("x"), "image/jpeg")).rejects.toThrow("must use / between folders");
    await expect(store.put("/x.jpg", text("x"), "image/jpeg")).rejects.toThrow("must be relative");
  });
});
