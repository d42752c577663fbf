/**
 * @module
 * DDS classes and their attrs (`scrapedobjclass`, `scrapedobjattr`) → bundle classes, with their scheduler confs
 * read from Python dict bodies.
 */
import { parseDictBody, pyRepr } from "../model/python-literal.ts";
import { ATTR_TYPES, SCHEDULER_KEYS, type AttrInput, type ClassInput, type SchedulerConfInput } from "./dds-codes.ts";
import { listOf, show, type Fields, type Row } from "./dds-fields.ts";

export interface ClassRecord {
  row: Row;
  cls: Omit<ClassInput, "attrs">;
}
export interface AttrRecord {
  row: Row;
  classPk: number;
  attr: AttrInput;
}
export function readClass(f: Fields): ClassRecord | undefined {
  const name = f.name("name");
  const comments = f.text("comments");
  const scraperConf = schedulerConf(f, "scraper_scheduler_conf");
  const checkerConf = schedulerConf(f, "checker_scheduler_conf");
  if (name === undefined || !f.valid) return undefined;
  return {
    row: f.row,
    cls: {
      name,
      comments,
      ...(scraperConf && { scraper_scheduler_conf: scraperConf }),
      ...(checkerConf && { checker_scheduler_conf: checkerConf }),
    },
  };
}

/** A DDS scheduler conf (a Python dict body of numbers); an empty one is left out so dscraper's default applies. */
function schedulerConf(f: Fields, name: string): SchedulerConfInput | undefined {
  const text = f.text(name);
  const parsed = parseDictBody(text);
  if ("error" in parsed) return f.fail(name, `cannot be read as a Python dict body: ${parsed.error}; the text was ${show(text)}`);
  const entries = Object.entries(parsed.value);
  if (entries.length === 0) return undefined;
  const conf: Partial<Record<(typeof SCHEDULER_KEYS)[number], number>> = {};
  let ok = true;
  for (const [key, value] of entries) {
    if (!(SCHEDULER_KEYS as readonly string[]).includes(key)) {
      f.warn(name, `key ${pyRepr(key)} was dropped: DDS's scheduler does not use it`);
    } else if (typeof value !== "number") {
      ok = false;
      f.fail(name, `${key} must be a number, got ${pyRepr(value)}`);
    } else {
      conf[key as (typeof SCHEDULER_KEYS)[number]] = value;
    }
  }
  const missing = SCHEDULER_KEYS.filter((k) => conf[k] === undefined && !Object.hasOwn(parsed.value, k));
  if (missing.length) return f.fail(name, `misses ${listOf(missing, "and")} (DDS needs all of ${SCHEDULER_KEYS.join(", ")})`);
  if (!ok) return undefined;
  return conf as SchedulerConfInput;
}

export function readAttr(f: Fields): AttrRecord | undefined {
  const name = f.name("name");
  const order = f.int("order", 100);
  const classPk = f.ref("obj_class", false);
  const attrType = f.code("attr_type", ATTR_TYPES);
  const idField = f.bool("id_field", false);
  const saveToDb = f.bool("save_to_db", true);
  if (name === undefined || classPk == null || attrType === undefined || !f.valid) return undefined;
  return { row: f.row, classPk, attr: { name, order, attr_type: attrType, id_field: idField, save_to_db: saveToDb } };
}
