/**
 * src/ must run unchanged in Bun and in workerd: it may not import platform modules, and it type-checks with
 * Web-platform libs only.
 */
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { runProcess, ROOT } from "./support/cli.ts";

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : /\.(ts|tsx|js|mjs)$/.test(e.name) ? [join(dir, e.name)] : [],
  );
}

const FORBIDDEN = /(?:from\s+|import\s*\(\s*|require\s*\(\s*|import\s+)["'](bun|bun:[^"']*|node:[^"']*|cloudflare:[^"']*)["']/g;

describe("the core stays platform-free", () => {
  test("nothing under src/ imports bun, bun:*, node:* or cloudflare:*", () => {
    const offenders: string[] = [];
    for (const file of sourceFiles(join(ROOT, "src"))) {
      for (const m of readFileSync(file, "utf8").matchAll(FORBIDDEN)) offenders.push(`${relative(ROOT, file)} imports ${m[1]}`);
    }
    expect(offenders).toEqual([]);
  });

  test("the import scan recognises the forms it must catch", () => {
    const samples = [`import x from "bun";`, `import { a } from 'node:fs';`, `await import("bun:sqlite")`, `require('cloudflare:workers')`, `import "node:path";`];
    expect(samples.map((s) => [...s.matchAll(FORBIDDEN)].length)).toEqual([1, 1, 1, 1, 1]);
  });

  test("src/ type-checks with Web-platform libs only (src/tsconfig.json)", async () => {
    const r = await runProcess([join(ROOT, "node_modules/.bin/tsc"), "-p", "src/tsconfig.json"]);
    expect(r.stdout + r.stderr).toBe("");
    expect(r.code).toBe(0);
  });

  test("no Node or Bun type library reaches src/ (not even through a dependency's reference to 'node')", async () => {
    const r = await runProcess([join(ROOT, "node_modules/.bin/tsc"), "-p", "src/tsconfig.json", "--listFiles"]);
    const leaked = r.stdout.split("\n").filter((f) => /node_modules\/(@types\/node|bun-types|@types\/bun)\//.test(f));
    expect(leaked).toEqual([]);
    expect(r.stdout).toContain("src/types/no-node/node/index.d.ts");
  });

  test("the whole project type-checks (tsconfig.json)", async () => {
    const r = await runProcess([join(ROOT, "node_modules/.bin/tsc"), "-p", "tsconfig.json"]);
    expect(r.stdout + r.stderr).toBe("");
    expect(r.code).toBe(0);
  });
});
