/**
 * `GET /api/items/export` streams: the server exports 100,000 items in about the memory of 2,000 (peak RSS of the
 * real server process; an export that held the items or the body would need hundreds of MB more). Also here,
 * since it needs many items: a text search counts at most 10,000 matches.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { connectDatabase } from "../../cli/database.ts";
import { importBundle } from "../../src/bundle/import.ts";
import { systemClock } from "../../src/ports.ts";
import { ROOT } from "../support/cli.ts";
import { startApi } from "../support/api.ts";
import { FEW, fillManyAndFew, MANY, MANY_AND_FEW } from "../support/many-items.ts";
import { tempDir } from "../support/temp.ts";

/** Generous: the process's own noise (JIT, GC timing) stays well below it; holding 100 MB of items does not. */
const BOUND = 80 * 1024 * 1024;

let url: string;

beforeAll(async () => {
  url = `file:${join(tempDir(), "big.db")}`;
  const database = await connectDatabase(url);
  await importBundle(database, MANY_AND_FEW, systemClock);
  database.close();
  await fillManyAndFew(url);
}, 120_000);

/** Starts the server process, exports `query`, stops it; its peak RSS and the lines it sent. */
async function exportRss(query: string): Promise<{ rss: number; lines: number }> {
  const proc = Bun.spawn([process.execPath, join(ROOT, "test/support/api-child.ts"), url], { stdout: "pipe", stderr: "pipe" });
  const reader = proc.stdout.getReader();
  let first = "";
  while (!first.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`the server did not start: ${await new Response(proc.stderr).text()}`);
    first += new TextDecoder().decode(value);
  }
  const base = first.trim();
  const response = await fetch(`${base}/api/items/export?${query}`);
  expect(response.status).toBe(200);
  // Consumed as it comes (counted, not kept), as a client writing to a file would.
  let lines = 0;
  for await (const chunk of response.body!) for (const byte of chunk) if (byte === 10) lines++;
  proc.kill("SIGTERM");
  expect(await proc.exited).toBe(0);
  return { rss: proc.resourceUsage()!.maxRSS, lines };
}

describe("export memory", () => {
  test("JSON Lines: 100,000 items in about the memory of 2,000", async () => {
    const few = await exportRss("source=few");
    const many = await exportRss("source=many");
    expect(few.lines).toBe(FEW);
    expect(many.lines).toBe(MANY);
    console.log(`export RSS: ${FEW} items ${(few.rss / 2 ** 20).toFixed(0)} MiB, ${MANY} items ${(many.rss / 2 ** 20).toFixed(0)} MiB`);
    expect(many.rss - few.rss).toBeLessThan(BOUND);
  }, 120_000);
});

describe("a text search over many items", () => {
  let api: Awaited<ReturnType<typeof startApi>>;
  beforeAll(async () => {
    api = await startApi({ database: await connectDatabase(url), settings: { rateLimit: 0 } });
  });
  afterAll(() => api.close());

  test("counts at most 10,000 matches and says the total is capped; a rarer text is counted exactly", async () => {
    const wide = (await (await api.fetch("/api/items?q=row&per_page=3")).json()) as { items: { data: { text: string } }[]; total: number; total_capped: boolean };
    expect(wide).toMatchObject({ total: 10_000, total_capped: true });
    expect(wide.items.map((i) => i.data.text)).toEqual(["row 100000", "row 99999", "row 99998"]);
    const narrow = (await (await api.fetch("/api/items?q=row%2012345&source=many")).json()) as { total: number; total_capped: boolean };
    expect(narrow).toMatchObject({ total: 1, total_capped: false });
    const all = (await (await api.fetch("/api/items")).json()) as { total: number; total_capped: boolean };
    expect(all).toMatchObject({ total: MANY + FEW, total_capped: false });
  });
});
