/**
 * @module
 * The closed vocabularies that are also database columns. Kept apart from the definition schemas so that the
 * database schema (and drizzle-kit, which loads it) does not pull in the validators.
 */
import { z } from "zod";

/** ACTIVE runs on schedule and by hand, MANUAL only by hand, PAUSED and INACTIVE not at all. */
export const SCRAPER_STATUSES = ["ACTIVE", "MANUAL", "PAUSED", "INACTIVE"] as const;
export const scraperStatusSchema = z.enum(SCRAPER_STATUSES);
export type ScraperStatus = z.infer<typeof scraperStatusSchema>;

export const JOB_KINDS = ["crawl", "check"] as const;
export const JOB_STATUSES = ["queued", "running", "succeeded", "failed", "cancelled"] as const;
export const jobKindSchema = z.enum(JOB_KINDS);
export const jobStatusSchema = z.enum(JOB_STATUSES);
export type JobKind = z.infer<typeof jobKindSchema>;
export type JobStatus = z.infer<typeof jobStatusSchema>;
/** A job in one of these states holds its source (or item): no second run may start. */
export const ACTIVE_JOB_STATUSES = ["queued", "running"] as const satisfies readonly JobStatus[];

export const LOG_LEVELS = ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] as const;
export const logLevelSchema = z.enum(LOG_LEVELS);
export type LogLevel = z.infer<typeof logLevelSchema>;

/** DDS log marker types. */
export const MARK_TYPES = ["planned_error", "dirty_data", "important", "ignore", "misc", "custom"] as const;
export const markTypeSchema = z.enum(MARK_TYPES);
export type MarkType = z.infer<typeof markTypeSchema>;
