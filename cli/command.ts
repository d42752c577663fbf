/**
 * The shape of a command and what it gets to run: parsed flags, output helpers that respect `--json` and
 * `--quiet`, and the database opened (and migrated) on first use.
 */
import type { Database } from "../src/db/connect.ts";
import type { BlobStore } from "../src/ports.ts";
import type { FlagSpecs, FlagValues } from "./args.ts";

export const GLOBAL_FLAGS = {
  db: { type: "string", value: "URL", env: "DSCRAPER_DB_URL", help: "database: file:PATH or libsql://… (default file:./data/dscraper.db)" },
  "busy-timeout-ms": {
    type: "int",
    min: 0,
    value: "N",
    env: "DSCRAPER_BUSY_TIMEOUT_MS",
    help: "how long to wait for another writer's lock on the database (default 30000; past 50000 a running job's 60 s lease may lapse meanwhile)",
  },
  images: { type: "string", value: "DIR", env: "DSCRAPER_IMAGES_DIR", help: "image store folder (default ./data/images)" },
  json: { type: "bool", help: "print machine-readable JSON on stdout" },
  quiet: { type: "bool", help: "no progress on stderr" },
  help: { type: "bool", help: "show this help" },
} as const satisfies FlagSpecs;

export interface Command<S extends FlagSpecs = FlagSpecs> {
  name: string;
  /** Arguments after the command name, e.g. "FILE". */
  args: string;
  summary: string;
  /** Extra help text. */
  details?: string;
  /** How many positionals are accepted. */
  positionals: readonly [min: number, max: number];
  flags: S;
  run(ctx: Context<S>): Promise<number | void>;
}

export interface Context<S extends FlagSpecs = FlagSpecs> {
  positionals: string[];
  flags: FlagValues<S & typeof GLOBAL_FLAGS>;
  env: Record<string, string | undefined>;
  database(): Promise<Database>;
  /** The image store (`--images`), created on first use. */
  blobStore(): BlobStore;
  /** A result line for people (stdout), suppressed under --json. */
  print(text: string): void;
  /** Progress or notes for people (stderr), suppressed under --quiet and --json. */
  note(text: string): void;
  /** The machine-readable result (stdout, only under --json). */
  printJson(value: unknown): void;
  /** Raw bytes to stdout whatever the mode (export, schema). */
  write(text: string): void;
}

export function defineCommand<S extends FlagSpecs>(command: Command<S>): Command<S> {
  return command;
}
