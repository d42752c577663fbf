/**
 * Reading the user's files: strict UTF-8 (a byte that is not UTF-8 is refused at its offset, never replaced), and a
 * clear one-line error instead of a stack trace.
 */
import { closeSync, openSync, readFileSync, readSync } from "node:fs";
import { BundleSyntaxError } from "../src/bundle/bundle-scan.ts";
import { bundleBytes, BundleChangedError, InvalidUtf8Error, type BundleSource } from "../src/bundle/source.ts";
import { invalidUtf8At } from "../src/bundle/utf8.ts";
import { UsageError } from "./args.ts";

/** Bytes read from a file per chunk when a bundle is streamed. */
const CHUNK = 1 << 20;

function cannotRead(file: string, e: unknown): UsageError {
  const code = (e as NodeJS.ErrnoException).code;
  return new UsageError(code === "ENOENT" ? `${file}: no such file` : `${file}: cannot read (${code ?? String(e)})`);
}

function readBytes(file: string): Uint8Array {
  try {
    return readFileSync(file === "-" ? 0 : file);
  } catch (e) {
    throw cannotRead(file, e);
  }
}

/** The text of FILE (or stdin for "-"), which must be UTF-8. */
export function readTextFile(file: string): string {
  const bytes = readBytes(file);
  const bad = invalidUtf8At(bytes);
  if (bad >= 0) throw new UsageError(`${file}: not valid UTF-8 at byte ${bad} (save the file as UTF-8; nothing was read)`);
  // A byte order mark is not part of the text.
  return new TextDecoder("utf-8", { ignoreBOM: false }).decode(bytes);
}

/** Reads FILE (or stdin for "-") and parses it as JSON. */
export function readJsonFile(file: string): unknown {
  const text = readTextFile(file);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${file}: not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
}

/**
 * A bundle file read a chunk at a time, afresh for each pass of the import (stdin, which cannot be read twice, is
 * held in memory as bytes). Its errors name the file.
 */
export function bundleFile(file: string): BundleSource {
  let stdin: Uint8Array | undefined;
  const chunks =
    file === "-"
      ? async function* () {
          stdin ??= readBytes("-");
          for (let at = 0; at < stdin.length; at += CHUNK) yield stdin.subarray(at, at + CHUNK);
        }
      : async function* () {
          let fd: number;
          try {
            fd = openSync(file, "r");
          } catch (e) {
            throw cannotRead(file, e);
          }
          try {
            for (;;) {
              // A new buffer each time: the scanner may keep views of earlier chunks.
              const buffer = new Uint8Array(CHUNK);
              const n = readSync(fd, buffer, 0, CHUNK, null);
              if (n === 0) return;
              yield buffer.subarray(0, n);
            }
          } finally {
            closeSync(fd);
          }
        };
  const source = bundleBytes(chunks);
  return {
    each: (kind, visit) =>
      source.each(kind, visit).catch((e: unknown) => {
        if (e instanceof InvalidUtf8Error || e instanceof BundleSyntaxError || e instanceof BundleChangedError) throw new UsageError(`${file}: ${e.issues[0]!.message}`);
        throw e;
      }),
  };
}
