/**
 * @module
 * The Worker's `DSCRAPER_*` vars (wrangler.toml `[vars]`, or the dashboard) as the core's settings: the same names
 * and defaults as the binary's environment variables (INTERFACE.md), plus the Worker's own subrequest budget.
 * Every bad value is reported at once, each under its var's name, so that /api/health can say what to fix.
 */
import { DEFAULT_API_SETTINGS } from "../src/api/deps.ts";
import { parseWebhookUrl, webhookNotifier } from "../src/check/webhook.ts";
import { ValidationError, type Issue } from "../src/errors.ts";
import { DEFAULT_FETCH_SETTINGS, type FetchSettings } from "../src/fetch/fetcher.ts";
import { parseImageSettings, parseThumbs, type ImageSettings } from "../src/images/settings.ts";
import { LOG_LEVELS, type LogLevel } from "../src/model/enums.ts";

function isLogLevel(text: string): text is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(text);
}

export interface WorkerSettings {
  fetch: FetchSettings;
  images: ImageSettings;
  /** Subrequests one queue invocation may make; the free plan allows 50, the paid one 10,000. */
  subrequestBudget: number;
  /** Wall time one queue invocation spends on starting work; what is left is handed on. */
  wallBudgetMs: number;
  /** The longest wait for a busy host spent inside an invocation; longer ones re-send the message with a delay. */
  hostWaitMs: number;
  /** Time zone of the date processors. */
  timeZone: string;
  /** Log rows kept in the database: the lowest level stored, and rows kept per scraper. */
  log: { level: LogLevel; limit: number };
  /** Where the daily round's alerts go (a webhook), if anywhere. */
  notifyUrl: string | undefined;
  /** The job webhook: for the jobs of scrapers without a `webhook_url` of their own, and the secret signing every one. */
  webhook: { url?: string; secret?: string };
  /** Jobs one scheduler pass queues; unset, they are fitted to the subrequest budget (worker/scheduled.ts). */
  tickCaps: { spiders?: number; checkers?: number };
  /** The cron expression of the daily round (checker tests and alerts); any other cron runs the scheduler pass. */
  dailyCron: string;
  /** The name of the dead-letter queue, whose consumer records pages that keep failing on their jobs. */
  deadLetterQueue: string;
  /** The API's rate limit (`DSCRAPER_RATE_LIMIT`, per isolate: best effort), as `dscraper serve --rate-limit`. */
  api: { rateLimit: number; burst: number };
  /** Test-only routes (`/__test/*`): never set in a deployment. */
  testHooks: boolean;
}

/** The free plan's 50 subrequests, less room for the invocation's own bookkeeping. */
export const DEFAULT_SUBREQUEST_BUDGET = 40;
/** Below this, a page with its items and an image may not fit one invocation: the crawl could never go on. */
export const MIN_SUBREQUEST_BUDGET = 20;
/** Queue consumers may run for minutes; an invocation stops starting work well before. */
export const DEFAULT_WALL_BUDGET_MS = 20_000;
export const DEFAULT_HOST_WAIT_MS = 3_000;
export const DEFAULT_DAILY_CRON = "0 6 * * *";
export const DEFAULT_DEAD_LETTER_QUEUE = "dscraper-jobs-dlq";
/** photon needs ~13.5 bytes of wasm memory per pixel and an isolate has 128 MB: about 67 MB for one 5 MP image. */
export const WORKER_MAX_PIXELS = 5_000_000;

type Vars = Readonly<Record<string, unknown>>;

