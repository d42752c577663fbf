/**
 * Names that survive the round trip, as a user meets them: a NUL in a source name used to be stored whole, read
 * back cut short, and an export → import then made a second source; bytes that are not UTF-8 used to be replaced
 * silently. Real processes, real database files.
 */
import { describe, expect, test } from "bun:test";
import { createClient } from "@libsql/client";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT, runCli } from "../support/cli.ts";
import { tempDir } from "../support/temp.ts";

function bundle(sourceName: string, scraperName = "quotes", className = "Quote") {
  return {
    classes: [{ name: className, attrs: [{ name: "base", attr_type: "B" }, { name: "text", attr_type: "S", id_field: true }] }],
    scrapers: [
      {
        name: scraperName,
        class: className,
        status: "MANUAL",
        page_types: [{ page_type: "MP" }],
        elems: [
          { attr: "base", x_path: "//div" },
          { attr: "text", x_path: "p/text()" },
        ],
      },
    ],
    sources: [{ name: sourceName, url: "http://127.0.0.1:9/", scraper: scraperName }],
  };
}

/** The stored sources' names (none when the command never created the database). */
async function sourceNames(cwd: string): Promise<string[]> {
  const path = join(cwd, "data/dscraper.db");
  if (!existsSync(path)) return [];
  const client = createClient({ url: `file:${path}` });
  try {
    return (await client.execute("SELECT name FROM sources ORDER BY id")).rows.map((r) => String(r.name));
  } finally {
    client.close();
  }
}

describe("names through import and export", () => {
  test("a NUL inside a source name is refused with the path and the character; nothing is stored", async () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, "b.json"), JSON.stringify(bundle("news\u0000 (old)")));
    const r = await runCli(["import", "b.json"], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("dscraper: invalid input (1 problem):\n  sources[0].name: must not contain control or bidi characters: U+0000 (NUL) at character 5\n");
    expect(await sourceNames(cwd)).toEqual([]);
  });

  test("a bidi override in a scraper name is refused at its path and at the reference to it", async () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, "b.json"), JSON.stringify(bundle("site", "news\u202eelif.exe")));
    const r = await runCli(["import", "b.json"], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("  scrapers[0].name: must not contain control or bidi characters: U+202E (right-to-left override) at character 5\n");
    expect(r.stderr).toContain("  sources[0].scraper: must not contain control or bidi characters: U+202E (right-to-left override) at character 5\n");
  });

  test("names in other scripts, with emoji sequences and combining marks, survive export → import unchanged (no second source)", async () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, "b.json"), JSON.stringify(bundle("ציטוטים – 👩‍💻 e\u0301té", "引用 𝄞", "اقتباسات")));
    expect((await runCli(["import", "b.json"], { cwd })).code).toBe(0);
    const exported = await runCli(["export", "--out", "exported.json"], { cwd });
    expect(exported.code).toBe(0);
    const again = await runCli(["import", "exported.json"], { cwd });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("classes: 0 created, 0 updated, 1 unchanged");
    expect(again.stdout).toContain("scrapers: 0 created, 0 updated, 1 unchanged");
    expect(again.stdout).toContain("sources: 0 created, 0 updated, 1 unchanged");
    expect(await sourceNames(cwd)).toEqual(["ציטוטים – 👩‍💻 e\u0301té"]);
    expect((await runCli(["export"], { cwd })).stdout).toBe(readFileSync(join(cwd, "exported.json"), "utf8"));
  });
});

describe("a bundle file that is not UTF-8 is refused at the byte offset, never repaired", () => {
  const encoder = new TextEncoder();
  /** The bundle's JSON with the `é` of "café" written as Latin-1 (one byte 0xE9), and where that byte is. */
  function latin1(text: string): { bytes: Uint8Array; offset: number } {
    const [before, after] = text.split("é") as [string, string];
    const head = encoder.encode(before);
    return { bytes: new Uint8Array([...head, 0xe9, ...encoder.encode(after)]), offset: head.length };
  }
  const ddsFixture = JSON.stringify([{ model: "dynamic_scraper.scrapedobjclass", pk: 1, fields: { name: "café", comments: "" } }]);
  const cases: [string, string[], string][] = [
    ["import", ["import", "b.json"], JSON.stringify(bundle("café"))],
    ["import --from-dds", ["import", "--from-dds", "b.json"], ddsFixture],
    ["crawl --bundle", ["crawl", "café", "--bundle", "b.json"], JSON.stringify(bundle("café"))],
    ["crawl --bundle --dry-run", ["crawl", "café", "--bundle", "b.json", "--dry-run"], JSON.stringify(bundle("café"))],
  ];
  for (const [name, args, text] of cases) {
    test(`${name}: exit 2 naming the file and the byte offset; nothing stored`, async () => {
      const cwd = tempDir();
      const { bytes, offset } = latin1(text);
      writeFileSync(join(cwd, "b.json"), bytes);
      const r = await runCli(args, { cwd });
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(`dscraper: b.json: not valid UTF-8 at byte ${offset} (save the file as UTF-8; nothing was read)\n`);
      expect(await sourceNames(cwd)).toEqual([]);
    });
  }

  test("import reads from stdin the same way", async () => {
    const cwd = tempDir();
    const { bytes, offset } = latin1(JSON.stringify(bundle("café")));
    const proc = Bun.spawn([process.execPath, join(ROOT, "cli/main.ts"), "import", "-"], { cwd, stdin: bytes, stdout: "pipe", stderr: "pipe" });
    const [stderr, code] = await Promise.all([new Response(proc.stderr).text(), proc.exited]);
    expect(code).toBe(2);
    expect(stderr).toBe(`dscraper: -: not valid UTF-8 at byte ${offset} (save the file as UTF-8; nothing was read)\n`);
  });

  test("a UTF-8 byte order mark is not an error (it is not part of the JSON)", async () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, "b.json"), new Uint8Array([0xef, 0xbb, 0xbf, ...encoder.encode(JSON.stringify(bundle("café")))]));
    const r = await runCli(["import", "b.json"], { cwd });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(await sourceNames(cwd)).toEqual(["café"]);
  });
});
