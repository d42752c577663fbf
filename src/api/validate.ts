/**
 * @module
 * The one validation hook of the API. Every route validates its body, query and path parameters with a zod
 * schema through `v()`; a failure is a ValidationError naming each bad field in bracket form, with the messages
 * of the CLI and the bundle ("is required", "unknown field"). The same schemas describe the routes in the OpenAPI
 * document (`hono-openapi` reads them off the middleware).
 */
import type { ValidationTargets } from "hono";
import { resolver, validator } from "hono-openapi";
import type { z } from "zod";
import { ValidationError } from "../errors.ts";
import { requiredMessage, zodIssues } from "../model/issues.ts";

/**
 * Validates `target` with `schema`. Standard Schema hands the hook zod's issues without their input, so on a
 * failure the value is parsed once more by zod itself, with the messages every other surface gives.
 */
export function v<S extends z.ZodType, T extends keyof ValidationTargets>(target: T, schema: S) {
  return validator(target, schema, (result) => {
    if (result.success) return;
    const again = schema.safeParse(result.data, { error: requiredMessage });
    throw new ValidationError(again.success ? [{ path: "", message: "is invalid" }] : zodIssues(again.error.issues));
  });
}

/** A JSON response for the OpenAPI document. */
export function json(description: string, schema: z.ZodType) {
  return { description, content: { "application/json": { schema: resolver(schema) } } };
}
