/**
 * The compiled binary runs from any folder with no node_modules beside it: its libSQL native addon and its
 * migrations are inside it.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync, existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { build } from "../../cli/build.ts";
import { VERSION } from "../../src/version.ts";
import { ROOT, runProcess } from "../support/cli.ts";
import { tempDir } from "../support/temp.ts";

let binary: string;
let folder: string;

beforeAll(async () => {
  const built = await build(join(tempDir(), "dscraper"));
  folder = tempDir("dscraper-bin-");
  binary = join(folder, "dscraper");
  copyFileSync(built, binary);
}, 180_000);

describe("the compiled binary", () => {
  test("--version works in an empty folder", async () => {
    expect(readdirSync(folder)).toEqual(["dscraper"]);
    const r = await runProcess([binary, "--version"], { cwd: folder });
    expect(r).toMatchObject({ code: 0, stdout: `dscraper ${VERSION}\n` });
  });

  test("import and export work there, on the default ./data/dscraper.db", async () => {
    const bundle = readFileSync(join(ROOT, "examples/quotes.json"), "utf8");
    const imported = await runProcess([binary, "import", "-"], { cwd: folder, stdin: bundle });
    expect(imported.stderr).toBe("");
    expect(imported.code).toBe(0);
    expect(existsSync(join(folder, "data/dscraper.db"))).toBe(true);
    expect(existsSync(join(folder, "node_modules"))).toBe(false);
    const exported = await runProcess([binary, "export"], { cwd: folder });
    expect(exported.code).toBe(0);
    const parsed = JSON.parse(exported.stdout);
    expect(parsed.classes[0].name).toBe("Quote");
    expect(parsed.sources[0].url).toBe(JSON.parse(bundle).sources[0].url);
  });

  test("a bad flag is one line on stderr and exit 2", async () => {
    const r = await runProcess([binary, "export", "--bogus"], { cwd: folder });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("dscraper: unknown flag --bogus for 'export' (see 'dscraper export --help')\n");
  });
});
