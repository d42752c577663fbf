/**
 * @module
 * Scraped object classes by the reference a user gives: an id or a name.
 */
import { eq } from "drizzle-orm";
import { NotFoundError } from "../errors.ts";
import type { Database } from "./connect.ts";
import { classes } from "./schema.ts";
import type { ClassRow } from "./definitions.ts";

/** A class by id (all digits) or name. */
export async function classByRef(database: Database, ref: string): Promise<ClassRow> {
  const byId = /^\d+$/.test(ref);
  const [row] = await database.db
    .select()
    .from(classes)
    .where(byId ? eq(classes.id, Number(ref)) : eq(classes.name, ref));
  if (!row) throw new NotFoundError(`no class ${byId ? `with id ${ref}` : `named "${ref}"`}`);
  return row;
}
