/**
 * The job webhook in the binary (`--webhook URL`, `DSCRAPER_WEBHOOK_URL`, `DSCRAPER_WEBHOOK_SECRET`; a scraper's
 * own `webhook_url` wins): each job this process ran is delivered in the background (`src/jobs/webhook.ts`), never
 * awaited by the job. A command that ends waits for its deliveries (`drain`); `serve` stopping gives up the retries
 * still waiting (`stop`) and waits only for the requests in flight.
 */
import type { Database } from "../src/db/connect.ts";
import type { JobRow } from "../src/db/jobs.ts";
import type { LogSink } from "../src/jobs/log.ts";
import { sendJobWebhook, type JobWebhookSettings, type WebhookDelivery } from "../src/jobs/webhook.ts";
import { parseWebhookUrl } from "../src/check/webhook.ts";
import { ValidationError } from "../src/errors.ts";
import { systemClock, type Clock } from "../src/ports.ts";
import { UsageError, type FlagSpecs } from "./args.ts";

export const WEBHOOK_FLAGS = {
  webhook: {
    type: "string",
    value: "URL",
    env: "DSCRAPER_WEBHOOK_URL",
    help: "POST each finished job as JSON to this URL, signed with DSCRAPER_WEBHOOK_SECRET (a scraper's webhook_url wins)",
  },
} as const satisfies FlagSpecs;

/** `--webhook` checked before any work is done, with the secret from the environment. */
export function webhookSettings(url: string | undefined, env: Record<string, string | undefined>): JobWebhookSettings {
  if (url !== undefined) {
    try {
      parseWebhookUrl(url, "webhook");
    } catch (e) {
      if (e instanceof ValidationError) throw new UsageError(`--webhook: ${e.issues[0]!.message}`);
      throw e;
    }
  }
  const secret = env.DSCRAPER_WEBHOOK_SECRET;
  return { ...(url !== undefined ? { url } : {}), ...(secret ? { secret } : {}) };
}

export class WebhookDeliveries {
  private readonly pending = new Set<Promise<WebhookDelivery>>();
  private readonly stopping = new AbortController();

  constructor(
    private readonly database: Database,
    private readonly settings: JobWebhookSettings,
    private readonly sink: LogSink,
    private readonly clock: Clock = systemClock,
  ) {}

  /** Starts delivering `job`'s webhook (if it has one) and returns at once. */
  readonly deliver = (job: JobRow): void => {
    if (this.stopping.signal.aborted) return;
    const delivery = sendJobWebhook({ database: this.database, clock: this.clock, sleep, settings: this.settings, sink: this.sink }, job, this.stopping.signal);
    this.pending.add(delivery);
    void delivery.finally(() => this.pending.delete(delivery));
  };

  /** Waits until every delivery started has ended, retries included. */
  async drain(): Promise<void> {
    while (this.pending.size > 0) await Promise.all(this.pending);
  }

  /** Gives up the retries still waiting and waits for the requests in flight. */
  async stop(): Promise<void> {
    this.stopping.abort(new Error("stopping"));
    await this.drain();
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}
