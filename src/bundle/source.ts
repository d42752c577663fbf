/**
 * @module
 * Where an import reads its definitions from, one at a time and as often as it needs (once to check them, once to
 * write them): a bundle already in memory (an API body, `crawl --bundle`), or a bundle's bytes read afresh on each
 * pass (a file too big to hold parsed), checked as strict UTF-8 and JSON as they stream by, and refused if they
 * differ from one pass to the next.
 */
import { z } from "zod";
import { concatBytes } from "../bytes.ts";
import { ValidationError } from "../errors.ts";
import { requiredMessage, zodIssues } from "../model/issues.ts";
import { BUNDLE_KINDS, BundleScanner, BundleSyntaxError, type BundleKind } from "./bundle-scan.ts";
import { Utf8Validator } from "./utf8.ts";

export type { BundleKind } from "./bundle-scan.ts";

export interface BundleSource {
  /**
   * Visits the elements of the bundle's `kind` list in order, as parsed JSON (a missing list has none). Throws
   * ValidationError when the bundle is not an object of those lists, or its bytes are not UTF-8 or JSON.
   */
  each(kind: BundleKind, visit: (raw: unknown, index: number) => void | Promise<void>): Promise<void>;
}

/** The bundle's outline: an object of three lists, whatever they hold (each definition is checked on its own). */
const outlineSchema = z.strictObject({
  classes: z.array(z.unknown()).default([]),
  scrapers: z.array(z.unknown()).default([]),
  sources: z.array(z.unknown()).default([]),
});

/** The bundle's three lists; throws ValidationError (with zod's words) when `input` is not such an object. */
function outline(input: unknown): z.infer<typeof outlineSchema> {
  const parsed = outlineSchema.safeParse(input, { error: requiredMessage });
  if (!parsed.success) throw new ValidationError(zodIssues(parsed.error.issues));
  return parsed.data;
}

/** A bundle already parsed (or any value claiming to be one). */
export function bundleValue(input: unknown): BundleSource {
  return {
    async each(kind, visit) {
      for (const [i, raw] of outline(input)[kind].entries()) await visit(raw, i);
    },
  };
}

/** The bytes are not UTF-8: where the first bad sequence starts. */
export class InvalidUtf8Error extends ValidationError {
  constructor(readonly offset: number) {
    super([{ path: "", message: `not valid UTF-8 at byte ${offset} (save the file as UTF-8; nothing was read)` }]);
    this.name = "InvalidUtf8Error";
  }
}

/** The bytes of a later pass differ from the first one's. */
export class BundleChangedError extends ValidationError {
  constructor() {
    super([{ path: "", message: "the bundle changed while it was being imported; nothing was stored" }]);
    this.name = "BundleChangedError";
  }
}

const BOM = [0xef, 0xbb, 0xbf];

/**
 * A bundle's bytes, read afresh by `read()` for every pass, in chunks that are not reused. Memory: one chunk and
 * one definition at a time.
 */
export function bundleBytes(read: () => AsyncIterable<Uint8Array>): BundleSource {
  let firstPass: string | undefined;
  return {
    async each(kind, visit) {
      const utf8 = new Utf8Validator();
      const fingerprint = new Fingerprint();
      const seen = new Set<string>();
      let scanner: BundleScanner | undefined;
      let pending: Uint8Array = new Uint8Array(0);
      for await (const chunk of read()) {
        const bad = utf8.push(chunk);
        if (bad >= 0) throw new InvalidUtf8Error(bad);
        fingerprint.update(chunk);
        let bytes = chunk;
        if (!scanner) {
          // A UTF-8 byte order mark is not part of the JSON; offsets still count it.
          pending = concatBytes([pending, chunk]);
          if (pending.length < BOM.length && BOM.slice(0, pending.length).every((b, i) => pending[i] === b)) continue;
          const bom = BOM.every((b, i) => pending[i] === b);
          scanner = new BundleScanner(kind, bom ? BOM.length : 0);
          bytes = bom ? pending.subarray(BOM.length) : pending;
        }
        for (const event of scanner.push(bytes)) {
          if (event.type === "root") throw new ValidationError([{ path: "", message: `Invalid input: expected object, received ${event.jsonType}` }]);
          if (event.type === "key") {
            if (!(BUNDLE_KINDS as readonly string[]).includes(event.key)) throw new ValidationError([{ path: event.key, message: "unknown field" }]);
            if (seen.has(event.key)) throw new BundleSyntaxError(event.offset, `"${event.key}" appears twice`);
            seen.add(event.key);
          } else if (event.type === "element") {
            await visit(parse(event.bytes, event.offset, `${kind}[${event.index}]`), event.index);
          } else {
            // The wanted key holds something other than a list: zod names what it is.
            outline({ [kind]: parse(event.bytes, event.offset, kind) });
          }
        }
      }
      const cut = utf8.end();
      if (cut >= 0) throw new InvalidUtf8Error(cut);
      (scanner ?? new BundleScanner(kind)).finish();
      const print = fingerprint.digest();
      if (firstPass === undefined) firstPass = print;
      else if (print !== firstPass) throw new BundleChangedError();
    },
  };
}

function parse(bytes: Uint8Array, offset: number, where: string): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    throw new BundleSyntaxError(offset, `${where}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** Two 32-bit FNV-1a hashes with different seeds, and the length: tells a changed file from the same bytes. */
class Fingerprint {
  private a = 0x811c9dc5;
  private b = 0x01000193 ^ 0x5bd1e995;
  private length = 0;

  update(chunk: Uint8Array): void {
    let { a, b } = this;
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i]!;
      a = Math.imul(a ^ byte, 0x01000193);
      b = Math.imul(b ^ byte, 0x01000193) ^ (b >>> 15);
    }
    this.a = a;
    this.b = b;
    this.length += chunk.length;
  }

  digest(): string {
    return `${this.length}:${(this.a >>> 0).toString(16)}:${(this.b >>> 0).toString(16)}`;
  }
}
