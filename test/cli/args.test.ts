import { describe, expect, test } from "bun:test";
import { parseArgs, UsageError, type FlagSpecs } from "../../cli/args.ts";

const SPECS = {
  db: { type: "string", env: "DSCRAPER_DB_URL", help: "" },
  "max-items": { type: "int", min: 1, help: "" },
  ratio: { type: "number", help: "" },
  "dry-run": { type: "bool", help: "" },
  "obey-robots": { type: "bool", env: "DSCRAPER_OBEY_ROBOTS", help: "" },
} as const satisfies FlagSpecs;

describe("parseArgs", () => {
  const ok: [string, string[], Record<string, string>, unknown, string[]][] = [
    ["positionals only", ["a", "b"], {}, {}, ["a", "b"]],
    ["value after flag", ["--db", "file:x.db", "a"], {}, { db: "file:x.db" }, ["a"]],
    ["value with =", ["--db=file:x.db"], {}, { db: "file:x.db" }, []],
    ["int", ["--max-items", "5"], {}, { "max-items": 5 }, []],
    ["number", ["--ratio", "0.5"], {}, { ratio: 0.5 }, []],
    ["bool", ["--dry-run", "x"], {}, { "dry-run": true }, ["x"]],
    ["env fills a missing flag", [], { DSCRAPER_DB_URL: "file:e.db" }, { db: "file:e.db" }, []],
    ["flag beats env", ["--db", "file:f.db"], { DSCRAPER_DB_URL: "file:e.db" }, { db: "file:f.db" }, []],
    ["bool env false", [], { DSCRAPER_OBEY_ROBOTS: "false" }, { "obey-robots": false }, []],
    ["bool env 1", [], { DSCRAPER_OBEY_ROBOTS: "1" }, { "obey-robots": true }, []],
    ["empty env ignored", [], { DSCRAPER_DB_URL: "" }, {}, []],
    ["-- ends flags", ["--", "--db", "x"], {}, {}, ["--db", "x"]],
    ["stdin dash is a positional", ["-"], {}, {}, ["-"]],
  ];
  test.each(ok)("%s", (_name, argv, env, flags, positionals) => {
    const parsed = parseArgs(argv, SPECS, env, "cmd");
    expect(parsed.flags).toEqual(flags as never);
    expect(parsed.positionals).toEqual(positionals);
  });

  const bad: [string, string[], Record<string, string>, string][] = [
    ["unknown flag", ["--nope"], {}, "unknown flag --nope for 'cmd' (see 'dscraper cmd --help')"],
    ["unknown short flag", ["-x"], {}, "unknown flag -x for 'cmd'"],
    ["missing value at end", ["--db"], {}, "--db needs a value"],
    ["missing value before a flag", ["--db", "--dry-run"], {}, "--db needs a value"],
    ["not an integer", ["--max-items", "abc"], {}, "--max-items expects an integer, got 'abc'"],
    ["float for an integer", ["--max-items", "1.5"], {}, "--max-items expects an integer, got '1.5'"],
    ["below minimum", ["--max-items", "0"], {}, "--max-items must be at least 1, got 0"],
    ["not a number", ["--ratio", "x"], {}, "--ratio expects a number, got 'x'"],
    ["value for a bool", ["--dry-run=yes"], {}, "--dry-run takes no value"],
    ["bad bool env names the variable", [], { DSCRAPER_OBEY_ROBOTS: "maybe" }, "DSCRAPER_OBEY_ROBOTS expects true or false, got 'maybe'"],
  ];
  test.each(bad)("%s", (_name, argv, env, message) => {
    let error: unknown;
    try {
      parseArgs(argv, SPECS, env, "cmd");
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toContain(message);
  });
});
