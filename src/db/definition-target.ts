/**
 * @module
 * The one definition an API write is about, checked (and renamed) inside the import's transaction before the
 * bundle is stored: a create (`POST`) needs a name no definition of its kind has; a replace (`PUT /…/:id`) needs
 * the id to exist, and takes the body's name — a rename when it differs, refused when another definition has it.
 * References by id (a scraper's class, a source's scraper, items) do not change with a name.
 */
import { eq } from "drizzle-orm";
import { ConflictError, NotFoundError } from "../errors.ts";
import type { Db } from "./connect.ts";
import { classes, scrapers, sources } from "./schema.ts";

export type DefinitionKind = "classes" | "scrapers" | "sources";

export interface DefinitionTarget {
  kind: DefinitionKind;
  /** The definition replaced; absent for a create. */
  id?: number;
  /** Its name after the write. */
  name: string;
}

const TABLES = { classes, scrapers, sources } as const;
const SINGULAR: Record<DefinitionKind, string> = { classes: "class", scrapers: "scraper", sources: "source" };

type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];

export async function claimTarget(tx: Tx, target: DefinitionTarget): Promise<void> {
  const table = TABLES[target.kind];
  const what = SINGULAR[target.kind];
  const [named] = await tx.select({ id: table.id }).from(table).where(eq(table.name, target.name));
  if (target.id === undefined) {
    if (named) throw new ConflictError(`a ${what} named "${target.name}" already exists (id ${named.id}): change it with PUT /api/${target.kind}/${named.id}`);
    return;
  }
  const [current] = await tx.select({ id: table.id, name: table.name }).from(table).where(eq(table.id, target.id));
  if (!current) throw new NotFoundError(`no ${what} with id ${target.id}`);
  if (named && named.id !== target.id) throw new ConflictError(`another ${what} is named "${target.name}" (id ${named.id})`);
  if (current.name !== target.name) await tx.update(table).set({ name: target.name }).where(eq(table.id, target.id));
}
