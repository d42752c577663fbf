/**
 * @module
 * The Worker's `DSCRAPER_*` vars (wrangler.toml `[vars]`, or the dashboard) as the core's settings: the same names
 * and defaults as the binary's environment variables (INTERFACE.md), plus the Worker's own subrequest budget.
 * Every bad value is reported at once, each under its var's name, so that /api/health can say what to fix.
 */
import { ValidationError, type Issue } from "../src/errors.ts";
import { DEFAULT_FETCH_SETTINGS, type FetchSettings } from "../src/fetch/fetcher.ts";
import { parseImageSettings, parseThumbs, type ImageSettings } from "../src/images/settings.ts";

export interface WorkerSettings {
  fetch: FetchSettings;
  images: ImageSettings;
  /** Subrequests one queue invocation may make; the free plan allows 50, the paid one 10,000. */
  subrequestBudget: number;
  /** Time zone of the date processors. */
  timeZone: string;
}

/** The free plan's 50 subrequests, less room for the invocation's own bookkeeping. */
export const DEFAULT_SUBREQUEST_BUDGET = 40;
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
  const subrequestBudget = read("DSCRAPER_SUBREQUEST_BUDGET", int(1)) ?? DEFAULT_SUBREQUEST_BUDGET;
  const timeZone = read("DSCRAPER_TZ", zone) ?? "UTC";

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
  return { fetch, images, subrequestBudget, timeZone };
}

/** The var behind each field of the image settings, to name it in an error. */
const IMAGE_VARS: Readonly<Record<string, string>> = {
  format: "DSCRAPER_IMAGES_FORMAT",
  thumbs: "DSCRAPER_THUMBS",
  maxBytes: "DSCRAPER_IMAGE_MAX_BYTES",
  maxPixels: "DSCRAPER_IMAGE_MAX_PIXELS",
  jpegQuality: "DSCRAPER_JPEG_QUALITY",
};
