/**
 * What every command that runs jobs (crawl, check, tick, serve, demo) builds from its flags: one fetcher shared by
 * the process's jobs (so per-host politeness holds across them), the pages' parsing and extraction on threads with
 * a time limit each, the image store with photon on worker threads, logging, the job webhook, and a heartbeat of a
 * second (a run publishes its stats and learns of a cancel from any process within about that). `close()` waits
 * for the webhooks and stops the threads.
 */
import { Fetcher } from "../src/fetch/fetcher.ts";
import { levelAtLeast, type LogSink } from "../src/jobs/log.ts";
import type { RunnerDeps } from "../src/jobs/runner.ts";
import type { Database } from "../src/db/connect.ts";
import { systemClock } from "../src/ports.ts";
import type { FlagValues } from "./args.ts";
import type { Context } from "./command.ts";
import { ImageWorkers } from "./image-workers.ts";
import { collectAfterImages } from "./memory.ts";
import { RUNNER_ID } from "./runner-id.ts";
import { FETCH_FLAGS, fetchSettings, IMAGE_FLAGS, imageSettings, LOG_FLAGS, logSettings, PAGE_FLAGS } from "./settings.ts";
import { ExtractWorkers } from "./extract-workers.ts";
import { WEBHOOK_FLAGS, WebhookDeliveries, webhookSettings } from "./webhooks.ts";

export const JOB_FLAGS = { ...FETCH_FLAGS, ...PAGE_FLAGS, ...IMAGE_FLAGS, ...LOG_FLAGS, ...WEBHOOK_FLAGS } as const;

/** The binary's heartbeat: one small UPDATE a second per running job, in exchange for a prompt cancel and live stats. */
export const BINARY_HEARTBEAT_MS = 1000;

export interface JobDeps extends RunnerDeps {
  webhooks: WebhookDeliveries;
  close(): Promise<void>;
}

export function runnerDeps(ctx: Context, flags: FlagValues<typeof JOB_FLAGS>, database: Database, sink: LogSink): JobDeps {
  const logs = logSettings(flags);
  const store = ctx.blobStore();
  // Photon on worker threads, started by the first image to store.
  const renderer = new ImageWorkers();
  // Page reading on threads, the first started by the first crawl.
  const readers = new ExtractWorkers({
    ...(flags["extract-threads"] !== undefined ? { size: flags["extract-threads"] } : {}),
    ...(flags["page-timeout-ms"] !== undefined ? { pageTimeoutMs: flags["page-timeout-ms"] } : {}),
  });
  const webhooks = new WebhookDeliveries(database, webhookSettings(flags.webhook, ctx.env), sink);
  return {
    database,
    heartbeatMs: BINARY_HEARTBEAT_MS,
    runner: RUNNER_ID,
    onFinished: webhooks.deliver,
    webhooks,
    fetcher: new Fetcher(fetchSettings(flags, ctx.env)),
    clock: systemClock,
    env: { timeZone: logs.timeZone, now: () => new Date() },
    log: { level: logs.level, limit: logs.limit, sink },
    conditionalRequests: flags["no-cache"] !== true,
    images: {
      store,
      settings: imageSettings(flags),
      render: (bytes, options) => {
        collectAfterImages();
        return renderer.render(bytes, options);
      },
    },
    readers,
    store,
    close: async () => {
      await webhooks.drain();
      await Promise.all([renderer.close(), readers.close()]);
    },
  };
}

/** Log records as JSON lines on stderr, from WARNING up (every level with `verbose`). */
export function stderrSink(options: { quiet: boolean; verbose?: boolean }): LogSink {
  return (record) => {
    if (options.quiet) return;
    if (!levelAtLeast(record.level, options.verbose ? "DEBUG" : "WARNING")) return;
    process.stderr.write(`${JSON.stringify(record)}\n`);
  };
}
