/**
 * Reading a bundle's bytes a definition at a time (`bundleBytes`): the same definitions as `JSON.parse` gives,
 * whatever the chunk sizes; bytes that are not JSON or not UTF-8 refused at their offset; an outline that is not
 * a bundle refused with the path.
 */
import { describe, expect, test } from "bun:test";
import { bundleBytes, type BundleKind } from "../../src/bundle/source.ts";
import { invalidUtf8At } from "../../src/bundle/utf8.ts";
import { ValidationError } from "../../src/errors.ts";

const encoder = new TextEncoder();

/** The bytes, in chunks of `size` bytes (each a fresh array, as a file reader gives them). */
function source(bytes: Uint8Array, size: number) {
  return bundleBytes(async function* () {
    for (let at = 0; at < bytes.length; at += size) yield bytes.slice(at, at + size);
  });
}

async function all(bytes: Uint8Array, kind: BundleKind, size: number): Promise<unknown[]> {
  const out: unknown[] = [];
  await source(bytes, size).each(kind, (raw, i) => {
    expect(i).toBe(out.length);
    out.push(raw);
  });
  return out;
}

async function refusal(bytes: Uint8Array | string, kind: BundleKind = "scrapers", size = 7): Promise<string[]> {
  const b = typeof bytes === "string" ? encoder.encode(bytes) : bytes;
  try {
    await all(b, kind, size);
  } catch (e) {
    if (!(e instanceof ValidationError)) throw e;
    return e.issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message));
  }
  throw new Error("accepted");
}

const SAMPLE = {
  sources: [{ name: "s,}]{[\\\"", url: "http://x/" }, 1, "two", null, true, [3, [4]], { nested: { a: [1, { b: "]" }] } }],
  classes: [],
  scrapers: [{ name: "é ✓ 𝄞", x: -1.5e3 }, { "\"": "\\" }],
};

describe("bundleBytes: the definitions, one at a time", () => {
  for (const size of [1, 2, 3, 7, 64, 1 << 20]) {
    test(`chunks of ${size} byte(s): each list's elements as JSON.parse gives them`, async () => {
      for (const text of [JSON.stringify(SAMPLE), JSON.stringify(SAMPLE, null, 2), `\uFEFF${JSON.stringify(SAMPLE, null, "\t")}\r\n`]) {
        const bytes = encoder.encode(text);
        for (const kind of ["classes", "scrapers", "sources"] as const) expect(await all(bytes, kind, size)).toEqual(SAMPLE[kind]);
      }
    });
  }

  test("a missing list has no elements; {} is an empty bundle", async () => {
    expect(await all(encoder.encode('{"classes": []}'), "sources", 3)).toEqual([]);
    expect(await all(encoder.encode(" {} "), "classes", 1)).toEqual([]);
  });
});

