/** The Worker's DSCRAPER_* vars as the core's settings: defaults, each var, and every bad value named by its var. */
import { describe, expect, test } from "bun:test";
import { ValidationError } from "../../src/errors.ts";
import { DEFAULT_FETCH_SETTINGS } from "../../src/fetch/fetcher.ts";
import { DEFAULT_IMAGE_SETTINGS } from "../../src/images/settings.ts";
import { DEFAULT_HOST_WAIT_MS, DEFAULT_SUBREQUEST_BUDGET, DEFAULT_WALL_BUDGET_MS, WORKER_MAX_PIXELS, workerSettings } from "../../worker/settings.ts";

describe("workerSettings", () => {
  test("no vars: the binary's defaults, with the Worker's pixel cap and subrequest budget", () => {
    expect(workerSettings({})).toEqual({
      fetch: DEFAULT_FETCH_SETTINGS,
      images: { ...DEFAULT_IMAGE_SETTINGS, maxPixels: WORKER_MAX_PIXELS },
      subrequestBudget: DEFAULT_SUBREQUEST_BUDGET,
      wallBudgetMs: DEFAULT_WALL_BUDGET_MS,
      hostWaitMs: DEFAULT_HOST_WAIT_MS,
      timeZone: "UTC",
      log: { level: "ERROR", limit: 250 },
      notifyUrl: undefined,
      webhook: {},
      tickCaps: {},
      dailyCron: "0 6 * * *",
      deadLetterQueue: "dscraper-jobs-dlq",
      api: { rateLimit: 100, burst: 200 },
      testHooks: false,
    });
  });

  test("wrangler.toml's own [vars] are valid", async () => {
    const config = Bun.TOML.parse(await Bun.file(new URL("../../wrangler.toml", import.meta.url)).text()) as {
      vars: Record<string, unknown>;
      queues: { consumers: { queue: string; dead_letter_queue?: string }[] };
      triggers: { crons: string[] };
    };
    const settings = workerSettings(config.vars);
    expect(settings.images.maxPixels).toBe(5_000_000);
    expect(settings.subrequestBudget).toBe(40);
    // The names the handlers tell apart are the ones declared: the dead-letter queue (consumed too) and the daily cron.
    expect(settings.deadLetterQueue).toBe(config.queues.consumers[0]!.dead_letter_queue!);
    expect(config.queues.consumers.map((c) => c.queue)).toContain(settings.deadLetterQueue);
    expect(config.triggers.crons).toContain(settings.dailyCron);
  });

  const cases: [string, Record<string, unknown>, (s: ReturnType<typeof workerSettings>) => unknown, unknown][] = [
    ["per host", { DSCRAPER_PER_HOST: "2" }, (s) => s.fetch.perHost, 2],
    ["delay (a TOML number works too)", { DSCRAPER_DELAY_MS: 250 }, (s) => s.fetch.delayMs, 250],
    ["concurrency", { DSCRAPER_CONCURRENCY: "6" }, (s) => s.fetch.concurrency, 6],
    ["timeout", { DSCRAPER_TIMEOUT_MS: "5000" }, (s) => s.fetch.timeoutMs, 5000],
    ["page size cap", { DSCRAPER_MAX_BYTES: "1024" }, (s) => s.fetch.maxBytes, 1024],
    ["robots off", { DSCRAPER_OBEY_ROBOTS: "false" }, (s) => s.fetch.obeyRobots, false],
    ["robots on (TOML boolean)", { DSCRAPER_OBEY_ROBOTS: true }, (s) => s.fetch.obeyRobots, true],
    ["robots cache", { DSCRAPER_ROBOTS_TTL_S: "60" }, (s) => s.fetch.robotsTtlMs, 60_000],
    ["user agent", { DSCRAPER_USER_AGENT: " bot/1 " }, (s) => s.fetch.userAgent, "bot/1"],
    ["image format and thumbnails", { DSCRAPER_IMAGES_FORMAT: "all", DSCRAPER_THUMBS: "small=170x170,large=600x400" }, (s) => [s.images.format, s.images.thumbs], ["ALL", { small: [170, 170], large: [600, 400] }]],
    ["pixel cap", { DSCRAPER_IMAGE_MAX_PIXELS: "1000000" }, (s) => s.images.maxPixels, 1_000_000],
    ["JPEG quality", { DSCRAPER_JPEG_QUALITY: "70" }, (s) => s.images.jpegQuality, 70],
    ["subrequest budget (paid plan)", { DSCRAPER_SUBREQUEST_BUDGET: "900" }, (s) => s.subrequestBudget, 900],
    ["time zone", { DSCRAPER_TZ: "Europe/Berlin" }, (s) => s.timeZone, "Europe/Berlin"],
    ["wall budget", { DSCRAPER_WALL_BUDGET_MS: "5000" }, (s) => s.wallBudgetMs, 5000],
    ["host wait", { DSCRAPER_HOST_WAIT_MS: "0" }, (s) => s.hostWaitMs, 0],
    ["log level and limit", { DSCRAPER_LOG_LEVEL: "warning", DSCRAPER_LOG_LIMIT: "10" }, (s) => s.log, { level: "WARNING", limit: 10 }],
    ["webhook", { DSCRAPER_NOTIFY_URL: "https://hooks.example.com/x" }, (s) => s.notifyUrl, "https://hooks.example.com/x"],
    ["job webhook and its secret (kept as given)", { DSCRAPER_WEBHOOK_URL: " https://hooks.example.com/jobs ", DSCRAPER_WEBHOOK_SECRET: " s3cret" }, (s) => s.webhook, { url: "https://hooks.example.com/jobs", secret: " s3cret" }],
    ["job webhook secret alone (scrapers' own webhook_url get signed)", { DSCRAPER_WEBHOOK_SECRET: "k" }, (s) => s.webhook, { secret: "k" }],
    ["API rate limit (bursts of twice that)", { DSCRAPER_RATE_LIMIT: "5" }, (s) => s.api, { rateLimit: 5, burst: 10 }],
    ["API rate limit off", { DSCRAPER_RATE_LIMIT: "0" }, (s) => s.api.rateLimit, 0],
    ["tick caps", { DSCRAPER_MAX_SPIDER_RUNS_PER_TICK: "3", DSCRAPER_MAX_CHECKER_RUNS_PER_TICK: "0" }, (s) => s.tickCaps, { spiders: 3, checkers: 0 }],
    ["test hooks", { DSCRAPER_TEST_HOOKS: "true" }, (s) => s.testHooks, true],
    ["an empty var is unset", { DSCRAPER_PER_HOST: "" }, (s) => s.fetch.perHost, DEFAULT_FETCH_SETTINGS.perHost],
  ];
  test.each(cases)("%s", (_name, vars, pick, expected) => {
    expect(pick(workerSettings(vars))).toEqual(expected);
  });

  const bad: [Record<string, unknown>, { path: string; message: string }[]][] = [
    [{ DSCRAPER_PER_HOST: "0" }, [{ path: "DSCRAPER_PER_HOST", message: "expects a whole number of at least 1, got '0'" }]],
    [{ DSCRAPER_DELAY_MS: "1s" }, [{ path: "DSCRAPER_DELAY_MS", message: "expects a whole number of at least 0, got '1s'" }]],
    [{ DSCRAPER_OBEY_ROBOTS: "maybe" }, [{ path: "DSCRAPER_OBEY_ROBOTS", message: "expects true or false, got 'maybe'" }]],
    [{ DSCRAPER_TZ: "Mars/Olympus" }, [{ path: "DSCRAPER_TZ", message: "unknown time zone 'Mars/Olympus' (use an IANA name such as Europe/Berlin)" }]],
    [{ DSCRAPER_THUMBS: "small" }, [{ path: "DSCRAPER_THUMBS", message: `"small": expected NAME=WIDTHxHEIGHT, e.g. small=170x170` }]],
    [{ DSCRAPER_IMAGES_FORMAT: "THUMBS" }, [{ path: "DSCRAPER_THUMBS", message: "format THUMBS stores thumbnails only, so it needs at least one thumbnail size" }]],
    [{ DSCRAPER_JPEG_QUALITY: "101" }, [{ path: "DSCRAPER_JPEG_QUALITY", message: "must be between 1 and 100" }]],
    [{ DSCRAPER_SUBREQUEST_BUDGET: "10" }, [{ path: "DSCRAPER_SUBREQUEST_BUDGET", message: "expects a whole number of at least 20, got '10'" }]],
    [{ DSCRAPER_LOG_LEVEL: "LOUD" }, [{ path: "DSCRAPER_LOG_LEVEL", message: "expects one of DEBUG, INFO, WARNING, ERROR, CRITICAL, got 'LOUD'" }]],
    [{ DSCRAPER_NOTIFY_URL: "ftp://x" }, [{ path: "DSCRAPER_NOTIFY_URL", message: `webhook URL "ftp://x" must be http:// or https://, not ftp:` }]],
    [{ DSCRAPER_WEBHOOK_URL: "hooks.example.com" }, [{ path: "DSCRAPER_WEBHOOK_URL", message: `webhook URL "hooks.example.com" is not a valid URL (expected http://… or https://…)` }]],
    [{ DSCRAPER_WEBHOOK_URL: "mailto:me@example.com" }, [{ path: "DSCRAPER_WEBHOOK_URL", message: `webhook URL "mailto:me@example.com" must be http:// or https://, not mailto:` }]],
    [
      { DSCRAPER_SUBREQUEST_BUDGET: "-1", DSCRAPER_PER_HOST: "x" },
      [
        { path: "DSCRAPER_PER_HOST", message: "expects a whole number of at least 1, got 'x'" },
        { path: "DSCRAPER_SUBREQUEST_BUDGET", message: "expects a whole number of at least 20, got '-1'" },
      ],
    ],
  ];
  test.each(bad)("refuses %j naming the var", (vars, issues) => {
    let error: unknown;
    try {
      workerSettings(vars);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues).toEqual(issues);
  });
});
