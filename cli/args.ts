/**
 * Command-line parsing: flags are declared once per command (with their env variable and default), and every
 * mistake becomes a UsageError that names the flag or value (exit 2, one line, no stack trace).
 */

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

export type FlagType = "string" | "int" | "bool" | "number";

export interface FlagSpec {
  type: FlagType;
  help: string;
  /** Environment variable consulted when the flag is absent. */
  env?: string;
  /** Placeholder shown in help, e.g. URL, N, FILE. */
  value?: string;
  /** Smallest accepted value for int/number flags. */
  min?: number;
}

export type FlagSpecs = Record<string, FlagSpec>;

export type FlagValues<S extends FlagSpecs> = {
  [K in keyof S]?: S[K]["type"] extends "bool" ? boolean : S[K]["type"] extends "string" ? string : number;
};

export interface Parsed<S extends FlagSpecs> {
  positionals: string[];
  flags: FlagValues<S>;
}

/** Parses `argv` (after the command name) against `specs`; `env` fills flags that were not given. */
export function parseArgs<S extends FlagSpecs>(argv: readonly string[], specs: S, env: Record<string, string | undefined>, command: string): Parsed<S> {
  const positionals: string[] = [];
  const flags: Record<string, unknown> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith("--") || arg === "-") {
      if (arg.startsWith("-") && arg !== "-") throw new UsageError(`unknown flag ${arg} for '${command}' (see 'dscraper ${command} --help')`);
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    const spec = specs[name];
    if (!spec) throw new UsageError(`unknown flag --${name} for '${command}' (see 'dscraper ${command} --help')`);
    if (spec.type === "bool") {
      if (eq !== -1) throw new UsageError(`--${name} takes no value`);
      flags[name] = true;
      continue;
    }
    let raw: string | undefined;
    if (eq !== -1) raw = arg.slice(eq + 1);
    else {
      raw = argv[i + 1];
      if (raw === undefined || (raw.startsWith("--") && raw.length > 2)) throw new UsageError(`--${name} needs a value (${spec.value ?? spec.type})`);
      i++;
    }
    flags[name] = convert(raw, spec, `--${name}`);
  }
  for (const [name, spec] of Object.entries(specs)) {
    if (flags[name] !== undefined || !spec.env) continue;
    const raw = env[spec.env];
    if (raw === undefined || raw === "") continue;
    flags[name] = spec.type === "bool" ? parseBoolEnv(raw, spec.env) : convert(raw, spec, spec.env);
  }
  return { positionals, flags: flags as FlagValues<S> };
}

function convert(raw: string, spec: FlagSpec, label: string): string | number {
  if (spec.type === "string") return raw;
  const n = spec.type === "int" ? (/^[+-]?\d+$/.test(raw.trim()) ? Number(raw) : Number.NaN) : Number(raw);
  if (!Number.isFinite(n) || raw.trim() === "") throw new UsageError(`${label} expects ${spec.type === "int" ? "an integer" : "a number"}, got '${raw}'`);
  if (spec.min !== undefined && n < spec.min) throw new UsageError(`${label} must be at least ${spec.min}, got ${raw}`);
  return n;
}

function parseBoolEnv(raw: string, name: string): boolean {
  const v = raw.trim().toLowerCase();
  if (["1", "true", "yes", "on"].includes(v)) return true;
  if (["0", "false", "no", "off"].includes(v)) return false;
  throw new UsageError(`${name} expects true or false, got '${raw}'`);
}

/** Help lines for a set of flags, aligned. */
export function flagHelp(specs: FlagSpecs): string[] {
  const rows = Object.entries(specs).map(([name, s]) => {
    const left = `--${name}${s.type === "bool" ? "" : ` ${s.value ?? s.type.toUpperCase()}`}`;
    return [left, s.help + (s.env ? ` [env ${s.env}]` : "")] as const;
  });
  const width = Math.max(0, ...rows.map(([l]) => l.length));
  return rows.map(([l, r]) => `  ${l.padEnd(width)}  ${r}`);
}
