/**
 * What test/support/worker.ts promises beyond a Worker that starts (every other test here starts one): a Worker
 * that cannot load fails the start at once with workerd's own message, and leaves nothing behind.
 */
import { expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../support/cli.ts";
import { startWorker } from "../support/worker.ts";

test("without nodejs_compat the core does not load in workerd (wicked-good-xpath uses `global`): the start fails, naming it", async () => {
  let dir: string | undefined;
  const error = await startWorker({
    config: join(ROOT, "test/worker/app/wrangler.toml"),
    configure: (config, temp) => {
      delete config.compatibility_flags;
      dir = temp;
    },
  }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(dir).toBeDefined();
  expect(error).toBeInstanceOf(Error);
  expect((error as Error).message).toContain("the Worker did not start");
  expect((error as Error).message).toContain("ReferenceError: global is not defined");
  expect((error as Error).message).toContain("wicked-good-xpath");
  expect(existsSync(dir!)).toBe(false);
});
