/**
 * @module
 * HTML forms ↔ the definitions' zod schemas, so the admin's forms need no second description of a shape. A field
 * is named by its path in bracket form, the form the validation errors use (`elems[3].x_path`), so an error finds
 * its field by name. The schema at a field's path says how its text becomes a value: booleans are checkboxes
 * (a hidden "false" before each, so an unticked box is still sent), numbers are parsed (empty: null or left out),
 * lists are one entry per line (or comma-separated on a line without "://"), records are JSON objects, a
 * text-or-list (`pagination_page_replace`) is a JSON array when it looks like one.
 *
 * Table rows: a row carrying `_remove` is dropped; a row carrying `_blank` (the empty row offered for a new entry)
 * is dropped while its text fields are all empty. Indices are compacted in order, and the form is re-rendered from
 * the decoded value, so errors' indices and rows agree.
 */
import type { z } from "zod";
import { formatPath, type Issue } from "../../errors.ts";

export type FormFields = Record<string, string | File | (string | File)[]>;
export type Segment = string | number;
type Kind = "boolean" | "number" | "string" | "enum" | "list" | "record" | "text-or-list" | "object" | "array" | "other";

interface Unwrapped {
  type: z.ZodType;
  /** Empty text may be left out (the schema has a default or the field is optional). */
  omittable: boolean;
  nullable: boolean;
}

const WRAPPERS = new Set(["default", "optional", "nullable", "readonly", "catch", "prefault", "nonoptional"]);

function unwrap(schema: z.ZodType): Unwrapped {
  let type = schema;
  let omittable = false;
  let nullable = false;
  for (;;) {
    const def = type._zod.def as { type: string; innerType?: z.ZodType; in?: z.ZodType };
    if (def.type === "default" || def.type === "optional" || def.type === "prefault") omittable = true;
    if (def.type === "nullable") nullable = true;
    if (WRAPPERS.has(def.type) && def.innerType) type = def.innerType;
    else if (def.type === "pipe" && def.in) type = def.in;
    else return { type, omittable, nullable };
  }
}

function kindOf(schema: z.ZodType): Kind {
  const def = unwrap(schema).type._zod.def as { type: string; element?: z.ZodType; options?: z.ZodType[] };
  switch (def.type) {
    case "boolean":
      return "boolean";
    case "number":
    case "int":
      return "number";
    case "string":
    case "literal":
      return "string";
    case "enum":
      return "enum";
    case "record":
      return "record";
    case "object":
      return "object";
    case "array":
      return def.element && ["string", "number", "union", "literal"].includes(unwrap(def.element).type._zod.def.type) ? "list" : "array";
    case "union":
      return def.options?.some((o) => unwrap(o).type._zod.def.type === "array") ? "text-or-list" : "string";
    default:
      return "other";
  }
}

function child(schema: z.ZodType, segment: Segment): z.ZodType | undefined {
  const def = unwrap(schema).type._zod.def as { type: string; shape?: Record<string, z.ZodType>; element?: z.ZodType; valueType?: z.ZodType };
  if (def.type === "object" && typeof segment === "string") return def.shape?.[segment];
  if (def.type === "array" && typeof segment === "number") return def.element;
  if (def.type === "record") return def.valueType;
  return undefined;
}

export function schemaAt(root: z.ZodType, path: readonly Segment[]): z.ZodType | undefined {
  let at: z.ZodType | undefined = root;
  for (const segment of path) at = at && child(at, segment);
  return at;
}

/** `elems[3].x_path` → `["elems", 3, "x_path"]`; undefined for a name that is not a path. */
export function parsePath(name: string): Segment[] | undefined {
  const out: Segment[] = [];
  const re = /(?:^|\.)([^.[\]]+)|\[(\d+)\]/gy;
  let m: RegExpExecArray | null;
  let end = 0;
  while ((m = re.exec(name)) !== null) {
    out.push(m[1] !== undefined ? m[1] : Number(m[2]));
    end = re.lastIndex;
  }
  return end === name.length && out.length > 0 ? out : undefined;
}

/**
 * The field an issue belongs to: its path cut at the first leaf of the schema (`elems[3].proc_ctxt.static` →
 * `elems[3].proc_ctxt`, `processors[1]` → `processors`). A path ending at an object or a list of rows stays whole.
 */
export function fieldOf(root: z.ZodType, path: string): string {
  const segments = parsePath(path);
  if (!segments) return path;
  for (let i = 1; i <= segments.length; i++) {
    const at = schemaAt(root, segments.slice(0, i));
    if (!at) return formatPath(segments.slice(0, i));
    const kind = kindOf(at);
    if (kind !== "object" && kind !== "array") return formatPath(segments.slice(0, i));
  }
  return path;
}

/** The issues by field (see `fieldOf`), in their order. */
export function issuesByField(root: z.ZodType, issues: readonly Issue[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const issue of issues) {
    const field = fieldOf(root, issue.path);
    out.set(field, [...(out.get(field) ?? []), issue.message]);
  }
  return out;
}

