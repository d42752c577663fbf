/**
 * The shape of the core, as tests: the folders of src/ import one way (the order below, README "Development"),
 * queries live only in src/db/, and no file holds two things (400 lines at most).
 */
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { ROOT } from "./support/cli.ts";
import { memberAccesses, scanImports, tokenize } from "./support/imports.ts";

/**
 * Each folder imports only folders on earlier steps; folders on one step never import each other. Root files
 * (bytes.ts, errors.ts, ports.ts, sha256.ts, version.ts) may be imported by all and import no folder.
 */
export const LAYERS: readonly (readonly string[])[] = [
  ["expressions"],
  ["model"],
  ["db"],
  ["bundle", "items"],
  ["extract"],
  ["fetch"],
  ["images"],
  ["crawl"],
  ["check", "schedule"],
  ["jobs"],
  ["api"],
];

const SRC = join(ROOT, "src");
const stepOf = new Map(LAYERS.flatMap((step, i) => step.map((folder) => [folder, i] as const)));

/** The folder of a path under src/ (`""` for a root file), or undefined when the path is outside src/. */
function folderOf(path: string): string | undefined {
  const rel = relative(SRC, path);
  if (rel.startsWith("..") || rel.startsWith(sep)) return undefined;
  const parts = rel.split(sep);
  return parts.length === 1 ? "" : parts[0]!;
}

/** Why `file` may not import `target` (absolute paths), or undefined when it may. */
export function layerViolation(file: string, target: string): string | undefined {
  const from = folderOf(file);
  const to = folderOf(target);
  if (from === undefined) throw new Error(`${file} is not under src/`);
  if (to === undefined) return "reaches outside src/ (the core imports no shell)";
  if (to === from) return undefined;
  if (from === "") return `a root file imports folder ${to}/ (root files import no folder)`;
  if (to === "") return undefined;
  const [a, b] = [stepOf.get(from), stepOf.get(to)];
  if (a === undefined) return `folder ${from}/ is not in the layer order`;
  if (b === undefined) return `folder ${to}/ is not in the layer order`;
  if (a === b) return `${from}/ and ${to}/ are on the same step and never import each other`;
  if (b > a) return `${to}/ comes after ${from}/ in the layer order`;
  return undefined;
}

/** The queries' home: drizzle, the libSQL client and the table definitions are used there and nowhere else. */
/** The drizzle schema files: their tables are values only db/ may use. */
const SCHEMAS = new Set([join(SRC, "db/schema.ts"), join(SRC, "db/queue-schema.ts")]);
const DB_ONLY_MODULES = [/^drizzle-orm(\/|$)/, /^@libsql\//, /^libsql(\/|$)/];
const DB_CALLS = /(^|\.)client\.(execute|batch|transaction|executeMultiple|migrate)$|(^|\.)db\.(select|insert|update|delete|run|all|get|values|transaction|batch|query|\$count)$/;

/** Why `file` (not in src/db/ nor the CLI's driver) breaks the queries-in-db rule, one line per problem. */
export function dbBoundaryViolations(file: string, source: string): string[] {
  const problems: string[] = [];
  for (const ref of scanImports(source)) {
    if (DB_ONLY_MODULES.some((m) => m.test(ref.specifier))) problems.push(`line ${ref.line}: imports ${ref.specifier}`);
    else if (ref.specifier.startsWith(".") && SCHEMAS.has(resolve(dirname(file), ref.specifier)) && !ref.typeOnly) {
      problems.push(`line ${ref.line}: imports values of ${relative(ROOT, resolve(dirname(file), ref.specifier))}`);
    }
  }
  for (const access of memberAccesses(source)) {
    if (DB_CALLS.test(access.path)) problems.push(`line ${access.line}: calls ${access.path}`);
  }
  return problems;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : /\.(ts|tsx|mts)$/.test(e.name) && !e.name.endsWith(".d.ts") ? [join(dir, e.name)] : [],
  );
}

const name = (file: string) => relative(ROOT, file);

