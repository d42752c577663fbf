/** The command line as a user runs it: a real process, real files, a real database. */
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { MIGRATIONS } from "../../src/db/migrations.gen.ts";
import { VERSION } from "../../src/version.ts";
import { ROOT, runCli } from "../support/cli.ts";
import { startHranaServer } from "../support/hrana-server.ts";
import { tempDir } from "../support/temp.ts";

const EXAMPLE = join(ROOT, "examples/quotes.json");

describe("dscraper CLI", () => {
  test("--version prints the version; package.json agrees", async () => {
    const r = await runCli(["--version"]);
    expect(r).toMatchObject({ code: 0, stdout: `dscraper ${VERSION}\n` });
    expect(JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).version).toBe(VERSION);
  });

  test("--help lists the commands; no command is a usage error", async () => {
    const help = await runCli(["--help"]);
    expect(help.code).toBe(0);
    for (const c of ["import FILE", "export", "schema", "migrate"]) expect(help.stdout).toContain(c);
    const none = await runCli([]);
    expect(none.code).toBe(2);
  });

  test("COMMAND --help shows its flags without touching the database", async () => {
    const cwd = tempDir();
    const r = await runCli(["import", "--help"], { cwd });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Usage: dscraper import FILE");
    expect(r.stdout).toContain("--from-dds");
    expect(existsSync(join(cwd, "data"))).toBe(false);
  });

  const usage: [string, string[], RegExp][] = [
    ["unknown command", ["frobnicate"], /^dscraper: unknown command 'frobnicate' \(see 'dscraper --help'\)\n$/],
    ["unknown flag", ["export", "--nope"], /^dscraper: unknown flag --nope for 'export' \(see 'dscraper export --help'\)\n$/],
    ["missing argument", ["import"], /^dscraper: 'import' needs FILE/],
    ["extra argument", ["export", "x"], /^dscraper: unexpected argument 'x' for 'export'\n$/],
    ["missing file", ["import", "/nonexistent/b.json"], /^dscraper: \/nonexistent\/b\.json: no such file\n$/],
    ["flag without value", ["export", "--out"], /^dscraper: --out needs a value/],
  ];
  test.each(usage)("bad usage (%s) exits 2 with one line and no stack trace", async (_name, args, stderr) => {
    const r = await runCli(args, { cwd: tempDir() });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(stderr);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).not.toContain("    at ");
  });

  test("the first command creates and migrates ./data/dscraper.db in the working directory", async () => {
    const cwd = tempDir();
    const r = await runCli(["import", EXAMPLE], { cwd });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("classes: 1 created, 0 updated, 0 unchanged");
    expect(existsSync(join(cwd, "data/dscraper.db"))).toBe(true);
    const exported = await runCli(["export"], { cwd });
    expect(exported.code).toBe(0);
    expect(JSON.parse(exported.stdout).scrapers[0].name).toBe("quotes");
  });

  test("import → export → import → export is byte-identical, and the second import changes nothing", async () => {
    const cwd = tempDir();
    const db = `file:${join(cwd, "x.db")}`;
    expect((await runCli(["import", EXAMPLE, "--db", db])).code).toBe(0);
    const first = await runCli(["export", "--db", db, "--out", join(cwd, "a.json")]);
    expect(first.code).toBe(0);
    const again = await runCli(["import", join(cwd, "a.json"), "--db", db, "--json"]);
    expect(JSON.parse(again.stdout)).toEqual({
      classes: { created: 0, updated: 0, unchanged: 1 },
      scrapers: { created: 0, updated: 0, unchanged: 1 },
      sources: { created: 0, updated: 0, unchanged: 1 },
    });
    const second = await runCli(["export", "--db", db]);
    expect(second.stdout).toBe(readFileSync(join(cwd, "a.json"), "utf8"));
  });

  test("import reads stdin with '-'", async () => {
    const cwd = tempDir();
    const r = await runCli(["import", "-", "--json"], { cwd, stdin: readFileSync(EXAMPLE, "utf8") });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).sources.created).toBe(1);
  });

  test("DSCRAPER_DB_URL selects the database", async () => {
    const cwd = tempDir();
    const url = `file:${join(cwd, "env.db")}`;
    expect((await runCli(["import", EXAMPLE], { cwd, env: { DSCRAPER_DB_URL: url } })).code).toBe(0);
    expect(existsSync(join(cwd, "env.db"))).toBe(true);
    expect(existsSync(join(cwd, "data"))).toBe(false);
  });

  test("an invalid bundle exits 2, names every bad field, and writes nothing", async () => {
    const cwd = tempDir();
    const bundle = JSON.parse(readFileSync(EXAMPLE, "utf8"));
    bundle.scrapers[0].elems[1].x_path = "span[@class='text'";
    bundle.scrapers[0].elems[2].reg_exp = "(unclosed";
    bundle.sources[0].url = "ftp://example.org/";
    writeFileSync(join(cwd, "bad.json"), JSON.stringify(bundle));
    const r = await runCli(["import", "bad.json"], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("scrapers[0].elems[1].x_path: invalid XPath (HTML page)");
    expect(r.stderr).toContain("scrapers[0].elems[2].reg_exp: invalid regular expression");
    expect(r.stderr).toContain("sources[0].url: must be an absolute http(s) URL");
    expect(r.stderr).not.toContain("    at ");
    const exported = await runCli(["export"], { cwd });
    expect(JSON.parse(exported.stdout)).toEqual({ classes: [], scrapers: [], sources: [] });
  });

  test("--json puts a structured error on stdout", async () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, "bad.json"), JSON.stringify({ classes: [{ name: "C", attrs: [] }] }));
    const r = await runCli(["import", "bad.json", "--json"], { cwd });
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toEqual({
      error: { code: "invalid_input", message: "classes[0].attrs: needs exactly one BASE (B) attr, found none", issues: [{ path: "classes[0].attrs", message: "needs exactly one BASE (B) attr, found none" }] },
    });
  });

  test("a file that is not JSON is named with the byte offset and the reason", async () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, "b.json"), "{ nope");
    const r = await runCli(["import", "b.json"], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('dscraper: b.json: not valid JSON at byte 2: expected a key ("classes", "scrapers" or "sources") or }\n');
  });

  test("schema prints the bundle's JSON Schema, generated from the zod schemas", async () => {
    const r = await runCli(["schema"], { cwd: tempDir() });
    expect(r.code).toBe(0);
    const schema = JSON.parse(r.stdout);
    expect(schema.$schema).toBe("https://json-schema.org/draft/2020-12/schema");
    expect(Object.keys(schema.properties)).toEqual(["classes", "scrapers", "sources"]);
    const attr = schema.properties.classes.items.properties.attrs.items;
    expect(attr.properties.attr_type.enum).toEqual(["B", "S", "T", "U", "I"]);
    expect(attr.required).toEqual(["name", "attr_type"]);
    expect(attr.additionalProperties).toBe(false);
    const scraper = schema.properties.scrapers.items.properties;
    expect(scraper.status.enum).toEqual(["ACTIVE", "MANUAL", "PAUSED", "INACTIVE"]);
    expect(scraper.status.default).toBe("PAUSED");
    const namespaces = scraper.page_types.items.properties.namespaces;
    expect(namespaces).toMatchObject({ type: "object", default: {}, additionalProperties: { type: "string", minLength: 1 } });
    expect(namespaces.propertyNames.pattern).toBeString();
  });

  test("migrate reports what it applied, then that the database is up to date", async () => {
    const cwd = tempDir();
    const first = await runCli(["migrate", "--db", `file:${join(cwd, "m.db")}`], { cwd });
    expect(first).toMatchObject({ code: 0, stdout: `applied ${MIGRATIONS.map((m) => m.tag).join(", ")}\n` });
    const second = await runCli(["migrate", "--db", `file:${join(cwd, "m.db")}`], { cwd });
    expect(second).toMatchObject({ code: 0, stdout: "database is up to date\n" });
  });

  test("--db with a remote libSQL URL (Hrana over HTTP) works the same, token included", async () => {
    const server = await startHranaServer({ dbPath: join(tempDir(), "remote.db"), authToken: "s3cret" });
    try {
      const env = { DSCRAPER_DB_AUTH_TOKEN: "s3cret" };
      const imported = await runCli(["import", EXAMPLE, "--db", server.url, "--json"], { cwd: tempDir(), env });
      expect(imported.stderr).toBe("");
      expect(JSON.parse(imported.stdout).classes.created).toBe(1);
      const exported = await runCli(["export", "--db", server.url], { cwd: tempDir(), env });
      expect(JSON.parse(exported.stdout).sources[0].name).toBe("quotes");
      const denied = await runCli(["export", "--db", server.url], { cwd: tempDir() });
      expect(denied.code).toBe(1);
      expect(denied.stderr).toBe(`dscraper: database ${server.url}: SERVER_ERROR: Server returned HTTP status 401\n`);
      expect(denied.stderr.trim().split("\n")).toHaveLength(1);
    } finally {
      await server.close();
    }
  });
});
