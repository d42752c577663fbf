/**
 * `--out FILE`: output that replaces FILE whole or not at all. It is written to a temp file beside FILE and renamed
 * over it once complete, so an existing FILE is never merged with (a shorter new content would leave the old
 * tail behind) and a run that crashes or is interrupted leaves FILE as it was.
 */
import type { FileSink } from "bun";
import { closeSync, fsyncSync, openSync, renameSync, rmSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { UsageError } from "./args.ts";

export interface TextOutput {
  write(text: string): void;
  /** Hands the buffer to the system once it has grown large: a caller writing a lot awaits it to keep memory flat. */
  drain(): Promise<void>;
  /** The output is complete: FILE is replaced by it. */
  commit(): Promise<void>;
  /** The output is dropped: FILE stays as it was. */
  abort(): Promise<void>;
}

/** Flush once this much is buffered. */
const FLUSH_BYTES = 1 << 20;

export function atomicFile(path: string, flag = "--out"): TextOutput {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}-${Math.random().toString(36).slice(2, 8)}.tmp`);
  let sink: FileSink;
  try {
    // Created now, so that a folder that cannot be written is an error before any work is done.
    closeSync(openSync(temp, "wx"));
    sink = Bun.file(temp).writer({ highWaterMark: 1 << 16 });
  } catch (e) {
    rmSync(temp, { force: true });
    throw new UsageError(`${flag}: cannot write '${path}': ${e instanceof Error ? e.message : String(e)}`);
  }
  const output = bufferedOutput(sink);
  return {
    ...output,
    async commit() {
      await sink.end();
      // On disk before it takes FILE's name: a crash right after the rename must not leave an empty FILE.
      const fd = openSync(temp, "r+");
      try {
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(temp, path);
    },
    async abort() {
      try {
        await sink.end();
      } finally {
        rmSync(temp, { force: true });
      }
    },
  };
}

/** Standard output as a TextOutput (commit and abort only flush). */
export function standardOutput(): TextOutput {
  const sink = Bun.stdout.writer({ highWaterMark: 1 << 16 });
  const flush = async () => {
    await sink.flush();
  };
  return { ...bufferedOutput(sink), commit: flush, abort: flush };
}

function bufferedOutput(sink: FileSink): Pick<TextOutput, "write" | "drain"> {
  let pending = 0;
  return {
    write(text) {
      void sink.write(text);
      pending += text.length;
    },
    async drain() {
      if (pending < FLUSH_BYTES) return;
      pending = 0;
      await sink.flush();
    },
  };
}
