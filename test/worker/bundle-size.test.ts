/**
 * The Worker's upload stays under the free plan's 3 MiB (gzip), measured as wrangler measures it from an offline
 * `wrangler deploy --dry-run` (worker/build.ts, as `npm run build:worker`). Two bundles: the Worker as it is, and
 * the test Worker, which already holds what the whole Worker will: the core's crawl, extraction (linkedom,
 * wicked-good-xpath), database, bundle and image code, and photon's wasm.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildWorker, FREE_PLAN_GZIP_LIMIT, ROOT } from "../../worker/build.ts";
import { tempWranglerConfig } from "../support/worker.ts";

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function build(config: string) {
  const dir = mkdtempSync(join(tmpdir(), "dscraper-worker-build-"));
  dirs.push(dir);
  return buildWorker({ config: tempWranglerConfig(join(ROOT, config), dir), outdir: join(dir, "out"), minify: true });
}

describe("the Worker's bundle size", () => {
  test("the Worker (wrangler.toml) is under the free plan's limit", async () => {
    const size = await build("wrangler.toml");
    expect(size.javascript.map((j) => j.origin)).toContain("worker");
    expect(size.gzipSize).toBeLessThan(FREE_PLAN_GZIP_LIMIT);
  }, 120_000);

  test("the core with photon's wasm (the test Worker) is under it too", async () => {
    const size = await build("test/worker/app/wrangler.toml");
    expect(size.wasm.map((w) => w.file)).toEqual([expect.stringMatching(/photon_rs_bg\.wasm$/)]);
    expect(size.javascript.map((j) => j.origin)).toEqual(expect.arrayContaining(["linkedom", "wicked-good-xpath", "src/extract", "src/crawl", "src/db"]));
    expect(size.gzipSize).toBeLessThan(FREE_PLAN_GZIP_LIMIT);
  }, 120_000);
});
