/**
 * @module
 * A scraped object class (DDS `ScrapedObjClass`): what an item is, and how often its sources and items are visited.
 */
import { z } from "zod";
import { attrSchema, type Attr } from "./attr.ts";
import { nameSchema } from "./common.ts";
import type { Report } from "./report.ts";
import { CHECKER_SCHEDULER_DEFAULTS, SCRAPER_SCHEDULER_DEFAULTS, schedulerConfSchema } from "./scheduler-conf.ts";

/** A class has at most this many DETAIL_PAGE_URL attrs: detail page types go from DP1 to DP25. */
export const MAX_DETAIL_PAGES = 25;

export const scrapedClassBodySchema = z.strictObject({
  comments: z.string().default(""),
  scraper_scheduler_conf: schedulerConfSchema.default(SCRAPER_SCHEDULER_DEFAULTS),
  checker_scheduler_conf: schedulerConfSchema.default(CHECKER_SCHEDULER_DEFAULTS),
  attrs: z.array(attrSchema),
});

export const scrapedClassSchema = z
  .strictObject({ name: nameSchema, ...scrapedClassBodySchema.shape })
  .superRefine((cls, ctx) => checkAttrs(cls.attrs, (path, message) => ctx.addIssue({ code: "custom", path, message })));

/** The stored part of a class (the database keeps its name in a column). */
export type ScrapedClassBody = z.infer<typeof scrapedClassBodySchema>;
export type ScrapedClass = z.infer<typeof scrapedClassSchema>;

export function checkAttrs(attrs: readonly Attr[], report: Report): void {
  const seen = new Map<string, number>();
  attrs.forEach((attr, i) => {
    const first = seen.get(attr.name);
    if (first !== undefined) report(["attrs", i, "name"], `duplicate attr name "${attr.name}" (also attrs[${first}])`);
    else seen.set(attr.name, i);
    if (attr.id_field && attr.attr_type !== "S" && attr.attr_type !== "U") {
      report(["attrs", i, "id_field"], `id_field is allowed on STANDARD (S) and DETAIL_PAGE_URL (U) attrs only, not on ${attr.attr_type}`);
    }
    if (attr.many && (attr.attr_type === "B" || attr.attr_type === "U")) {
      report(["attrs", i, "many"], `many is not allowed on a ${attr.attr_type === "B" ? "BASE" : "DETAIL_PAGE_URL"} attr`);
    }
  });
  const bases = attrs.flatMap((a, i) => (a.attr_type === "B" ? [i] : []));
  if (bases.length === 0) report(["attrs"], "needs exactly one BASE (B) attr, found none");
  for (const i of bases.slice(1)) report(["attrs", i, "attr_type"], `needs exactly one BASE (B) attr, found ${bases.length}`);
  const details = attrs.flatMap((a, i) => (a.attr_type === "U" ? [i] : []));
  for (const i of details.slice(MAX_DETAIL_PAGES)) {
    report(["attrs", i, "attr_type"], `at most ${MAX_DETAIL_PAGES} DETAIL_PAGE_URL (U) attrs are allowed, found ${details.length}`);
  }
}
