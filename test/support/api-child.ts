/**
 * The API in a process of its own, for tests that measure the process (memory): serves `createApp` over the
 * database at argv[2] on 127.0.0.1 (random port), prints its URL on the first line of stdout, and stops on SIGTERM.
 */
import { join } from "node:path";
import { tmpdir } from "node:os";
import { ADMIN_ASSETS } from "../../cli/admin-assets.ts";
import { connectDatabase } from "../../cli/database.ts";
import { FsBlobStore } from "../../cli/fs-blob-store.ts";
import { LocalQueue } from "../../cli/local-queue.ts";
import { createApp } from "../../src/api/app.ts";
import { DEFAULT_API_SETTINGS } from "../../src/api/deps.ts";
import { Fetcher } from "../../src/fetch/fetcher.ts";
import { systemClock } from "../../src/ports.ts";
import { TEST_FETCH } from "./crawl.ts";

const database = await connectDatabase(process.argv[2]!);
const queue = new LocalQueue(1, async () => {}, database, systemClock, () => {});
const app = createApp({
  database,
  images: new FsBlobStore(join(tmpdir(), "dscraper-api-child-images")),
  queue,
  clock: systemClock,
  fetcher: new Fetcher(TEST_FETCH),
  settings: { ...DEFAULT_API_SETTINGS, rateLimit: 0 },
  adminAssets: ADMIN_ASSETS,
  log: () => {},
});
const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: (request) => app.fetch(request) });
console.log(`http://127.0.0.1:${server.port}`);
process.on("SIGTERM", () => {
  void queue.stop(new Error("SIGTERM")).then(async () => {
    await server.stop(true);
    database.close();
    process.exit(0);
  });
});
