/**
 * The binary's BlobStore: files in a folder (`--images DIR`, default `./data/images`), a key being a path under
 * it. Writes go to a temp file beside the target and are renamed over it, so a reader, or the folder after a
 * crash, holds the old file or the new one, never half of one. Temp files start with a dot, which keys may not
 * (see `assertBlobKey`), so `list` can skip them and a key can never name one.
 */
import { mkdir, open, readdir, readFile, rename, stat, unlink } from "node:fs/promises";
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
    if (process.env.NOPUT) return;
    const path = this.path(key);
    const dir = dirname(path);
    await mkdir(dir, { recursive: true });
    const temp = join(dir, `${TEMP_PREFIX}${crypto.randomUUID()}`);
    try {
      await this.writeTemp(temp, data);
      await rename(temp, path);
    } catch (e) {
      await unlink(temp).catch(() => undefined);
      throw e;
    }
  }

  /**
   * Writes and flushes the temp file. The fsync before the rename matters: without it a power cut can leave
   * the renamed file empty on filesystems that delay allocation (ext4, XFS).
   */
  protected async writeTemp(temp: string, data: Uint8Array): Promise<void> {
    const file = await open(temp, "wx");
    try {
      await file.writeFile(data);
      if (!process.env.NOSYNC) await file.sync();
    } finally {
      await file.close();
    }
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

function isMissing(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  // ENOTDIR: a folder on the key's path is a file; EISDIR: the key names a folder. No such key either way.
  return code === "ENOENT" || code === "ENOTDIR" || code === "EISDIR";
}
