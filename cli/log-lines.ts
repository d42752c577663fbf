/**
 * `serve`'s log: one line per record on stdout — the job records (with job, source and scraper ids), the access
 * log (one line per request: method, path, status, duration, request id) and the service's own lines. JSON lines by
 * default, for log collectors; `--log-format pretty` for people: time, level, message, then the other fields.
 */
import { UsageError } from "./args.ts";

export type LogFormat = "json" | "pretty";

export type LogLine = { time: string; level: string; msg: string } & Record<string, unknown>;

export function logFormatOf(value: string | undefined): LogFormat {
  const format = (value ?? "json").toLowerCase();
  if (format !== "json" && format !== "pretty") throw new UsageError(`--log-format must be json or pretty, got '${value}'`);
  return format;
}

export function formatLine(line: LogLine, format: LogFormat): string {
  if (format === "json") return JSON.stringify(line);
  const { time, level, msg, ...rest } = line;
  const ids = (["job_id", "source_id", "scraper_id"] as const)
    .filter((k) => rest[k] !== null && rest[k] !== undefined)
    .map((k) => `${k.replace("_id", "")} ${String(rest[k])}`);
  for (const k of ["job_id", "source_id", "scraper_id"]) delete rest[k];
  if (msg === "request") {
    const { method, path, status, duration_ms, request_id, ...more } = rest;
    return `${time} ${level.padEnd(7)} ${String(method)} ${String(path)} ${String(status)} ${String(duration_ms)} ms ${String(request_id)}${fields(more)}`;
  }
  return `${time} ${level.padEnd(7)} ${ids.length ? `[${ids.join(", ")}] ` : ""}${msg}${fields(rest)}`;
}

function fields(rest: Record<string, unknown>): string {
  return Object.entries(rest)
    .filter(([, v]) => v !== undefined && v !== null)
    .map(([k, v]) => ` ${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
    .join("");
}

/** Writes log lines to stdout in `format`. */
export function stdoutLog(format: LogFormat): (line: LogLine) => void {
  return (line) => {
    process.stdout.write(`${formatLine(line, format)}\n`);
  };
}
