/**
 * `dscraper items` streams: exporting 100,000 items takes about the memory of exporting 2,000. Measured as the
 * peak RSS of the real process; a command that held the items (or the output) would need hundreds of MB more.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { createReadStream } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { ROOT } from "../support/cli.ts";
import { FEW, fillManyAndFew, MANY, MANY_AND_FEW } from "../support/many-items.ts";
import { importedProject, projectDatabaseUrl } from "../support/project.ts";

/** Generous: the process's own noise (JIT, GC timing) stays well below it; holding 100 MB of rows does not. */
const BOUND = 80 * 1024 * 1024;

let cwd: string;

beforeAll(async () => {
  cwd = await importedProject(MANY_AND_FEW);
  await fillManyAndFew(projectDatabaseUrl(cwd));
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
