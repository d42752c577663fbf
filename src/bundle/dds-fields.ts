/**
 * @module
 * The rows of a DDS fixture (`dumpdata dynamic_scraper`) and reading their fields: each problem is recorded at
 * the row's path (`[7].fields.attr_type`), each value dropped or changed on the way is a warning, and a field no
 * reader asked for is named, so that nothing is lost unseen.
 */
import { formatPath, type Issue } from "../errors.ts";
import type { DdsDefinitionModel } from "./dds-codes.ts";

export interface Row {
  index: number;
  /** As written, lower case: `dynamic_scraper.scraper`. */
  model: string;
  /** The model within DDS's app (`scraper`); undefined for another app's row. */
  kind: string | undefined;
  pk: number;
  fields: Record<string, unknown>;
}

export interface Sink {
  issues: Issue[];
  warnings: string[];
}

export const APP = "dynamic_scraper";

/** Reads one row's fields, records problems at `[index].fields.name`, and notices fields nobody read. */
export class Fields {
  private readonly read = new Set<string>();
  valid = true;

  constructor(
    readonly row: Row,
    private readonly sink: Sink,
  ) {}

  fail(name: string, message: string): undefined {
    this.valid = false;
    this.sink.issues.push({ path: formatPath([this.row.index, "fields", name]), message });
    return undefined;
  }

  warn(name: string, message: string): void {
    warnAt(this.sink, this.row, name, message);
  }

  raw(name: string): unknown {
    this.read.add(name);
    return Object.hasOwn(this.row.fields, name) ? this.row.fields[name] : undefined;
  }

  /** A text field; Django writes blank ones as "", a hand-edited fixture may leave them out. */
  text(name: string): string {
    const v = this.raw(name);
    if (v === undefined || v === null) return "";
    if (typeof v !== "string") return this.fail(name, `must be a string, got ${show(v)}`) ?? "";
    return v;
  }

  /** A name: required, surrounding whitespace trimmed (a bundle name may not have any). */
  name(name: string): string | undefined {
    const v = this.raw(name);
    if (v === undefined || v === null) return this.fail(name, "is required");
    if (typeof v !== "string") return this.fail(name, `must be a string, got ${show(v)}`);
    const trimmed = v.trim();
    if (trimmed === "") return this.fail(name, "must not be empty");
    if (trimmed !== v) this.warn(name, `${show(v)} was trimmed to ${show(trimmed)}`);
    return trimmed;
  }

  bool(name: string, fallback: boolean): boolean {
    const v = this.raw(name);
    if (v === undefined) return fallback;
    if (typeof v !== "boolean") return this.fail(name, `must be true or false, got ${show(v)}`) ?? fallback;
    return v;
  }

  intOrNull(name: string): number | null {
    const v = this.raw(name);
    if (v === undefined || v === null) return null;
    if (!Number.isSafeInteger(v)) return this.fail(name, `must be an integer or null, got ${show(v)}`) ?? null;
    return v as number;
  }

  int(name: string, fallback: number): number {
    const v = this.raw(name);
    if (v === undefined) return fallback;
    if (!Number.isSafeInteger(v)) return this.fail(name, `must be an integer, got ${show(v)}`) ?? fallback;
    return v as number;
  }

  /** A foreign key: the pk of another row, or null where DDS allows it. */
  ref(name: string, nullable: boolean): number | null | undefined {
    const v = this.raw(name);
    if (v === undefined || v === null) return nullable ? null : this.fail(name, "is required");
    if (!Number.isSafeInteger(v)) return this.fail(name, `must be the integer pk of a row, got ${show(v)}`);
    return v as number;
  }

  /** A DDS choice code mapped to its dscraper value. */
  code<T>(name: string, table: Readonly<Record<string, T>>, fallback?: string, expected = listOf(Object.keys(table), "or")): T | undefined {
    const v = this.raw(name) ?? fallback;
    if (v === undefined) return this.fail(name, "is required");
    if (typeof v === "string" && Object.hasOwn(table, v)) return table[v];
    return this.fail(name, `unknown code ${show(v)} (expected ${expected})`);
  }

