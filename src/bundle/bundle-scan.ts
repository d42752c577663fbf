/**
 * @module
 * Reading a bundle's JSON one definition at a time: a bundle is `{"classes": [...], "scrapers": [...],
 * "sources": [...]}`, and a pass over its bytes hands out the elements of one of those lists, each as its own bytes
 * (then parsed on its own), without ever holding the whole document. The scanner checks the structure around the
 * elements (the object, its keys, the lists, commas and colons, brackets and strings inside skipped values); the
 * elements themselves are checked by `JSON.parse`.
 */
import { concatBytes } from "../bytes.ts";
import { ValidationError } from "../errors.ts";

export const BUNDLE_KINDS = ["classes", "scrapers", "sources"] as const;
export type BundleKind = (typeof BUNDLE_KINDS)[number];

/** The bytes are not JSON: where, and why. */
export class BundleSyntaxError extends ValidationError {
  constructor(
    readonly offset: number,
    readonly reason: string,
  ) {
    super([{ path: "", message: `not valid JSON at byte ${offset}: ${reason}` }]);
    this.name = "BundleSyntaxError";
  }
}

export type ScanEvent =
  /** The document is a JSON value but not an object: its type, as its first byte tells it. */
  | { type: "root"; jsonType: string }
  /** A member of the bundle object, in document order. */
  | { type: "key"; key: string; offset: number }
  /** An element of the wanted list. */
  | { type: "element"; bytes: Uint8Array; index: number; offset: number }
  /** The wanted key's value when it is not a list (to report its type). */
  | { type: "value"; bytes: Uint8Array; offset: number };

const enum S {
  RootBefore,
  ObjectFirst,
  ObjectKey,
  Key,
  Colon,
  Value,
  ArrayFirst,
  ArrayElement,
  ArrayNext,
  MemberEnd,
  After,
  /** Inside a value being captured or skipped (see `Value`). */
  InValue,
  Done,
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
}

/**
 * One pass over a bundle's bytes, fed chunk by chunk, handing out the elements of the list under `wanted`. An
 * element's bytes may be views of the chunks pushed: a chunk must not be reused for the next one.
 */
export class BundleScanner {
  private state = S.RootBefore;
  private offset = 0;
  private keyParts: Uint8Array[] = [];
  private keyStart = 0;
  private inString = false;
  private escaped = false;
  private currentKeyWanted = false;
  /** The value being read: captured (an element, or the wanted non-list value) or skipped. */
  private value: { capture: boolean; start: number; parts: Uint8Array[]; closers: number[]; scalar: boolean; isElement: boolean } | undefined;
  private index = 0;

  /** `startOffset`: where the first byte pushed is in the file (after a byte order mark). */
  constructor(
    private readonly wanted: BundleKind | undefined,
    startOffset = 0,
  ) {
    this.offset = startOffset;
  }

  /** The events of `chunk`, in order. Throws BundleSyntaxError. */
  push(chunk: Uint8Array): ScanEvent[] {
    const events: ScanEvent[] = [];
    const base = this.offset;
    this.offset += chunk.length;
    let i = 0;
    const fail = (reason: string, at = base + i): never => {
      throw new BundleSyntaxError(at, reason);
    };
    while (i < chunk.length) {
      const b = chunk[i]!;
      switch (this.state) {
        case S.RootBefore:
          if (isSpace(b)) break;
          if (b === 0x7b) this.state = S.ObjectFirst;
          else {
            events.push({ type: "root", jsonType: jsonTypeOf(b) });
            this.state = S.Done;
            return events;
          }
          break;
        case S.ObjectFirst:
        case S.ObjectKey:
          if (isSpace(b)) break;
          if (b === QUOTE) {
            this.state = S.Key;
            this.keyStart = base + i;
            this.keyParts = [];
            this.escaped = false;
            // The key's bytes from its opening quote are collected as the loop goes.
            i = this.readKey(chunk, i, i + 1, events, fail);
            continue;
          }
          if (b === 0x7d && this.state === S.ObjectFirst) this.state = S.After;
          else fail(this.state === S.ObjectFirst ? 'expected a key ("classes", "scrapers" or "sources") or }' : "expected a key after ,");
          break;
        case S.Key:
          i = this.readKey(chunk, i, i, events, fail);
          continue;
        case S.Colon:
          if (isSpace(b)) break;
          if (b !== 0x3a) fail("expected : after the key");
          this.state = S.Value;
          break;
        case S.Value:
          if (isSpace(b)) break;
          if (this.currentKeyWanted && b === 0x5b) {
            this.state = S.ArrayFirst;
            break;
          }
          this.startValue(b, base + i, this.currentKeyWanted, false);
          continue;
        case S.ArrayFirst:
          if (isSpace(b)) break;
          if (b === 0x5d) {
            this.state = S.MemberEnd;
            break;
          }
          this.startValue(b, base + i, true, true);
          continue;
        case S.ArrayElement:
          if (isSpace(b)) break;
          if (b === 0x5d) fail("a list must not end with a comma");
          this.startValue(b, base + i, true, true);
          continue;
        case S.ArrayNext:
          if (isSpace(b)) break;
          if (b === 0x2c) this.state = S.ArrayElement;
          else if (b === 0x5d) this.state = S.MemberEnd;
          else fail("expected , or ] after a list element");
          break;
        case S.MemberEnd:
          if (isSpace(b)) break;
          if (b === 0x2c) this.state = S.ObjectKey;
          else if (b === 0x7d) this.state = S.After;
          else fail("expected , or } after a member of the bundle");
          break;
        case S.After:
          if (!isSpace(b)) fail("unexpected content after the bundle's closing }");
          break;
        case S.InValue: {
          const end = this.scanValue(chunk, i, base, fail);
          if (end < 0) {
            if (this.value!.capture) this.value!.parts.push(chunk.subarray(i));
            i = chunk.length;
            continue;
          }
          if (this.value!.capture) this.value!.parts.push(chunk.subarray(i, end));
          i = end;
          this.endValue(events);
          continue;
        }
        case S.Done:
          return events;
      }
      i++;
    }
    return events;
  }