describe("the folders of src/ import one way", () => {
  test("every import of every file under src/ (type-only ones too) follows the layer order", () => {
    const offenders: string[] = [];
    for (const file of sourceFiles(SRC)) {
      for (const ref of scanImports(readFileSync(file, "utf8"))) {
        if (!ref.specifier.startsWith(".")) continue;
        const why = layerViolation(file, resolve(dirname(file), ref.specifier));
        if (why) offenders.push(`${name(file)}:${ref.line} imports ${ref.specifier}: ${why}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  test("every folder of src/ is in the order", () => {
    const folders = readdirSync(SRC, { withFileTypes: true }).filter((e) => e.isDirectory() && e.name !== "types").map((e) => e.name);
    expect(folders.filter((f) => !stepOf.has(f))).toEqual([]);
  });

  const samples: [string, string, string | undefined][] = [
    ["src/db/items.ts", "src/model/checker.ts", undefined],
    ["src/crawl/crawler.ts", "src/fetch/fetcher.ts", undefined],
    ["src/crawl/crawler.ts", "src/crawl/item.ts", undefined],
    ["src/jobs/runner.ts", "src/errors.ts", undefined],
    ["src/ports.ts", "src/version.ts", undefined],
    ["src/model/scraper.ts", "src/db/schema.ts", "db/ comes after model/ in the layer order"],
    ["src/check/item-check.ts", "src/jobs/log.ts", "jobs/ comes after check/ in the layer order"],
    ["src/schedule/move.ts", "src/check/outcome.ts", "schedule/ and check/ are on the same step and never import each other"],
    ["src/bundle/import.ts", "src/items/rows.ts", "bundle/ and items/ are on the same step and never import each other"],
    ["src/fetch/fetcher.ts", "src/images/keys.ts", "images/ comes after fetch/ in the layer order"],
    ["src/ports.ts", "src/db/connect.ts", "a root file imports folder db/ (root files import no folder)"],
    ["src/widgets/a.ts", "src/model/attr.ts", "folder widgets/ is not in the layer order"],
    ["src/jobs/tick.ts", "cli/local-queue.ts", "reaches outside src/ (the core imports no shell)"],
  ];
  test.each(samples)("%s → %s", (file, target, why) => {
    expect(layerViolation(join(ROOT, file), join(ROOT, target))).toBe(why);
  });
});

describe("queries live in src/db/", () => {
  // The binary's driver: it opens the client (and sets WAL) before the core gets the Database port.
  const DRIVER = new Set(["cli/database.ts", "cli/local-client.ts", "cli/remote-client.ts", "cli/change-watch.ts"]);

  test("no file outside src/db/ (src/ and cli/) imports drizzle-orm, @libsql, schema values, or runs queries", () => {
    const files = [...sourceFiles(SRC).filter((f) => !f.startsWith(join(SRC, "db") + sep)), ...sourceFiles(join(ROOT, "cli")).filter((f) => !DRIVER.has(name(f)))];
    const offenders = files.flatMap((file) => dbBoundaryViolations(file, readFileSync(file, "utf8")).map((p) => `${name(file)} ${p}`));
    expect(offenders).toEqual([]);
  });

  const file = join(SRC, "jobs/example.ts");
  const samples: [string, string, string[]][] = [
    ["a drizzle import", `import { eq } from "drizzle-orm";`, ["line 1: imports drizzle-orm"]],
    ["a driver import", `import type { InStatement } from "@libsql/client/web";`, ["line 1: imports @libsql/client/web"]],
    ["a table", `import { jobs } from "../db/schema.ts";`, ["line 1: imports values of src/db/schema.ts"]],
    ["a table type is fine", `import type { jobs } from "../db/schema.ts";`, []],
    ["a queue table", `import { crawl_steps } from "../db/queue-schema.ts";`, ["line 1: imports values of src/db/queue-schema.ts"]],
    ["a raw statement", `await database.client.execute("SELECT 1");`, ["line 1: calls database.client.execute"]],
    ["a batch", `const { client } = database;\nawait client.batch([], "write");`, ["line 2: calls client.batch"]],
    ["a drizzle query", `await database.db.select().from(t);`, ["line 1: calls database.db.select"]],
    ["a query function of db/ is fine", `import { saveItems } from "../db/items.ts";\nawait saveItems(database, writes, now);`, []],
    ["words in strings and comments are not code", `// client.execute("x")\nconst s = "import { eq } from 'drizzle-orm'";`, []],
  ];
  test.each(samples)("%s", (_name, source, problems) => {
    expect(dbBoundaryViolations(file, source)).toEqual(problems);
  });
});

describe("the import scan", () => {
  const samples: [string, string, [string, boolean][]][] = [
    ["named, default and namespace imports", `import a from "./a.ts";\nimport { b } from "./b.ts";\nimport * as c from "./c.ts";`, [["./a.ts", false], ["./b.ts", false], ["./c.ts", false]]],
    ["type-only imports and re-exports", `import type { A } from "./a.ts";\nimport { type B, type C } from "./b.ts";\nexport type { D } from "./d.ts";`, [["./a.ts", true], ["./b.ts", true], ["./d.ts", true]]],
    ["a mixed import is not type-only", `import { type A, b } from "./a.ts";`, [["./a.ts", false]]],
    ["re-exports", `export * from "./a.ts";\nexport { b } from "./b.ts";`, [["./a.ts", false], ["./b.ts", false]]],
    ["side-effect, dynamic and type-position imports", `import "./a.ts";\nconst b = await import("./b.ts");\ntype C = import("./c.ts").C;`, [["./a.ts", false], ["./b.ts", false], ["./c.ts", false]]],
    ["multi-line clauses", `import {\n  a,\n  type B,\n} from "./a.ts";`, [["./a.ts", false]]],
    ["not in comments, strings, templates or regexes", "// import a from \"./a.ts\";\n/* import b from './b.ts' */\nconst s = 'import c from \"./c.ts\"';\nconst t = `from \"./t.ts\"`;\nconst r = /from \"x\"/;\nimport d from \"./d.ts\";", [["./d.ts", false]]],
    ["a regex with quotes does not hide what follows", `const r = /"?([^";]+)/i.exec(x);\nimport a from "./a.ts";`, [["./a.ts", false]]],
    ["a template with substitutions does not hide what follows", "const t = `${a ? `${b}` : \"}\"}`;\nimport a from \"./a.ts\";", [["./a.ts", false]]],
  ];
  test.each(samples)("%s", (_name, source, found) => {
    expect(scanImports(source).map((r) => [r.specifier, r.typeOnly])).toEqual(found);
  });
});

describe("types come from the schemas", () => {
  /** `x as unknown as T`: a cast past the type checker, where a schema or a type guard should say what it is. */
  const doubleCasts = (source: string) =>
    tokenize(source)
      .filter((t, k, all) => t.text === "as" && all[k + 1]?.text === "unknown" && all[k + 2]?.text === "as")
      .map((t) => t.line);

  test("no `as unknown as` in src/", () => {
    const offenders = sourceFiles(SRC).flatMap((file) => doubleCasts(readFileSync(file, "utf8")).map((line) => `${name(file)}:${line}`));
    expect(offenders).toEqual([]);
  });

  test("the check finds a double cast, and not one in a comment or a string", () => {
    expect(doubleCasts(`const a = b as unknown as C;\n// x as unknown as Y\nconst s = "p as unknown as q";\nconst d = (e as unknown) as F;`)).toEqual([1]);
  });
});

describe("files name one thing", () => {
  const MAX_LINES = 400;
  test(`no file in src/ is over ${MAX_LINES} lines`, () => {
    const long = sourceFiles(SRC)
      .map((f) => [name(f), readFileSync(f, "utf8").split("\n").length - 1] as const)
      .filter(([, lines]) => lines > MAX_LINES)
      .map(([f, lines]) => `${f}: ${lines} lines`);
    expect(long).toEqual([]);
  });
});
