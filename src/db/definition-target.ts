/**
 * @module
 * The one definition an API write is about, checked (and renamed) inside the import's write transaction before the
 * definition is stored: a create (`POST`) needs a name no definition of its kind has; a replace (`PUT /…/:id`)
 * needs the id to exist, and takes the body's name — a rename when it differs, refused when another definition has
 * it. References by id (a scraper's class, a source's scraper, items) do not change with a name.
 */
import type { Transaction } from "@libsql/client/web";
import { ConflictError, NotFoundError } from "../errors.ts";

export type DefinitionKind = "classes" | "scrapers" | "sources";

export interface DefinitionTarget {
  kind: DefinitionKind;
  /** The definition replaced; absent for a create. */
  id?: number;
  /** Its name after the write. */
  name: string;
}

const SINGULAR: Record<DefinitionKind, string> = { classes: "class", scrapers: "scraper", sources: "source" };

export async function claimTarget(tx: Pick<Transaction, "execute">, target: DefinitionTarget): Promise<void> {
  // `kind` is one of three table names, never user text.
  const table = target.kind;
  const what = SINGULAR[target.kind];
  const [named] = (await tx.execute({ sql: `SELECT id FROM ${table} WHERE name = ?`, args: [target.name] })).rows;
  const namedId = named ? Number(named.id) : undefined;
  if (target.id === undefined) {
    if (namedId !== undefined) throw new ConflictError(`a ${what} named "${target.name}" already exists (id ${namedId}): change it with PUT /api/${target.kind}/${namedId}`);
    return;
  }
  const [current] = (await tx.execute({ sql: `SELECT name FROM ${table} WHERE id = ?`, args: [target.id] })).rows;
  if (!current) throw new NotFoundError(`no ${what} with id ${target.id}`);
  if (namedId !== undefined && namedId !== target.id) throw new ConflictError(`another ${what} is named "${target.name}" (id ${namedId})`);
  if (String(current.name) !== target.name) await tx.execute({ sql: `UPDATE ${table} SET name = ? WHERE id = ?`, args: [target.name, target.id] });
}
