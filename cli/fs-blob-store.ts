/**
 * The binary's BlobStore: files in a folder (`--images DIR`, default `./data/images`), a key being a path under
 * it. Writes go to a temp file beside the target and are renamed over it, so a reader, or the folder after the
 * process crashed, holds the old file or the new one, never half of one (a power cut is another matter: see
 * `writeTemp`). Temp files start with a dot, which keys may not (see `assertBlobKey`), so `list` can skip them
 * and a key can never name one.
 */
import { mkdir, readdir, readFile, rename, stat, unlink, writeFile } from "node:fs/promises";
import { dirname, join, resolve, sep } from "node:path";
import { assertBlobKey, assertBlobPrefix } from "../src/images/keys.ts";
import type { BlobStore } from "../src/ports.ts";

export const DEFAULT_IMAGES_DIR = "./data/images";

const TEMP_PREFIX = ".tmp-";

export class FsBlobStore implements BlobStore {
  /** The folder, absolute, so that a later change of working directory does not move the store. */
  readonly root: string;

  constructor(root: string = DEFAULT_IMAGES_DIR) {
    this.root = resolve(root);
  }

  async put(key: string, data: Uint8Array, _contentType: string): Promise<void> {
    const path = this.path(key);
    const dir = dirname(path);
    const temp = join(dir, `${TEMP_PREFIX}${crypto.randomUUID()}`);
    try {
      try {
        await this.writeTemp(temp, data);
      } catch (e) {
        // The folder is made on the first write that needs it rather than looked for before every write.
        if ((e as { code?: unknown } | null)?.code !== "ENOENT") throw e;
        await mkdir(dir, { recursive: true });
        await this.writeTemp(temp, data);
      }
      await rename(temp, path);
    } catch (e) {
      await unlink(temp).catch(() => undefined);
      throw await this.writeFailure(e, key);
    }
  }

  /**
   * A failed write, in one line naming the folder and the reason: what a user sees before a run (the store's
   * check) and in the run's log. Errors without a system code (a test's injected failure) are kept as they are.
   */
  private async writeFailure(e: unknown, key: string): Promise<unknown> {
    const code = (e as { code?: unknown } | null)?.code;
    if (typeof code !== "string") return e;
    const folder = `image folder ${this.root}`;
    if (code === "ENOTDIR" || code === "EEXIST") {
      const file = await fileInTheWay(dirname(this.path(key)));
      if (file === this.root) return new Error(`${folder} is a file, not a folder`, { cause: e });
      if (file) return new Error(`${folder}: ${file} is a file, not a folder`, { cause: e });
    }
    return new Error(`${folder}: ${WRITE_ERRORS[code] ?? (e instanceof Error ? e.message : String(e))}`, { cause: e });
  }

  /**
   * Writes the temp file (`wx`: never over another one). Not fsynced, by decision: the rename is what makes a
   * write atomic, for readers and across a crash of the process (the kernel has the pages; see the SIGKILL tests),
   * and that is what the store promises. An fsync per file only adds durability across a power cut or a kernel
   * crash, for ~0.5–1 ms of disk flush per image (bench/images.sh: 0.4–1.2 s and ~0.7 s of system CPU more per
   * 10,000 images). What a power cut can then leave: the newest images missing, or empty under their real names
   * (ext4 and XFS allocate blocks late), while the items table (SQLite, synced at each commit) refers to them.
   * `images verify` reports the missing ones; an empty one is only found by looking, and is fetched again once
   * deleted. Images are copies of pages' pictures, so that window is the price of not flushing each one.
   */
  protected async writeTemp(temp: string, data: Uint8Array): Promise<void> {
    await writeFile(temp, data, { flag: "wx" });
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    try {
      const buffer = await readFile(this.path(key));
      return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    } catch (e) {
      if (isMissing(e)) return undefined;
      throw e;
    }
  }

  async delete(key: string): Promise<void> {
    try {
      await unlink(this.path(key));
    } catch (e) {
      if (!isMissing(e)) throw e;
    }
  }

  async exists(key: string): Promise<boolean> {
    try {
      return (await stat(this.path(key))).isFile();
    } catch (e) {
      if (isMissing(e)) return false;
      throw e;
    }
  }

  async *list(prefix = ""): AsyncIterable<string> {
    assertBlobPrefix(prefix);
    // Only the folder the prefix's complete segments name can hold matching keys.
    const folder = prefix.slice(0, prefix.lastIndexOf("/") + 1);
    for await (const key of this.walk(folder)) if (key.startsWith(prefix)) yield key;
  }

  private async *walk(folder: string): AsyncIterable<string> {
    let entries;
    try {
      entries = await readdir(join(this.root, folder), { withFileTypes: true });
    } catch (e) {
      if (isMissing(e)) return;
      throw e;
    }
    for (const entry of entries) {
      if (entry.name.startsWith(".")) continue; // temp files, and nothing a key can name
      if (entry.isDirectory()) yield* this.walk(`${folder}${entry.name}/`);
      else if (entry.isFile()) yield `${folder}${entry.name}`;
    }
  }

  /** The key's file. `assertBlobKey` has already refused anything that could leave the root; this checks anyway. */
  private path(key: string): string {
    assertBlobKey(key);
    const path = join(this.root, ...key.split("/"));
    if (!path.startsWith(this.root + sep)) throw new Error(`blob key ${JSON.stringify(key)} resolves outside ${this.root}`);
    return path;
  }
}

/** Why a folder cannot be written, by system error code. */
const WRITE_ERRORS: Record<string, string> = {
  EACCES: "permission denied (EACCES)",
  EPERM: "operation not permitted (EPERM)",
  EROFS: "read-only file system (EROFS)",
  ENOSPC: "no space left on the device (ENOSPC)",
  EDQUOT: "disk quota exceeded (EDQUOT)",
};

/** The nearest existing ancestor of `dir` (itself included) when it is not a folder. */
async function fileInTheWay(dir: string): Promise<string | undefined> {
  for (let d = dir; ; d = dirname(d)) {
    try {
      return (await stat(d)).isDirectory() ? undefined : d;
    } catch {
      if (dirname(d) === d) return undefined;
    }
  }
}

function isMissing(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  // ENOTDIR: a folder on the key's path is a file; EISDIR: the key names a folder. No such key either way.
  return code === "ENOENT" || code === "ENOTDIR" || code === "EISDIR";
}
