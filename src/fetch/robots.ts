/**
 * @module
 * robots.txt (RFC 9309) as a pure function of its text and our user agent: which group applies to us, whether a
 * path is allowed, and the Crawl-delay. Fetching, caching and the status-code rules live in robots-cache.ts.
 */

export interface RobotsRules {
  /** Whether `pathAndQuery` (as in `url.pathname + url.search`) may be fetched. */
  isAllowed(pathAndQuery: string): boolean;
  /** The group's `Crawl-delay`, in milliseconds, when it has one. */
  crawlDelayMs?: number;
}

/** RFC 9309 asks parsers to read at least 500 KiB; what follows is ignored. */
export const ROBOTS_MAX_BYTES = 500 * 1024;

/** Everything allowed: no robots.txt (4xx), or `obeyRobots: false`. */
export const ALLOW_ALL: RobotsRules = { isAllowed: () => true };

/** Everything disallowed: robots.txt unreachable (5xx, network), which RFC 9309 §2.3.1.4 reads as "complete disallow". */
export const DISALLOW_ALL: RobotsRules = { isAllowed: (path) => path === "/robots.txt" };

/** `dscraper/0.1.0 (+https://…)` → `dscraper`: the part of a user agent that robots.txt groups name. */
export function productToken(userAgent: string): string {
  return /^[A-Za-z_-]*/.exec(userAgent.trim())?.[0] ?? "";
}

interface Rule {
  allow: boolean;
  /** Normalised pattern without a trailing `$`. */
  pattern: string;
  /** Octets of the pattern as written (UTF-8, with `*` and `$`): the longest match wins. */
  length: number;
  anchored: boolean;
  wildcard: boolean;
}

type Key = "agent" | "allow" | "disallow" | "delay";

// Google's parser accepts these misspellings, and sites rely on it.
const KEYS: Record<string, Key> = {
  "user-agent": "agent",
  useragent: "agent",
  "user agent": "agent",
  allow: "allow",
  disallow: "disallow",
  dissallow: "disallow",
  dissalow: "disallow",
  disalow: "disallow",
  diasllow: "disallow",
  disallaw: "disallow",
  "crawl-delay": "delay",
};

/**
 * The rules of robots.txt `text` for the product token of `userAgent`: the groups naming that token
 * (case-insensitively, all of them merged), else the `*` groups, else everything allowed.
 */
export function parseRobots(text: string, userAgent: string): RobotsRules {
  const token = productToken(userAgent).toLowerCase();
  const specific: Rule[] = [];
  const global: Rule[] = [];
  const specificDelays: number[] = [];
  const globalDelays: number[] = [];
  let specificSeen = false;
  // Consecutive user-agent lines open one group; the first rule line after them closes the list of agents.
  let collectingAgents = false;
  let forUs = false;
  let forAll = false;

  // A byte-order mark, or the replacement characters a decoder leaves of a broken one, is not part of line one.
  const body = text.replace(/^[\uFEFF\uFFFD]+/, "");
  for (const raw of body.split(/\r\n|\r|\n/)) {
    const hash = raw.indexOf("#");
    const line = (hash === -1 ? raw : raw.slice(0, hash)).trim();
    if (line === "") continue;
    const pair = keyAndValue(line);
    if (pair === undefined) continue;
    const key = KEYS[pair[0].toLowerCase()];
    const value = pair[1];
    if (key === undefined) continue; // sitemap and unknown records neither open nor close a group
    if (key === "agent") {
      if (!collectingAgents) {
        collectingAgents = true;
        forUs = false;
        forAll = false;
      }
      if (value.startsWith("*") && (value.length === 1 || /\s/.test(value[1] ?? ""))) forAll = true;
      else if (token !== "" && productToken(value).toLowerCase() === token) {
        forUs = true;
        specificSeen = true;
      }
      continue;
    }
    collectingAgents = false;
    if (!forUs && !forAll) continue; // also rules before any user-agent line
    if (key === "delay") {
      const seconds = /^(?:\d+(?:\.\d*)?|\.\d+)$/.test(value) ? Number(value) : Number.NaN;
      if (Number.isFinite(seconds)) (forUs ? specificDelays : globalDelays).push(seconds * 1000);
      continue;
    }
    // An empty Disallow allows everything, an empty Allow says nothing: neither is a rule.
    if (value === "") continue;
    const rule = compileRule(key === "allow", value);
    if (forUs) specific.push(rule);
    else global.push(rule);
  }

  const rules = specificSeen ? specific : global;
  const delays = specificSeen ? specificDelays : globalDelays;
  // Longest pattern first, Allow before Disallow at equal length: the first match then decides (RFC 9309 §2.2.2).
  rules.sort((a, b) => b.length - a.length || Number(b.allow) - Number(a.allow));
  const result: RobotsRules = {
    isAllowed(pathAndQuery: string): boolean {
      const path = normalizePath(pathAndQuery === "" ? "/" : pathAndQuery);
      if (path === "/robots.txt") return true;
      for (const rule of rules) if (matches(rule, path)) return rule.allow;
      return true;
    },
  };
  // Several delays in merged groups: the most polite one wins.
  if (delays.length > 0) result.crawlDelayMs = Math.max(...delays);
  return result;
}