export interface Decoded {
  value: Record<string, unknown>;
  /** Text that could not be turned into a value (a bad number or JSON), by field: shown again as typed. */
  raw: Map<string, string>;
  issues: Issue[];
}

/** The form's fields (from `parseBody({ all: true })`) as an input for `schema`. Fields named `_…` are not data. */
export function decodeForm(schema: z.ZodType, fields: FormFields): Decoded {
  const tree: Record<string, unknown> = {};
  const raw = new Map<string, string>();
  const issues: Issue[] = [];
  for (const [name, sent] of Object.entries(fields)) {
    if (name.startsWith("_")) continue;
    const path = parsePath(name);
    if (!path) continue;
    const texts = (Array.isArray(sent) ? sent : [sent]).filter((v): v is string => typeof v === "string");
    const last = path[path.length - 1]!;
    if (last === "_blank" || last === "_remove") {
      put(tree, path, texts.includes("1") || texts.includes("true"));
      continue;
    }
    const at = schemaAt(schema, path);
    if (!at) {
      put(tree, path, texts[texts.length - 1]);
      continue;
    }
    const { omittable, nullable } = unwrap(at);
    const text = texts[texts.length - 1] ?? "";
    const kind = kindOf(at);
    const bad = (message: string) => {
      raw.set(name, text);
      issues.push({ path: name, message });
    };
    switch (kind) {
      case "boolean":
        put(tree, path, texts.includes("true") || texts.includes("on"));
        break;
      case "number": {
        if (text.trim() === "") {
          if (nullable) put(tree, path, null);
          else if (!omittable) put(tree, path, undefined);
        } else if (Number.isFinite(Number(text.trim()))) put(tree, path, Number(text.trim()));
        else bad("must be a number");
        break;
      }
      case "list":
        put(tree, path, splitList(text));
        break;
      case "record": {
        if (text.trim() === "") break;
        const parsed = parseJson(text);
        if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) put(tree, path, parsed);
        else bad('must be a JSON object of names to texts, e.g. {"name": "value"}');
        break;
      }
      case "text-or-list": {
        const parsed = text.trim().startsWith("[") ? parseJson(text) : undefined;
        put(tree, path, Array.isArray(parsed) ? parsed : text);
        break;
      }
      default:
        if (text === "" && omittable) break;
        put(tree, path, text);
    }
  }
  return { value: (compact(tree) ?? {}) as Record<string, unknown>, raw, issues };
}

/** One entry per line; a line without "://" may also hold several, separated by commas. */
export function splitList(text: string): string[] {
  return text
    .split(/\r?\n/)
    .flatMap((line) => (line.includes("://") ? [line] : line.split(",")))
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Rows are objects keyed by index while decoding: `{ "3": {...} }` under `elems`. */
function put(tree: Record<string, unknown>, path: readonly Segment[], value: unknown): void {
  let at = tree;
  path.forEach((segment, i) => {
    const key = String(segment);
    if (i === path.length - 1) {
      if (value !== undefined) at[key] = value;
      return;
    }
    const next = at[key];
    if (typeof next === "object" && next !== null && !Array.isArray(next)) at = next as Record<string, unknown>;
    else at = at[key] = rowsMarker(typeof path[i + 1] === "number");
  });
}

const ROWS = Symbol("rows");

function rowsMarker(rows: boolean): Record<string, unknown> {
  const o: Record<string | symbol, unknown> = {};
  if (rows) o[ROWS] = true;
  return o as Record<string, unknown>;
}

function compact(node: unknown): unknown {
  if (typeof node !== "object" || node === null || Array.isArray(node)) return node;
  const o = node as Record<string | symbol, unknown>;
  if (o[ROWS]) {
    return Object.keys(o)
      .map(Number)
      .sort((a, b) => a - b)
      .map((k) => o[String(k)])
      .filter((row) => !dropped(row))
      .map((row) => {
        const { _blank: _b, _remove: _r, ...rest } = (compact(row) ?? {}) as Record<string, unknown>;
        return rest;
      });
  }
  // A group of fields left all empty (a scheduler configuration, say) is not given: its default applies.
  const entries = Object.entries(o).flatMap(([k, v]) => {
    const value = compact(v);
    return value === undefined ? [] : [[k, value] as const];
  });
  return entries.length ? Object.fromEntries(entries) : undefined;
}

function dropped(row: unknown): boolean {
  if (typeof row !== "object" || row === null) return false;
  const r = row as Record<string, unknown>;
  if (r._remove === true) return true;
  return r._blank === true && Object.entries(r).every(([k, v]) => k.startsWith("_") || typeof v === "boolean" || v === "" || v === null || (Array.isArray(v) && v.length === 0));
}

/** A value as the text of its field (the inverse of decoding). */
export function fieldText(schema: z.ZodType | undefined, value: unknown): string {
  if (value === undefined || value === null) return "";
  const kind = schema ? kindOf(schema) : "other";
  if (kind === "list" && Array.isArray(value)) return value.map(String).join("\n");
  if (kind === "record") return typeof value === "object" && Object.keys(value).length === 0 ? "" : JSON.stringify(value);
  if (kind === "text-or-list" && Array.isArray(value)) return JSON.stringify(value);
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}
