/**
 * `dscraper import` of big bundles, as a user runs it: real processes, real database files. The import reads a
 * definition at a time (its memory does not grow with the bundle), and stays all or nothing however far into the
 * bundle the bad definition is. Speed and the absolute peak live in bench/import.ts.
 */
import { describe, expect, test } from "bun:test";
import { createClient } from "@libsql/client";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT, runCli } from "../support/cli.ts";
import { tempDir } from "../support/temp.ts";

/** `count` scrapers over a few classes, one source each; `broken` gives scraper `i` an XPath that is not one. */
function bundle(count: number, broken?: number) {
  const classes = Array.from({ length: 5 }, (_, c) => ({
    name: `class ${c}`,
    attrs: [
      { name: "base", attr_type: "B" },
      { name: "title", attr_type: "S", id_field: true },
      { name: "url", attr_type: "U" },
      { name: "author", attr_type: "S" },
    ],
  }));
  const scrapers = Array.from({ length: count }, (_, i) => ({
    name: `scraper ${i}`,
    class: `class ${i % 5}`,
    status: "MANUAL",
    comments: `scraper number ${i}`,
    page_types: [{ page_type: "MP" }, { page_type: "DP1", attr: "url" }],
    elems: [
      { attr: "base", x_path: "//div[@class='entry']" },
      { attr: "title", x_path: i === broken ? "h2/text((" : "h2/a/text()" },
      { attr: "url", x_path: "h2/a/@href" },
      { attr: "author", x_path: "//span[@class='author']/text()", page_type: "DP1" },
    ],
  }));
  const sources = scrapers.map((s, i) => ({ name: `source ${i}`, url: `https://site${i}.example.org/`, scraper: s.name }));
  return { classes, scrapers, sources };
}

async function importRss(cwd: string, file: string): Promise<number> {
  const proc = Bun.spawn([process.execPath, join(ROOT, "cli/main.ts"), "import", file, "--db", `file:${join(cwd, "db", `${file}.db`)}`], { cwd, stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  expect(stderr).toBe("");
  expect(code).toBe(0);
  expect(stdout).toContain("scrapers: ");
  return proc.resourceUsage()!.maxRSS;
}

async function tables(dbPath: string): Promise<Record<string, unknown[]>> {
  const client = createClient({ url: `file:${dbPath}` });
  try {
    const out: Record<string, unknown[]> = {};
    for (const table of ["classes", "scrapers", "sources", "scheduler_runtimes"]) out[table] = (await client.execute(`SELECT * FROM ${table} ORDER BY id`)).rows.map((r) => ({ ...r }));
    return out;
  } finally {
    client.close();
  }
}

describe("dscraper import of big bundles", () => {
  test("importing 6,000 scrapers takes about the memory of importing 200 (it read the whole bundle at once before)", async () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, "few.json"), JSON.stringify(bundle(200)));
    writeFileSync(join(cwd, "many.json"), JSON.stringify(bundle(6_000)));
    const few = await importRss(cwd, "few.json");
    const many = await importRss(cwd, "many.json");
    // Generous: the process's own noise stays well below it; holding the parsed bundle took ~400 MB more.
    expect(many - few).toBeLessThan(80 * 1024 * 1024);
  }, 120_000);

  test("a bad definition at scrapers[29999] of 30,000: exit 2 naming its path, and nothing stored at all", async () => {
    const cwd = tempDir();
    const dbPath = join(cwd, "big.db");
    writeFileSync(join(cwd, "small.json"), JSON.stringify(bundle(3)));
    expect((await runCli(["import", "small.json", "--db", `file:${dbPath}`], { cwd })).code).toBe(0);
    const before = await tables(dbPath);
    // The stored scrapers 0–2 would be updated (new comments) and 29,996 created, were it not for the last one.
    const big = bundle(30_000, 29_999);
    for (const s of big.scrapers.slice(0, 3)) s.comments = "changed";
    writeFileSync(join(cwd, "big.json"), JSON.stringify(big));
    const r = await runCli(["import", "big.json", "--db", `file:${dbPath}`], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^dscraper: invalid input \(1 problem\):\n {2}scrapers\[29999\]\.elems\[1\]\.x_path: .+\n$/);
    expect(r.stdout).toBe("");
    expect(await tables(dbPath)).toEqual(before);
  }, 120_000);
});