  /** A JSON dict in a text field (headers, cookies, form data) as an object of strings; "" is {}. */
  jsonStrings(name: string): Record<string, string> {
    const text = this.text(name);
    if (text.trim() === "") return {};
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      return this.fail(name, `is not valid JSON (${e instanceof Error ? e.message : String(e)}): ${show(text)}`) ?? {};
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      return this.fail(name, `must be a JSON object like {"name": "value"}, got ${show(text)}`) ?? {};
    }
    const out: Record<string, string> = {};
    for (const [key, value] of Object.entries(parsed)) {
      // Scrapy sends no header for a None value; dropping it says the same.
      if (value === null) this.warn(name, `key ${show(key)} is null and was dropped`);
      else Object.defineProperty(out, key, { value: typeof value === "string" ? value : JSON.stringify(value), enumerable: true, writable: true, configurable: true });
    }
    return out;
  }

  /** A DDS field dscraper has no place for: dropped, with a warning when it holds something. */
  drop(name: string, holdsSomething: (v: unknown) => boolean, why: string, describe: (v: unknown) => string = show): void {
    const v = this.raw(name);
    if (v !== undefined && v !== null && holdsSomething(v)) this.warn(name, `${describe(v)} was dropped: ${why}`);
  }

  /** Fields read on purpose and left out without a word (run-time state). */
  ignore(...names: string[]): void {
    for (const name of names) this.read.add(name);
  }

  /** Fields no reader asked for, e.g. from another DDS version, are named so that nothing is lost unseen. */
  finish(): void {
    for (const name of Object.keys(this.row.fields)) {
      if (!this.read.has(name)) this.warn(name, "is not a DDS 0.13 field and was ignored");
    }
  }
}

export function warnAt(sink: Sink, row: Row, field: string, message: string): void {
  sink.warnings.push(`${row.model} pk ${row.pk}: ${field} ${message}`);
}

export function show(v: unknown): string {
  const text = typeof v === "string" ? JSON.stringify(v) : v === undefined ? "nothing" : JSON.stringify(v) ?? String(v);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

export function listOf(items: readonly string[], conjunction: "or" | "and"): string {
  return items.length < 2 ? items.join("") : `${items.slice(0, -1).join(", ")} ${conjunction} ${items.at(-1)}`;
}

export const nonEmptyString = (v: unknown) => typeof v !== "string" || v.trim() !== "";

/** One fixture entry's envelope, checked; its fields are read by the model's reader. */
export function readRow(entry: unknown, index: number, issues: Issue[]): Row | undefined {
  const at = (...path: PropertyKey[]) => formatPath([index, ...path]);
  if (typeof entry !== "object" || entry === null || Array.isArray(entry)) {
    issues.push({ path: at(), message: `must be an object {"model", "pk", "fields"}, got ${describeJson(entry)}` });
    return undefined;
  }
  const { model, pk, fields } = entry as Record<string, unknown>;
  let ok = true;
  if (typeof model !== "string" || !model.includes(".")) {
    issues.push({ path: at("model"), message: `must be "app_label.model_name", got ${show(model)}` });
    ok = false;
  }
  if (!Number.isSafeInteger(pk)) {
    issues.push({ path: at("pk"), message: `must be an integer, got ${show(pk)}` });
    ok = false;
  }
  if (typeof fields !== "object" || fields === null || Array.isArray(fields)) {
    issues.push({ path: at("fields"), message: `must be an object, got ${describeJson(fields)}` });
    ok = false;
  }
  if (!ok) return undefined;
  const lower = (model as string).toLowerCase();
  const kind = lower.startsWith(`${APP}.`) ? lower.slice(APP.length + 1) : undefined;
  return { index, model: lower, kind, pk: pk as number, fields: fields as Record<string, unknown> };
}

export class References {
  constructor(
    private readonly pks: ReadonlyMap<string, ReadonlyMap<number, number>>,
    private readonly issues: Issue[],
  ) {}

  /** Whether a row of `model` with `pk` is in the fixture; reports it at `[index].fields.field` when not. */
  exists(row: Row, field: string, model: DdsDefinitionModel, pk: number): boolean {
    if (this.pks.get(model)?.has(pk)) return true;
    this.issues.push({ path: formatPath([row.index, "fields", field]), message: `refers to ${APP}.${model} pk ${pk}, which is not in the fixture` });
    return false;
  }
}

export function byPk<T extends { row: Row }>(items: readonly T[]): T[] {
  return [...items].sort((a, b) => a.row.pk - b.row.pk);
}

export function put<T>(map: Map<number, T>, pk: number, value: T | undefined): void {
  if (value !== undefined) map.set(pk, value);
}

export function push<T>(list: T[], value: T | undefined): void {
  if (value !== undefined) list.push(value);
}

export function describeJson(v: unknown): string {
  if (v === undefined) return "nothing";
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "object") return "an object";
  return `${typeof v} ${show(v)}`;
}