  /** After the last chunk. Throws BundleSyntaxError when the document is not complete. */
  finish(): void {
    if (this.state === S.After || this.state === S.Done) return;
    if (this.state === S.RootBefore) throw new BundleSyntaxError(this.offset, "the file is empty");
    throw new BundleSyntaxError(this.offset, "unexpected end of the file (a bracket or quote is not closed)");
  }

  /** From `i` inside a string: the index of its closing quote, or -1 when the chunk ends first. */
  private readString(chunk: Uint8Array, i: number): number {
    for (; i < chunk.length; i++) {
      const b = chunk[i]!;
      if (this.escaped) this.escaped = false;
      else if (b === BACKSLASH) this.escaped = true;
      else if (b === QUOTE) return i;
    }
    return -1;
  }

  /**
   * Keeps a key's bytes of `chunk` from `from` and looks for its closing quote from `scanFrom`: the index to go on
   * from, past the key when it ends in this chunk (then its event is out), else the chunk's end.
   */
  private readKey(chunk: Uint8Array, from: number, scanFrom: number, events: ScanEvent[], fail: (reason: string, at?: number) => never): number {
    const end = this.readString(chunk, scanFrom);
    if (end < 0) {
      this.keyParts.push(chunk.subarray(from));
      return chunk.length;
    }
    this.keyParts.push(chunk.subarray(from, end + 1));
    this.endKey(events, fail);
    return end + 1;
  }

  private endKey(events: ScanEvent[], fail: (reason: string, at?: number) => never): void {
    let key: string;
    try {
      key = JSON.parse(new TextDecoder().decode(concatBytes(this.keyParts))) as string;
    } catch {
      fail("a key is not a valid JSON string", this.keyStart);
    }
    this.currentKeyWanted = key! === this.wanted;
    this.index = 0;
    events.push({ type: "key", key: key!, offset: this.keyStart });
    this.state = S.Colon;
  }

  private startValue(first: number, at: number, capture: boolean, isElement: boolean): void {
    this.state = S.InValue;
    this.inString = false;
    this.escaped = false;
    const scalar = first !== 0x7b && first !== 0x5b && first !== QUOTE;
    this.value = { capture, start: at, parts: [], closers: [], scalar, isElement };
  }

  /**
   * Scans the value from `i`: the index just past its last byte, or -1 when the chunk ends first. A container ends
   * with the bracket that closes it, a string with its closing quote, a number or literal before the first byte
   * that cannot be part of it.
   */
  private scanValue(chunk: Uint8Array, i: number, base: number, fail: (reason: string, at?: number) => never): number {
    const v = this.value!;
    if (v.scalar) {
      for (; i < chunk.length; i++) {
        const b = chunk[i]!;
        if (isSpace(b) || b === 0x2c || b === 0x5d || b === 0x7d) return i;
      }
      return -1;
    }
    const closers = v.closers;
    for (; i < chunk.length; i++) {
      const b = chunk[i]!;
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (b === BACKSLASH) this.escaped = true;
        else if (b === QUOTE) {
          this.inString = false;
          if (closers.length === 0) return i + 1;
        }
        continue;
      }
      if (b === QUOTE) this.inString = true;
      else if (b === 0x7b) closers.push(0x7d);
      else if (b === 0x5b) closers.push(0x5d);
      else if (b === 0x7d || b === 0x5d) {
        if (closers.pop() !== b) fail(`unexpected ${String.fromCharCode(b)}`, base + i);
        if (closers.length === 0) return i + 1;
      }
    }
    return -1;
  }

  private endValue(events: ScanEvent[]): void {
    const v = this.value!;
    this.value = undefined;
    if (v.isElement) {
      events.push({ type: "element", bytes: concatBytes(v.parts), index: this.index++, offset: v.start });
      this.state = S.ArrayNext;
      return;
    }
    if (v.capture) events.push({ type: "value", bytes: concatBytes(v.parts), offset: v.start });
    this.state = S.MemberEnd;
  }
}

function jsonTypeOf(first: number): string {
  if (first === 0x5b) return "array";
  if (first === QUOTE) return "string";
  if (first === 0x74 || first === 0x66) return "boolean";
  if (first === 0x6e) return "null";
  return "number";
}
