/**
 * `dscraper items` streams: exporting 100,000 items takes about the memory of exporting 2,000. Measured as the
 * peak RSS of the real process; a command that held the items (or the output) would need hundreds of MB more.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { createClient } from "@libsql/client";
import { createReadStream, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { ROOT } from "../support/cli.ts";
import { tempDir } from "../support/temp.ts";

const MANY = 100_000;
const FEW = 2_000;
/** Generous: the process's own noise (JIT, GC timing) stays well below it; holding 100 MB of rows does not. */
const BOUND = 80 * 1024 * 1024;

let cwd: string;

beforeAll(async () => {
  cwd = tempDir();
  writeFileSync(
    join(cwd, "b.json"),
    JSON.stringify({
      classes: [{ name: "Row", attrs: [{ name: "base", attr_type: "B" }, { name: "text", attr_type: "S", id_field: true }, { name: "body", attr_type: "S" }] }],
      scrapers: [{ name: "rows", class: "Row", page_types: [{ page_type: "MP" }], elems: [{ attr: "base", x_path: "//div" }, { attr: "text", x_path: "p/text()" }] }],
      sources: [
        { name: "many", url: "http://127.0.0.1:9/many/", scraper: "rows" },
        { name: "few", url: "http://127.0.0.1:9/few/", scraper: "rows" },
      ],
    }),
  );
  const imported = Bun.spawnSync([process.execPath, join(ROOT, "cli/main.ts"), "import", "b.json"], { cwd });
  expect(imported.exitCode).toBe(0);
  const client = createClient({ url: `file:${join(cwd, "data/dscraper.db")}` });
  try {
    // About 1 KB of data per item: 100 MB for the big source.
    const fill = (source: number, count: number) => `
      WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${count})
      INSERT INTO items (class_id, source_id, unique_key, url, data, created_at, updated_at)
      SELECT 1, ${source}, '${source}-' || i, 'http://x/' || i,
             json_object('text', 'row ' || i, 'body', replace(hex(zeroblob(500)), '00', 'ab')),
             1700000000000 + i, 1700000000000 + i
      FROM n`;
    await client.execute(fill(1, MANY));
    await client.execute(fill(2, FEW));
  } finally {
    client.close();
  }
}, 120_000);

async function exportRss(args: string[]): Promise<{ rss: number; lines: number }> {
  const proc = Bun.spawn([process.execPath, join(ROOT, "cli/main.ts"), "items", ...args], { cwd, stdout: "pipe", stderr: "pipe" });
  // stdout is consumed as it comes (counted, not kept), as a pipe to another program would.
  let lines = 0;
  for await (const chunk of proc.stdout) for (const byte of chunk) if (byte === 10) lines++;
  const code = await proc.exited;
  expect(await new Response(proc.stderr).text()).toBe("");
  expect(code).toBe(0);
  return { rss: proc.resourceUsage()!.maxRSS, lines };
}

async function fileLines(path: string): Promise<number> {
  let lines = 0;
  for await (const _ of createInterface({ input: createReadStream(path), crlfDelay: Infinity })) lines++;
  return lines;
}

describe("items export memory", () => {
  test("JSON Lines on stdout: 100,000 items in about the memory of 2,000", async () => {
    const few = await exportRss(["--source", "few"]);
    const many = await exportRss(["--source", "many"]);
    expect(few.lines).toBe(FEW);
    expect(many.lines).toBe(MANY);
    expect(many.rss - few.rss).toBeLessThan(BOUND);
  }, 120_000);

  test("CSV to a file: the same", async () => {
    const few = await exportRss(["--source", "few", "--out", "few.csv"]);
    const many = await exportRss(["--source", "many", "--out", "many.csv"]);
    expect(await fileLines(join(cwd, "many.csv"))).toBe(MANY + 1);
    expect(many.rss - few.rss).toBeLessThan(BOUND);
  }, 120_000);
});
