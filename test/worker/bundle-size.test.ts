/**
 * The Worker's upload stays under the free plan's 3 MiB (gzip), measured as wrangler measures it from an offline
 * `wrangler deploy --dry-run` (worker/build.ts, as `npm run build:worker`): the whole Worker, with the shared app
 * (API, API docs, admin page and its assets), the core's crawl, extraction (linkedom, wicked-good-xpath), database,
 * bundle and image code, and photon's wasm.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildWorker, FREE_PLAN_GZIP_LIMIT, ROOT } from "../../worker/build.ts";
import { tempWranglerConfig } from "../support/worker.ts";

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe("the Worker's bundle size", () => {
  test("the Worker (wrangler.toml), the app and the admin page included, is under the free plan's limit", async () => {
    const dir = mkdtempSync(join(tmpdir(), "dscraper-worker-build-"));
    dirs.push(dir);
    const size = await buildWorker({ config: tempWranglerConfig(join(ROOT, "wrangler.toml"), dir), outdir: join(dir, "out"), minify: true });
    expect(size.wasm.map((w) => w.file)).toEqual([expect.stringMatching(/photon_rs_bg\.wasm$/)]);
    expect(size.javascript.map((j) => j.origin)).toEqual(
      expect.arrayContaining(["worker", "src/api", "hono", "hono-openapi", "linkedom", "wicked-good-xpath", "src/extract", "src/crawl", "src/db"]),
    );
    // The admin's stylesheet and script are modules of their own, whole, as text (wrangler's Text rule).
    for (const asset of ["admin.css", "admin.js"]) {
      const module = size.modules.find((m) => m.endsWith(`-${asset}`));
      expect(module).toBeDefined();
      expect(readFileSync(join(dir, "out", module!), "utf8")).toBe(readFileSync(join(ROOT, "src/api/admin/assets", asset), "utf8"));
    }
    expect(size.gzipSize).toBeLessThan(FREE_PLAN_GZIP_LIMIT);
  }, 120_000);
});
