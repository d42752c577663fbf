/**
 * The `dscraper` binary: parses the command line, runs one command, maps errors to exit codes
 * (0 success, 1 the run failed, 2 bad usage or invalid input) and prints them in one line each.
 */
import { DscraperError, errorMessage, NotFoundError, typedCause, ValidationError } from "../src/errors.ts";
import type { Database } from "../src/db/connect.ts";
import { VERSION } from "../src/version.ts";
import { flagHelp, parseArgs, UsageError, type FlagSpecs } from "./args.ts";
import { GLOBAL_FLAGS, type Command, type Context } from "./command.ts";
import checkLastDeletesCommand from "./commands/check-last-deletes.ts";
import checkLastSavesCommand from "./commands/check-last-saves.ts";
import checkCommand from "./commands/check.ts";
import checkerTestCommand from "./commands/checker-test.ts";
import cleanupCommand from "./commands/cleanup.ts";
import crawlCommand from "./commands/crawl.ts";
import demoCommand from "./commands/demo.ts";
import exportCommand from "./commands/export.ts";
import imagesCommand from "./commands/images.ts";
import importCommand from "./commands/import.ts";
import itemsCommand from "./commands/items.ts";
import jobsCommand from "./commands/jobs.ts";
import migrateCommand from "./commands/migrate.ts";
import runCheckerTestsCommand from "./commands/run-checker-tests.ts";
import schemaCommand from "./commands/schema.ts";
import serveCommand from "./commands/serve.ts";
import sourcesCommand from "./commands/sources.ts";
import tickCommand from "./commands/tick.ts";
import { connectDatabase, DEFAULT_DB_URL } from "./database.ts";
import { DEFAULT_IMAGES_DIR, FsBlobStore } from "./fs-blob-store.ts";

const COMMANDS: Command<FlagSpecs>[] = [demoCommand, serveCommand, crawlCommand, checkCommand, checkerTestCommand, runCheckerTestsCommand, checkLastSavesCommand, checkLastDeletesCommand, sourcesCommand, jobsCommand, itemsCommand, cleanupCommand, tickCommand, importCommand, exportCommand, imagesCommand, schemaCommand, migrateCommand] as Command<FlagSpecs>[];

function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => `${c.name} ${c.args}`.length));
  return [
    `dscraper ${VERSION}: a dynamic web scraper; scrapers are data, not code.`,
    "",
    "Usage: dscraper COMMAND [ARGS] [FLAGS]",
    "",
    "Commands:",
    ...COMMANDS.map((c) => `  ${`${c.name} ${c.args}`.padEnd(width)}  ${c.summary}`),
    "",
    "Global flags:",
    ...flagHelp({ ...GLOBAL_FLAGS, version: { type: "bool", help: "print the version" } }),
    "",
    "Run 'dscraper COMMAND --help' for a command's flags. Exit codes: 0 success, 1 the run failed, 2 bad usage or input.",
  ].join("\n");
}

function commandHelp(c: Command<FlagSpecs>): string {
  const own = flagHelp(c.flags);
  return [
    `Usage: dscraper ${c.name}${c.args ? ` ${c.args}` : ""} [FLAGS]`,
    "",
    c.summary,
    ...(c.details ? ["", c.details] : []),
    ...(own.length ? ["", "Flags:", ...own] : []),
    "",
    "Global flags:",
    ...flagHelp(GLOBAL_FLAGS),
  ].join("\n");
}

interface Io {
  stdout(text: string): void;
  stderr(text: string): void;
}

const processIo: Io = { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) };

export async function main(argv: readonly string[], env: Record<string, string | undefined>, io: Io = processIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "help" || name === "-h") {
    io.stdout(`${mainHelp()}\n`);
    return name === undefined ? 2 : 0;
  }
  if (name === "--version" || name === "-v") {
    io.stdout(`dscraper ${VERSION}\n`);
    return 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    io.stderr(`dscraper: unknown command '${name}' (see 'dscraper --help')\n`);
    return 2;
  }
  let json = rest.includes("--json");
  let database: Database | undefined;
  let store: FsBlobStore | undefined;
  try {
    const { positionals, flags } = parseArgs(rest, { ...GLOBAL_FLAGS, ...command.flags }, env, command.name);
    if (flags.help) {
      io.stdout(`${commandHelp(command)}\n`);
      return 0;
    }
    json = flags.json === true;
    const [min, max] = command.positionals;
    if (positionals.length < min) throw new UsageError(`'${command.name}' needs ${command.args} (see 'dscraper ${command.name} --help')`);
    if (positionals.length > max) throw new UsageError(`unexpected argument '${positionals[max]}' for '${command.name}'`);
    const quiet = flags.quiet === true || json;
    const ctx: Context<FlagSpecs> = {
      positionals,
      flags,
      env,
      database: async () =>
        (database ??= await connectDatabase((flags.db as string | undefined) ?? DEFAULT_DB_URL, env.DSCRAPER_DB_AUTH_TOKEN, {
          ...(flags["busy-timeout-ms"] !== undefined ? { busyTimeoutMs: flags["busy-timeout-ms"] as number } : {}),
          onWait: (note) => {
            if (!quiet) io.stderr(`dscraper: ${note}\n`);
          },
        })),
      blobStore: () => (store ??= new FsBlobStore((flags.images as string | undefined) ?? DEFAULT_IMAGES_DIR)),
      print: (text) => {
        if (!json) io.stdout(`${text}\n`);
      },
      note: (text) => {
        if (!quiet) io.stderr(`${text}\n`);
      },
      printJson: (value) => {
        if (json) io.stdout(`${JSON.stringify(value, null, 2)}\n`);
      },
      write: (text) => io.stdout(text),
    };
    return (await command.run(ctx)) ?? 0;
  } catch (e) {
    return reportError(e, json, io);
  } finally {
    database?.close();
  }
}

function exitCodeOf(e: unknown): number {
  if (e instanceof UsageError || e instanceof ValidationError || e instanceof NotFoundError) return 2;
  return 1;
}

function reportError(thrown: unknown, json: boolean, io: Io): number {
  // A typed error wrapped by another (drizzle's "Failed query" around a database failure) is the one to report.
  const e = thrown instanceof UsageError ? thrown : (typedCause(thrown) ?? thrown);
  const code = exitCodeOf(e);
  const message = e instanceof UsageError ? e.message : errorMessage(e);
  if (e instanceof ValidationError) {
    io.stderr(`dscraper: invalid input (${e.issues.length} problem${e.issues.length === 1 ? "" : "s"}):\n`);
    for (const issue of e.issues) io.stderr(`  ${issue.path || "(root)"}: ${issue.message}\n`);
  } else if (e instanceof UsageError || e instanceof DscraperError) {
    io.stderr(`dscraper: ${message}\n`);
  } else {
    // Something we did not foresee: still one line, with the stack only when asked for.
    io.stderr(`dscraper: internal error: ${message}\n`);
    if (process.env.DSCRAPER_DEBUG && e instanceof Error && e.stack) io.stderr(`${e.stack}\n`);
  }
  if (json) {
    const errorCode = e instanceof DscraperError ? e.code : e instanceof UsageError ? "usage" : "internal";
    const issues = e instanceof ValidationError ? e.issues : [];
    io.stdout(`${JSON.stringify({ error: { code: errorCode, message, issues } }, null, 2)}\n`);
  }
  return code;
}

if (import.meta.main) {
  process.exitCode = await main(process.argv.slice(2), process.env);
}