describe("bundleBytes: refusals", () => {
  const cases: [string, string | Uint8Array, string, BundleKind?][] = [
    ["empty file", "", "not valid JSON at byte 0: the file is empty"],
    ["cut short in a list", '{"scrapers": [{"a": 1}', "not valid JSON at byte 22: unexpected end of the file (a bracket or quote is not closed)"],
    ["cut short in a string", '{"scrapers": ["abc', "not valid JSON at byte 18: unexpected end of the file (a bracket or quote is not closed)"],
    ["a key without quotes", "{scrapers: []}", 'not valid JSON at byte 1: expected a key ("classes", "scrapers" or "sources") or }'],
    ["no colon", '{"scrapers" []}', "not valid JSON at byte 12: expected : after the key"],
    ["a trailing comma in a list", '{"scrapers": [1, ]}', "not valid JSON at byte 17: a list must not end with a comma"],
    ["a trailing comma in the object", '{"scrapers": [],}', "not valid JSON at byte 16: expected a key after ,"],
    ["two lists without a comma", '{"classes": [] "scrapers": []}', "not valid JSON at byte 15: expected , or } after a member of the bundle"],
    ["a mismatched bracket in an element", '{"scrapers": [{"a": [1}]}', "not valid JSON at byte 22: unexpected }"],
    ["content after the bundle", '{"scrapers": []} x', "not valid JSON at byte 17: unexpected content after the bundle's closing }"],
    ["an element that is not JSON", '{"scrapers": [{"a": tru}]}', "not valid JSON at byte 14: scrapers[0]: "],
    ["an element of a list not wanted in this pass is checked in its own pass", '{"scrapers": [], "sources": [nope]}', "not valid JSON at byte 29: sources[0]: ", "sources"],
    ["a list given twice", '{"scrapers": [], "scrapers": []}', 'not valid JSON at byte 17: "scrapers" appears twice'],
    ["an unknown list", '{"scrapers": [], "scraper": []}', "scraper: unknown field"],
    ["a list that is not a list", '{"scrapers": {"name": "x"}}', "scrapers: Invalid input: expected array, received object"],
    ["a bundle that is not an object", "[1, 2]", "Invalid input: expected object, received array"],
    ["a stray continuation byte", new Uint8Array([...encoder.encode('{"scrapers": ["a'), 0x80, ...encoder.encode('"]}')]), "not valid UTF-8 at byte 16 (save the file as UTF-8; nothing was read)"],
    ["Latin-1 é", new Uint8Array([...encoder.encode('{"classes": [], "scrapers": [{"name": "caf'), 0xe9, ...encoder.encode('"}]}')]), "not valid UTF-8 at byte 42 (save the file as UTF-8; nothing was read)"],
    ["a sequence cut short by the end", new Uint8Array([...encoder.encode('{"scrapers": ["a'), 0xe2, 0x82]), "not valid UTF-8 at byte 16 (save the file as UTF-8; nothing was read)"],
  ];
  for (const [name, input, message, kind] of cases) {
    test(name, async () => {
      const [issue] = await refusal(input, kind);
      if (message.endsWith(": ")) expect(issue).toStartWith(message);
      else expect(issue).toBe(message);
    });
  }
});

describe("invalidUtf8At (RFC 3629)", () => {
  const cases: [string, number[], number][] = [
    ["ASCII", [0x61, 0x62], -1],
    ["2, 3 and 4 byte forms", [0xc3, 0xa9, 0xe2, 0x9c, 0x93, 0xf0, 0x9d, 0x84, 0x9e], -1],
    ["the largest code point U+10FFFF", [0xf4, 0x8f, 0xbf, 0xbf], -1],
    ["a lone continuation byte", [0x61, 0x80], 1],
    ["C0/C1: an overlong 2-byte form", [0xc0, 0xaf], 0],
    ["an overlong 3-byte form (E0 80..9F)", [0x61, 0xe0, 0x80, 0xaf], 1],
    ["an overlong 4-byte form (F0 80..8F)", [0xf0, 0x80, 0x80, 0xaf], 0],
    ["a UTF-16 surrogate (ED A0..BF)", [0xed, 0xa0, 0x80], 0],
    ["past U+10FFFF (F4 90)", [0xf4, 0x90, 0x80, 0x80], 0],
    ["F5..FF never appear", [0x61, 0x62, 0xf5], 2],
    ["a sequence interrupted by ASCII", [0xe2, 0x82, 0x61], 0],
    ["a sequence cut short by the end", [0x61, 0xf0, 0x9d, 0x84], 1],
    ["a NUL is valid UTF-8 (the names' rules refuse it)", [0x00], -1],
  ];
  for (const [name, bytes, at] of cases) test(name, () => expect(invalidUtf8At(new Uint8Array(bytes))).toBe(at));

  test("agrees with a strict decoder on every 2-byte sequence", () => {
    const strict = new TextDecoder("utf-8", { fatal: true });
    for (let a = 0; a < 256; a++) {
      for (let b = 0; b < 256; b++) {
        const bytes = new Uint8Array([a, b]);
        let valid = true;
        try {
          strict.decode(bytes);
        } catch {
          valid = false;
        }
        expect(invalidUtf8At(bytes) === -1).toBe(valid);
      }
    }
  });
});
