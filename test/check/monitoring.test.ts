/** Monitoring alerts (SPEC.md §8): alert periods, and last saves / checker deletes read from a real database. */
import { describe, expect, test } from "bun:test";
import { formatDuration, lastDeleteAlerts, lastSaveAlerts, parseAlertPeriod } from "../../src/check/monitoring.ts";
import { ValidationError } from "../../src/errors.ts";
import type { BundleInput } from "../../src/model/bundle.ts";
import type { Database } from "../../src/db/connect.ts";
import { store } from "../support/crawl.ts";
import { tempDatabase } from "../support/temp.ts";

const H = 3_600_000;
const D = 24 * H;

describe("parseAlertPeriod", () => {
  test.each([
    ["12h", 12 * H],
    ["1h", H],
    ["3d", 3 * D],
    ["1w", 7 * D],
    ["52w", 52 * 7 * D],
    [" 2d ", 2 * D],
    ["", null],
    ["0h", null],
    ["0w", null],
  ] as const)("%p → %p", (text, ms) => {
    expect(parseAlertPeriod(text)).toBe(ms);
  });

  test.each(["12", "h", "1.5d", "3 d", "1m", "-1d", "1D", "1d2h"])("%p is not a period: ValidationError", (text) => {
    expect(() => parseAlertPeriod(text)).toThrow(ValidationError);
  });
});

