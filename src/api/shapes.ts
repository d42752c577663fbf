/**
 * @module
 * Definitions as the API answers them: the bundle's shapes (names as references) with the ids added — the
 * definition's own `id` and the `*_id` of what it refers to (SPEC.md) — and a source's runtime. The schemas are the
 * bundle's, extended; they describe the answers in the OpenAPI document.
 */
import { z } from "zod";
import type { ClassRow } from "../db/definitions.ts";
import type { ScraperView, SourceView } from "../db/definition-pages.ts";
import { scrapedClassSchema } from "../model/scraped-class.ts";
import { scraperSchema } from "../model/scraper.ts";
import { sourceSchema } from "../model/source.ts";

const id = z.number().int().positive();

export const classOutSchema = z.object({ id, ...scrapedClassSchema.shape });
export const scraperOutSchema = z.object({ id, class_id: id, ...scraperSchema.shape });
export const runtimeOutSchema = z.object({
  next_action_time: z.iso.datetime(),
  next_action_factor: z.number().nullable(),
  num_zero_actions: z.number().int(),
});
export const sourceOutSchema = z.object({ id, scraper_id: id, ...sourceSchema.shape, runtime: runtimeOutSchema.nullable() });

export type ClassOut = z.infer<typeof classOutSchema>;
export type ScraperOut = z.infer<typeof scraperOutSchema>;
export type SourceOut = z.infer<typeof sourceOutSchema>;

export function classOut(row: ClassRow): ClassOut {
  return { id: row.id, name: row.name, ...row.definition };
}

export function scraperOut({ scraper, className }: ScraperView): ScraperOut {
  return { id: scraper.id, name: scraper.name, class: className, class_id: scraper.class_id, status: scraper.status, ...scraper.definition };
}

export function sourceOut({ source, scraperName, runtime }: SourceView): SourceOut {
  return {
    id: source.id,
    name: source.name,
    url: source.url,
    scraper: scraperName,
    scraper_id: source.scraper_id,
    active: source.active,
    urls: source.urls,
    runtime: runtime && {
      next_action_time: runtime.next_action_time.toISOString(),
      next_action_factor: runtime.next_action_factor,
      num_zero_actions: runtime.num_zero_actions,
    },
  };
}
