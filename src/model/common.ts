/**
 * @module
 * Field schemas shared by several definitions.
 */
import { z } from "zod";

/** Definitions refer to each other by name, so a name must be unambiguous when written in a bundle by hand. */
export const nameSchema = z
  .string()
  .min(1, "must not be empty")
  .max(200, "must be at most 200 characters")
  .regex(/^(?:\S(?:.*\S)?)?$/s, "must not start or end with whitespace");

/** Attr names are also `{name}` placeholders, so they are identifiers. */
export const attrNameSchema = z
  .string()
  .min(1, "must not be empty")
  .regex(/^(?:[\p{L}_][\p{L}\p{N}_-]*)?$/u, "must start with a letter or _ and hold only letters, digits, _ and - (it is also a {placeholder})")
  .max(200, "must be at most 200 characters");

/** DDS alert periods: `12h`, `3d`, `1w`; empty = no alert. */
export const periodSchema = z.string().regex(/^(?:\d+[hdw])?$/, 'must be a period like "12h", "3d" or "1w" (or empty)');

export const httpUrlSchema = z.string().refine(isHttpUrl, "must be an absolute http(s) URL");

export function isHttpUrl(value: string): boolean {
  try {
    const u = new URL(value);
    return u.protocol === "http:" || u.protocol === "https:";
  } catch {
    return false;
  }
}

export const positiveIntOrNull = z.number().int("must be an integer").positive("must be positive").nullable();