describe("formatDuration", () => {
  test.each([
    [0, "0s"],
    [999, "0s"],
    [40_000, "40s"],
    [5 * 60_000 + 3000, "5m 3s"],
    [2 * H + 5 * 60_000 + 7000, "2h 5m"],
    [3 * D, "3d"],
    [3 * D + 4 * H + 59 * 60_000, "3d 4h"],
    [D + 30 * 60_000, "1d"],
    [-5, "0s"],
  ])("%p ms → %p", (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});

const NOW = new Date("2024-06-10T12:00:00.000Z");
const ago = (ms: number) => new Date(NOW.getTime() - ms);

interface Row {
  name: string;
  status: "ACTIVE" | "MANUAL" | "PAUSED" | "INACTIVE";
  checkers?: boolean;
  save_period?: string;
  delete_period?: string;
  last_save?: Date | null;
  last_delete?: Date | null;
  created: Date;
}

/** A database holding the rows' scrapers, with their times set as given. */
async function scrapersDb(rows: Row[]): Promise<Database> {
  const database = await tempDatabase();
  const bundle: BundleInput = {
    classes: [
      {
        name: "Offer",
        attrs: [
          { name: "base", attr_type: "B" },
          { name: "title", attr_type: "S", id_field: true },
          { name: "url", attr_type: "U" },
        ],
      },
    ],
    scrapers: rows.map((r) => ({
      name: r.name,
      class: "Offer",
      status: r.status,
      last_scraper_save_alert_period: r.save_period ?? "",
      last_checker_delete_alert_period: r.delete_period ?? "",
      page_types: [{ page_type: "MP" }],
      elems: [
        { attr: "base", x_path: "//li" },
        { attr: "title", x_path: "text()" },
        { attr: "url", x_path: "a/@href" },
      ],
      checkers: r.checkers ? [{ attr: "url", checker_type: "404" }] : [],
    })),
  };
  await store(database, bundle);
  for (const r of rows) {
    await database.client.execute({
      sql: "UPDATE scrapers SET created_at = ?, last_scraper_save = ?, last_checker_delete = ? WHERE name = ?",
      args: [r.created.getTime(), r.last_save?.getTime() ?? null, r.last_delete?.getTime() ?? null, r.name],
    });
  }
  return database;
}

describe("lastSaveAlerts", () => {
  const rows: Row[] = [
    { name: "daily-ok", status: "ACTIVE", save_period: "1d", last_save: ago(23 * H), created: ago(90 * D) },
    { name: "daily-late", status: "ACTIVE", save_period: "1d", last_save: ago(26 * H), created: ago(90 * D) },
    { name: "exactly-due", status: "ACTIVE", save_period: "12h", last_save: ago(12 * H), created: ago(90 * D) },
    { name: "never-saved-new", status: "ACTIVE", save_period: "3d", last_save: null, created: ago(D) },
    { name: "never-saved-old", status: "MANUAL", save_period: "12h", last_save: null, created: ago(2 * D) },
    { name: "no-period", status: "ACTIVE", save_period: "", last_save: ago(400 * D), created: ago(500 * D) },
    { name: "zero-period", status: "ACTIVE", save_period: "0d", last_save: ago(400 * D), created: ago(500 * D) },
    { name: "paused-late", status: "PAUSED", save_period: "1w", last_save: ago(8 * 7 * D), created: ago(500 * D) },
    { name: "inactive-late", status: "INACTIVE", save_period: "1w", last_save: ago(3 * 7 * D), created: ago(500 * D) },
  ];

  test("alerts for every scraper past its period, whatever its status (as DDS); a scraper that never saved counts from its creation", async () => {
    const database = await scrapersDb(rows);
    const report = await lastSaveAlerts(database, NOW, { onlyActive: false });
    expect(report.checked).toBe(7);
    expect(report.alerts.map((a) => [a.scraper, a.status, a.period, a.last, a.since, a.overdue_by])).toEqual([
      ["daily-late", "ACTIVE", "1d", ago(26 * H).toISOString(), ago(26 * H).toISOString(), "2h"],
      ["never-saved-old", "MANUAL", "12h", null, ago(2 * D).toISOString(), "1d 12h"],
      ["paused-late", "PAUSED", "1w", ago(56 * D).toISOString(), ago(56 * D).toISOString(), "49d"],
      ["inactive-late", "INACTIVE", "1w", ago(21 * D).toISOString(), ago(21 * D).toISOString(), "14d"],
    ]);
    const late = report.alerts[0]!;
    expect(late.overdue_ms).toBe(2 * H);
    expect(late.scraper_id).toBe(2);
  });

  test("onlyActive: ACTIVE scrapers only (DDS --only-active: status 'A')", async () => {
    const database = await scrapersDb(rows);
    const report = await lastSaveAlerts(database, NOW, { onlyActive: true });
    expect(report.checked).toBe(4);
    expect(report.alerts.map((a) => a.scraper)).toEqual(["daily-late"]);
  });

  test("the check moves with `now`", async () => {
    const database = await scrapersDb(rows.slice(0, 1));
    expect((await lastSaveAlerts(database, new Date(NOW.getTime() + H - 1), { onlyActive: false })).alerts).toEqual([]);
    expect((await lastSaveAlerts(database, new Date(NOW.getTime() + H + 1), { onlyActive: false })).alerts.map((a) => a.overdue_ms)).toEqual([1]);
  });

  test("a malformed stored period fails loudly, naming the scraper and the field", async () => {
    const database = await scrapersDb(rows.slice(0, 1));
    await database.client.execute(`UPDATE scrapers SET definition = json_set(definition, '$.last_scraper_save_alert_period', '5x')`);
    const error = await lastSaveAlerts(database, NOW, { onlyActive: false }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues).toEqual([{ path: 'scrapers["daily-ok"].last_scraper_save_alert_period', message: 'alert period "5x" is not like "12h", "3d" or "1w"' }]);
  });
});

describe("lastDeleteAlerts", () => {
  const rows: Row[] = [
    { name: "deletes-ok", status: "ACTIVE", checkers: true, delete_period: "1w", last_delete: ago(2 * D), created: ago(90 * D) },
    { name: "deletes-late", status: "ACTIVE", checkers: true, delete_period: "1w", last_delete: ago(10 * D), created: ago(90 * D) },
    { name: "never-deleted", status: "MANUAL", checkers: true, delete_period: "1w", last_delete: null, created: ago(15 * D) },
    { name: "never-deleted-new", status: "ACTIVE", checkers: true, delete_period: "1w", last_delete: null, created: ago(6 * D) },
    { name: "no-checkers", status: "ACTIVE", checkers: false, delete_period: "1d", last_delete: null, created: ago(90 * D) },
    // Its save period does not matter here, nor its saves.
    { name: "saves-only", status: "ACTIVE", checkers: true, save_period: "1h", last_save: ago(90 * D), created: ago(90 * D) },
  ];

  test("scrapers with checkers past their delete period; those without checkers are not checked", async () => {
    const database = await scrapersDb(rows);
    const report = await lastDeleteAlerts(database, NOW, { onlyActive: false });
    expect(report.checked).toBe(4);
    expect(report.alerts.map((a) => [a.scraper, a.period, a.last, a.overdue_by])).toEqual([
      ["deletes-late", "1w", ago(10 * D).toISOString(), "3d"],
      ["never-deleted", "1w", null, "8d"],
    ]);
  });

  test("onlyActive leaves the MANUAL scraper out", async () => {
    const database = await scrapersDb(rows);
    expect((await lastDeleteAlerts(database, NOW, { onlyActive: true })).alerts.map((a) => a.scraper)).toEqual(["deletes-late"]);
  });

  test("the save check ignores checker deletes and the other way round", async () => {
    const database = await scrapersDb(rows);
    expect((await lastSaveAlerts(database, NOW, { onlyActive: false })).alerts.map((a) => a.scraper)).toEqual(["saves-only"]);
  });
});
