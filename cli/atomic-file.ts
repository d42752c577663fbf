/**
 * `--out FILE`: output that replaces FILE whole or not at all. It is written to a temp file beside FILE and renamed
 * over it once complete, so an existing FILE is never merged with (a shorter new content would leave the old
 * tail behind) and a run that crashes or is interrupted leaves FILE as it was.
 */
import type { FileSink } from "bun";
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { UsageError } from "./args.ts";

export interface TextOutput {
  write(text: string): void;
  /** Resolves when the output can take more: a caller writing a lot awaits it between batches (stdout waits for its reader). */
  drain(): Promise<void>;
  /** The output is complete: FILE is replaced by it. */
  commit(): Promise<void>;
  /** The output is dropped: FILE stays as it was. */
  abort(): Promise<void>;
}

/** Written out once this many characters are gathered. */
const FLUSH_BYTES = 1 << 18;

export function atomicFile(path: string, flag = "--out"): TextOutput {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}-${Math.random().toString(36).slice(2, 8)}.tmp`);
  let fd: number;
  try {
    // Opened now, so that a folder that cannot be written is an error before any work is done.
    fd = openSync(temp, "wx");
  } catch (e) {
    throw new UsageError(`${flag}: cannot write '${path}': ${e instanceof Error ? e.message : String(e)}`);
  }
  // Rows are gathered and written a slice at a time, as they come: a crawl's rows reach the disk during the run.
  let buffer: string[] = [];
  let buffered = 0;
  const flush = () => {
    if (buffered === 0) return;
    writeSync(fd, buffer.join(""));
    buffer = [];
    buffered = 0;
  };
  let open = true;
  const close = () => {
    if (!open) return;
    open = false;
    closeSync(fd);
  };
  return {
    write(text) {
      buffer.push(text);
      buffered += text.length;
      if (buffered >= FLUSH_BYTES) flush();
    },
    async drain() {},
    async commit() {
      try {
        flush();
        // On disk before it takes FILE's name: a crash right after the rename must not leave an empty FILE.
        fsyncSync(fd);
      } finally {
        close();
      }
      renameSync(temp, path);
    },
    async abort() {
      try {
        close();
      } finally {
        rmSync(temp, { force: true });
      }
    },
  };
}

/** Standard output as a TextOutput (commit and abort only flush). */
export function standardOutput(): TextOutput {
  const sink: FileSink = Bun.stdout.writer({ highWaterMark: 1 << 16 });
  let pending = 0;
  const flush = async () => {
    pending = 0;
    await sink.flush();
  };
  return {
    write(text) {
      void sink.write(text);
      pending += text.length;
    },
    // A pipe to a slower reader holds the writer here rather than in memory.
    drain: () => (pending >= FLUSH_BYTES ? flush() : Promise.resolve()),
    commit: flush,
    abort: flush,
  };
}