/** `key: value`; Google also accepts `key value` when the line has exactly two words. */
function keyAndValue(line: string): [string, string] | undefined {
  const colon = line.indexOf(":");
  if (colon !== -1) return [line.slice(0, colon).trim(), line.slice(colon + 1).trim()];
  const words = line.split(/\s+/);
  return words.length === 2 ? [words[0] ?? "", words[1] ?? ""] : undefined;
}

const utf8 = new TextEncoder();

function compileRule(allow: boolean, value: string): Rule {
  const anchored = value.endsWith("$");
  const pattern = normalizePath(anchored ? value.slice(0, -1) : value);
  return { allow, pattern, length: utf8.encode(value).length, anchored, wildcard: pattern.includes("*") };
}

/** Whether `rule` matches `path` from its start; `*` matches any run of characters, a trailing `$` the end. */
function matches(rule: Rule, path: string): boolean {
  const { pattern } = rule;
  if (!rule.wildcard) return rule.anchored ? path === pattern : path.startsWith(pattern);
  // The set of path positions reachable after each pattern character: linear in path × pattern, so a hostile
  // pattern such as `/*a*a*a*a*b` cannot make matching explode the way a backtracking RegExp would.
  let positions = [0];
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === "*") {
      const from = positions[0] ?? 0;
      positions = [];
      for (let p = from; p <= path.length; p++) positions.push(p);
      continue;
    }
    const next: number[] = [];
    for (const p of positions) if (path[p] === c) next.push(p + 1);
    if (next.length === 0) return false;
    positions = next;
  }
  return rule.anchored ? positions[positions.length - 1] === path.length : true;
}

// RFC 3986 unreserved and reserved characters; anything else is compared in its percent-encoded form.
const PLAIN = /^[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=]*$/;
const UNRESERVED = /[A-Za-z0-9\-._~]/;

/**
 * One spelling for equal paths (RFC 9309 §2.2.2): `%XX` of an unreserved character is decoded (`%62%61%7A` is
 * `baz`), other escapes are upper-cased, and non-ASCII or unsafe characters are percent-encoded as UTF-8
 * (`ツ` is `%E3%83%84`). Reserved characters keep their meaning: `%2F` stays apart from `/`.
 */
export function normalizePath(path: string): string {
  if (PLAIN.test(path) && !path.includes("%")) return path;
  let out = "";
  for (let i = 0; i < path.length; i++) {
    const c = path[i] ?? "";
    if (c === "%" && /^[0-9A-Fa-f]{2}$/.test(path.slice(i + 1, i + 3))) {
      const decoded = String.fromCharCode(Number.parseInt(path.slice(i + 1, i + 3), 16));
      out += UNRESERVED.test(decoded) ? decoded : `%${path.slice(i + 1, i + 3).toUpperCase()}`;
      i += 2;
    } else if (c !== "%" && PLAIN.test(c)) {
      out += c;
    } else {
      const code = path.codePointAt(i) ?? 0;
      const char = String.fromCodePoint(code);
      if (char.length === 2) i++;
      out += encodeChar(char);
    }
  }
  return out;
}

function encodeChar(char: string): string {
  try {
    return encodeURIComponent(char).replace(/%[0-9a-f]{2}/g, (e) => e.toUpperCase());
  } catch {
    return "%EF%BF%BD"; // a lone surrogate: the replacement character, as a URL parser would
  }
}
