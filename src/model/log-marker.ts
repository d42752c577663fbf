/**
 * @module
 * A log marker (DDS `LogMarker`, SPEC.md §8): log rows whose message contains `message_contains` (and whose
 * `ref_object` is the marker's, when it has one) are typed `mark_with_type` when they are stored; a marker with a
 * `scraper` applies to that scraper's rows only.
 */
import { z } from "zod";
import { nameSchema } from "./common.ts";
import { markTypeSchema } from "./enums.ts";

export const logMarkerSchema = z
  .strictObject({
    message_contains: z.string().min(1, "must not be empty"),
    /** Only rows about this object (a URL, an item); null: any. */
    ref_object: z.string().min(1, "must not be empty").nullable().default(null),
    /** The scraper (by name) whose rows it types; null: every scraper's. */
    scraper: nameSchema.nullable().default(null),
    mark_with_type: markTypeSchema,
    /** The name of a `custom` type. */
    custom_type: z.string().default(""),
  })
  .superRefine((m, ctx) => {
    if (m.mark_with_type === "custom" && !m.custom_type) ctx.addIssue({ code: "custom", path: ["custom_type"], message: "is required when mark_with_type is custom" });
  });

export type LogMarkerInput = z.infer<typeof logMarkerSchema>;
