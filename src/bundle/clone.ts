/**
 * @module
 * Cloning a scraper (SPEC.md §1): a copy of its page types, elems and checkers, of the same class, named
 * "NAME (COPY)" — then "NAME (COPY 2)", "NAME (COPY 3)"… — and PAUSED, stored through the import's checks.
 */
import { scraperNamesStarting, scraperWith } from "../db/definition-pages.ts";
import { NotFoundError } from "../errors.ts";
import type { Clock } from "../ports.ts";
import { importDefinition } from "./import.ts";

/** Clones scraper `id`; returns the clone's name. */
export async function cloneScraper(database: Parameters<typeof scraperWith>[0], id: number, clock: Clock): Promise<string> {
  const original = await scraperWith(database, { id });
  if (!original) throw new NotFoundError(`no scraper with id ${id}`);
  const base = `${original.scraper.name} (COPY`;
  const taken = await scraperNamesStarting(database, base);
  let name = `${base})`;
  for (let n = 2; taken.has(name); n++) name = `${base} ${n})`;
  await importDefinition(database, "scrapers", { name, class: original.className, status: "PAUSED", ...original.scraper.definition }, clock);
  return name;
}