export function workerSettings(vars: Vars): WorkerSettings {
  const issues: Issue[] = [];
  const read = <T>(name: string, parse: (text: string) => T): T | undefined => {
    const raw = vars[name];
    if (raw === undefined || raw === null || raw === "") return undefined;
    try {
      return parse(String(raw).trim());
    } catch (e) {
      issues.push({ path: name, message: e instanceof ValidationError ? e.issues.map((i) => i.message).join("; ") : e instanceof Error ? e.message : String(e) });
      return undefined;
    }
  };
  const int = (min: number) => (text: string) => {
    if (!/^\d+$/.test(text) || Number(text) < min) throw new Error(`expects a whole number of at least ${min}, got '${text}'`);
    return Number(text);
  };
  const bool = (text: string) => {
    if (/^(1|true|yes|on)$/i.test(text)) return true;
    if (/^(0|false|no|off)$/i.test(text)) return false;
    throw new Error(`expects true or false, got '${text}'`);
  };
  const zone = (text: string) => {
    try {
      new Intl.DateTimeFormat("en", { timeZone: text });
    } catch {
      throw new Error(`unknown time zone '${text}' (use an IANA name such as Europe/Berlin)`);
    }
    return text;
  };

  const fetch: FetchSettings = { ...DEFAULT_FETCH_SETTINGS };
  const set = <K extends keyof FetchSettings>(key: K, value: FetchSettings[K] | undefined) => {
    if (value !== undefined) fetch[key] = value;
  };
  set("concurrency", read("DSCRAPER_CONCURRENCY", int(1)));
  set("perHost", read("DSCRAPER_PER_HOST", int(1)));
  set("delayMs", read("DSCRAPER_DELAY_MS", int(0)));
  set("timeoutMs", read("DSCRAPER_TIMEOUT_MS", int(1)));
  set("maxBytes", read("DSCRAPER_MAX_BYTES", int(1)));
  set("obeyRobots", read("DSCRAPER_OBEY_ROBOTS", bool));
  set("userAgent", read("DSCRAPER_USER_AGENT", (text) => text));
  const ttl = read("DSCRAPER_ROBOTS_TTL_S", int(0));
  if (ttl !== undefined) fetch.robotsTtlMs = ttl * 1000;

  const format = read("DSCRAPER_IMAGES_FORMAT", (text) => text.toUpperCase());
  const thumbs = read("DSCRAPER_THUMBS", parseThumbs);
  const maxBytes = read("DSCRAPER_IMAGE_MAX_BYTES", int(1));
  const maxPixels = read("DSCRAPER_IMAGE_MAX_PIXELS", int(1)) ?? WORKER_MAX_PIXELS;
  const jpegQuality = read("DSCRAPER_JPEG_QUALITY", int(1));
  const subrequestBudget = read("DSCRAPER_SUBREQUEST_BUDGET", int(MIN_SUBREQUEST_BUDGET)) ?? DEFAULT_SUBREQUEST_BUDGET;
  const timeZone = read("DSCRAPER_TZ", zone) ?? "UTC";
  const wallBudgetMs = read("DSCRAPER_WALL_BUDGET_MS", int(1)) ?? DEFAULT_WALL_BUDGET_MS;
  const hostWaitMs = read("DSCRAPER_HOST_WAIT_MS", int(0)) ?? DEFAULT_HOST_WAIT_MS;
  const level = read("DSCRAPER_LOG_LEVEL", (text) => {
    const upper = text.toUpperCase();
    if (!isLogLevel(upper)) throw new Error(`expects one of ${LOG_LEVELS.join(", ")}, got '${text}'`);
    return upper;
  });
  const limit = read("DSCRAPER_LOG_LIMIT", int(1));
  const notifyUrl = read("DSCRAPER_NOTIFY_URL", (text) => {
    webhookNotifier(text);
    return text;
  });
  const webhookUrl = read("DSCRAPER_WEBHOOK_URL", (text) => {
    parseWebhookUrl(text, "DSCRAPER_WEBHOOK_URL");
    return text;
  });
  // A secret: not trimmed (it is whatever the receiver was given), and never part of an error.
  const webhookSecret = typeof vars.DSCRAPER_WEBHOOK_SECRET === "string" && vars.DSCRAPER_WEBHOOK_SECRET !== "" ? vars.DSCRAPER_WEBHOOK_SECRET : undefined;
  const spiders = read("DSCRAPER_MAX_SPIDER_RUNS_PER_TICK", int(0));
  const checkers = read("DSCRAPER_MAX_CHECKER_RUNS_PER_TICK", int(0));
  const dailyCron = read("DSCRAPER_DAILY_CRON", (text) => text) ?? DEFAULT_DAILY_CRON;
  const deadLetterQueue = read("DSCRAPER_DEAD_LETTER_QUEUE", (text) => text) ?? DEFAULT_DEAD_LETTER_QUEUE;
  const testHooks = read("DSCRAPER_TEST_HOOKS", bool) ?? false;
  const rateLimit = read("DSCRAPER_RATE_LIMIT", int(0));

  let images: ImageSettings | undefined;
  try {
    images = parseImageSettings({
      ...(format !== undefined ? { format } : {}),
      ...(thumbs !== undefined ? { thumbs } : {}),
      ...(maxBytes !== undefined ? { maxBytes } : {}),
      maxPixels,
      ...(jpegQuality !== undefined ? { jpegQuality } : {}),
    });
  } catch (e) {
    if (!(e instanceof ValidationError)) throw e;
    for (const issue of e.issues) {
      const field = issue.path.split(/[.[]/)[0] ?? "";
      issues.push({ path: IMAGE_VARS[field] ?? "DSCRAPER_IMAGES_FORMAT", message: issue.message });
    }
  }
  if (issues.length > 0 || images === undefined) throw new ValidationError(issues);
  return {
    fetch,
    images,
    subrequestBudget,
    wallBudgetMs,
    hostWaitMs,
    timeZone,
    log: { level: level ?? "ERROR", limit: limit ?? 250 },
    notifyUrl,
    webhook: { ...(webhookUrl !== undefined ? { url: webhookUrl } : {}), ...(webhookSecret !== undefined ? { secret: webhookSecret } : {}) },
    tickCaps: { ...(spiders !== undefined ? { spiders } : {}), ...(checkers !== undefined ? { checkers } : {}) },
    dailyCron,
    deadLetterQueue,
    api: rateLimit === undefined ? { rateLimit: DEFAULT_API_SETTINGS.rateLimit, burst: DEFAULT_API_SETTINGS.burst } : { rateLimit, burst: 2 * rateLimit },
    testHooks,
  };
}

/** The var behind each field of the image settings, to name it in an error. */
const IMAGE_VARS: Readonly<Record<string, string>> = {
  format: "DSCRAPER_IMAGES_FORMAT",
  thumbs: "DSCRAPER_THUMBS",
  maxBytes: "DSCRAPER_IMAGE_MAX_BYTES",
  maxPixels: "DSCRAPER_IMAGE_MAX_PIXELS",
  jpegQuality: "DSCRAPER_JPEG_QUALITY",
};
