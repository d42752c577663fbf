/**
 * The configuration rows of INTERFACE.md that concern fetching and logging: flags, their environment variables and
 * defaults, in one place, turned into the core's settings.
 */
import { DEFAULT_FETCH_SETTINGS, type FetchSettings } from "../src/fetch/fetcher.ts";
import { parseImageSettings, parseThumbs, type ImageSettings } from "../src/images/settings.ts";
import { logLevelSchema, type LogLevel } from "../src/model/enums.ts";
import { UsageError, type FlagSpecs, type FlagValues } from "./args.ts";

export const FETCH_FLAGS = {
  concurrency: { type: "int", min: 1, value: "N", env: "DSCRAPER_CONCURRENCY", help: "requests in flight in total (default 16)" },
  "per-host": { type: "int", min: 1, value: "N", env: "DSCRAPER_PER_HOST", help: "requests in flight per host (default 1)" },
  "delay-ms": { type: "int", min: 0, value: "MS", env: "DSCRAPER_DELAY_MS", help: "gap between requests to one host (default 1000; robots Crawl-delay and Retry-After win when longer)" },
  "timeout-ms": { type: "int", min: 1, value: "MS", env: "DSCRAPER_TIMEOUT_MS", help: "per request attempt (default 30000)" },
  "max-bytes": { type: "int", min: 1, value: "N", env: "DSCRAPER_MAX_BYTES", help: "cap on a page's decoded size (default 10485760)" },
  "ignore-robots": { type: "bool", help: "do not fetch or obey robots.txt [env DSCRAPER_OBEY_ROBOTS=false]" },
  "user-agent": { type: "string", value: "UA", env: "DSCRAPER_USER_AGENT", help: "User-Agent header (default dscraper/<version>)" },
  "no-cache": { type: "bool", help: "no conditional requests from the last run's answers [robots.txt cache: env DSCRAPER_ROBOTS_TTL_S, default 3600]" },
} as const satisfies FlagSpecs;

export const LOG_FLAGS = {
  "log-level": { type: "string", value: "LEVEL", env: "DSCRAPER_LOG_LEVEL", help: "log rows kept in the database from this level: DEBUG, INFO, WARNING, ERROR (default), CRITICAL" },
  "log-limit": { type: "int", min: 1, value: "N", env: "DSCRAPER_LOG_LIMIT", help: "log rows kept per scraper (default 250)" },
  tz: { type: "string", value: "ZONE", env: "DSCRAPER_TZ", help: "time zone of the date processors (default UTC)" },
} as const satisfies FlagSpecs;

type Env = Record<string, string | undefined>;

export function fetchSettings(flags: FlagValues<typeof FETCH_FLAGS>, env: Env): FetchSettings {
  const obey = env.DSCRAPER_OBEY_ROBOTS;
  if (obey !== undefined && obey !== "" && !/^(1|0|true|false|yes|no|on|off)$/i.test(obey.trim())) {
    throw new UsageError(`DSCRAPER_OBEY_ROBOTS expects true or false, got '${obey}'`);
  }
  const envObeys = obey === undefined || obey === "" || /^(1|true|yes|on)$/i.test(obey.trim());
  const ttl = env.DSCRAPER_ROBOTS_TTL_S;
  if (ttl !== undefined && ttl !== "" && !/^\d+$/.test(ttl.trim())) throw new UsageError(`DSCRAPER_ROBOTS_TTL_S expects seconds, got '${ttl}'`);
  return {
    ...DEFAULT_FETCH_SETTINGS,
    ...(flags.concurrency !== undefined ? { concurrency: flags.concurrency } : {}),
    ...(flags["per-host"] !== undefined ? { perHost: flags["per-host"] } : {}),
    ...(flags["delay-ms"] !== undefined ? { delayMs: flags["delay-ms"] } : {}),
    ...(flags["timeout-ms"] !== undefined ? { timeoutMs: flags["timeout-ms"] } : {}),
    ...(flags["max-bytes"] !== undefined ? { maxBytes: flags["max-bytes"] } : {}),
    ...(flags["user-agent"] !== undefined ? { userAgent: flags["user-agent"] } : {}),
    obeyRobots: flags["ignore-robots"] ? false : envObeys,
    ...(ttl ? { robotsTtlMs: Number(ttl) * 1000 } : {}),
  };
}

export interface LogSettings {
  level: LogLevel;
  limit: number;
  timeZone: string;
}

export function logSettings(flags: FlagValues<typeof LOG_FLAGS>): LogSettings {
  const level = (flags["log-level"] ?? "ERROR").toUpperCase();
  const parsed = logLevelSchema.safeParse(level);
  if (!parsed.success) throw new UsageError(`--log-level must be one of ${logLevelSchema.options.join(", ")}, got '${flags["log-level"]}'`);
  const timeZone = flags.tz ?? "UTC";
  try {
    new Intl.DateTimeFormat("en", { timeZone });
  } catch {
    throw new UsageError(`--tz: unknown time zone '${timeZone}' (use an IANA name such as Europe/Berlin)`);
  }
  return { level: parsed.data, limit: flags["log-limit"] ?? 250, timeZone };
}

export const IMAGE_FLAGS = {
  "images-format": { type: "string", value: "FORMAT", env: "DSCRAPER_IMAGES_FORMAT", help: "image store layout: FLAT (default; one thumbnail size), ALL or THUMBS" },
  thumbs: { type: "string", value: "SIZES", env: "DSCRAPER_THUMBS", help: "thumbnail sizes, e.g. small=170x170,large=600x400 (default none: originals kept, as JPEG)" },
  "image-max-bytes": { type: "int", min: 1, value: "N", env: "DSCRAPER_IMAGE_MAX_BYTES", help: "cap on an image's size (default 10485760)" },
  "image-max-pixels": { type: "int", min: 1, value: "N", env: "DSCRAPER_IMAGE_MAX_PIXELS", help: "cap on an image's pixels, read from its header before decoding (default 40000000)" },
  "jpeg-quality": { type: "int", min: 1, value: "Q", env: "DSCRAPER_JPEG_QUALITY", help: "JPEG quality of stored images, 1-100 (default 85)" },
} as const satisfies FlagSpecs;

export function imageSettings(flags: FlagValues<typeof IMAGE_FLAGS>): ImageSettings {
  return parseImageSettings({
    ...(flags["images-format"] !== undefined ? { format: flags["images-format"].toUpperCase() } : {}),
    ...(flags.thumbs !== undefined ? { thumbs: parseThumbs(flags.thumbs) } : {}),
    ...(flags["image-max-bytes"] !== undefined ? { maxBytes: flags["image-max-bytes"] } : {}),
    ...(flags["image-max-pixels"] !== undefined ? { maxPixels: flags["image-max-pixels"] } : {}),
    ...(flags["jpeg-quality"] !== undefined ? { jpegQuality: flags["jpeg-quality"] } : {}),
  });
}

export const PAGE_FLAGS = {
  "page-timeout-ms": {
    type: "int",
    min: 1,
    value: "MS",
    env: "DSCRAPER_PAGE_TIMEOUT_MS",
    help: "time limit of one page's parsing and extraction; a page over it is an error, the run goes on (default 30000)",
  },
  "extract-threads": { type: "int", min: 1, value: "N", env: "DSCRAPER_EXTRACT_THREADS", help: "threads that parse and extract pages (default: the number of cores - 1, at least 1)" },
} as const satisfies FlagSpecs;
