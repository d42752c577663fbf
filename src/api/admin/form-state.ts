/**
 * @module
 * A form being edited: the draft (a stored definition, or what was sent), the problems found with it by field,
 * and the text of each field — as typed when it could not be read, else the draft's value as text.
 */
import type { Context } from "hono";
import type { z } from "zod";
import { ConflictError, ValidationError, type Issue } from "../../errors.ts";
import { requiredMessage, zodIssues } from "../../model/issues.ts";
import { decodeForm, fieldOf, fieldText, issuesByField, parsePath, schemaAt, type FormFields } from "./form-codec.ts";

export class FormState {
  readonly errors: Map<string, string[]>;

  constructor(
    readonly schema: z.ZodType,
    readonly draft: Record<string, unknown>,
    readonly issues: Issue[] = [],
    private readonly raw: ReadonlyMap<string, string> = new Map(),
  ) {
    this.errors = issuesByField(schema, issues);
  }

  value(name: string): unknown {
    let at: unknown = this.draft;
    for (const segment of parsePath(name) ?? []) at = typeof at === "object" && at !== null ? (at as Record<string, unknown>)[String(segment)] : undefined;
    return at;
  }

  text(name: string): string {
    const typed = this.raw.get(name);
    if (typed !== undefined) return typed;
    return fieldText(schemaAt(this.schema, parsePath(name) ?? []), this.value(name));
  }

  bool(name: string, fallback: boolean): boolean {
    const v = this.value(name);
    return typeof v === "boolean" ? v : fallback;
  }

  rows(name: string): Record<string, unknown>[] {
    const v = this.value(name);
    return Array.isArray(v) ? v.filter((r): r is Record<string, unknown> => typeof r === "object" && r !== null) : [];
  }

  /** The issues with the field each belongs to, for the list at the top of the form. */
  summary(): { path: string; field: string; message: string }[] {
    return this.issues.map((i) => ({ ...i, field: fieldOf(this.schema, i.path) }));
  }
}

/** The posted form decoded for `schema` and checked by it, with every problem found (nothing is stored). */
export async function readForm(c: Context, schema: z.ZodType): Promise<{ state: FormState; ok: boolean }> {
  const fields = (await c.req.parseBody({ all: true })) as FormFields;
  const decoded = decodeForm(schema, fields);
  const parsed = schema.safeParse(decoded.value, { error: requiredMessage });
  const reported = new Set(decoded.issues.map((i) => i.path));
  const issues = [...decoded.issues, ...(parsed.success ? [] : zodIssues(parsed.error.issues).filter((i) => !reported.has(i.path)))];
  return { state: new FormState(schema, decoded.value, issues, decoded.raw), ok: issues.length === 0 };
}

/** Runs a write; its validation problems (and a name in use) come back as the form's problems instead of a throw. */
export async function tryWrite(state: FormState, write: () => Promise<void>): Promise<FormState | undefined> {
  try {
    await write();
    return undefined;
  } catch (e) {
    if (e instanceof ValidationError) return new FormState(state.schema, state.draft, e.issues);
    if (e instanceof ConflictError) return new FormState(state.schema, state.draft, [{ path: "name", message: e.message }]);
    throw e;
  }
}
