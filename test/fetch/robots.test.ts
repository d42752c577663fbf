/**
 * The robots.txt parser, by tables: the examples of RFC 9309, Google's robots.txt documentation and the test
 * suite of Google's open-source parser (github.com/google/robotstxt), as far as they are RFC behaviour.
 */
import { describe, expect, test } from "bun:test";
import { normalizePath, parseRobots, productToken } from "../../src/fetch/robots.ts";

type Case = [path: string, allowed: boolean];

/** Each row: what it shows, the robots.txt, the user agent, and paths with the expected verdict. */
const TABLE: [string, string, string, Case[]][] = [
  ["an empty robots.txt allows everything", "", "FooBot", [["/", true], ["/x/y", true]]],
  ["a disallowed root", "user-agent: FooBot\ndisallow: /\n", "FooBot", [["/x/y", false], ["/", false]]],
  ["/robots.txt itself is always allowed", "user-agent: *\ndisallow: /\n", "FooBot", [["/robots.txt", true], ["/robots.txt?x", false]]],
  ["unknown keys are ignored", "foo: FooBot\nbar: /\n", "FooBot", [["/x/y", true]]],
  ["a missing colon is accepted for two-word lines (Google)", "user-agent FooBot\ndisallow /\n", "FooBot", [["/x/y", false]]],
  [
    "line names are case-insensitive",
    "uSeR-aGeNt: FooBot\nAlLoW: /x/\ndIsAlLoW: /\n",
    "FooBot",
    [["/x/y", true], ["/a/b", false]],
  ],
  [
    "user-agent values are matched case-insensitively, by product token",
    "User-Agent: FOO BAR\nAllow: /x/\nDisallow: /\n",
    "foo/2.1 (+https://example.com)",
    [["/x/y", true], ["/a/b", false]],
  ],
  ["paths are case-sensitive", "user-agent: FooBot\ndisallow: /X/\n", "FooBot", [["/x/y", true], ["/X/y", false]]],
  [
    "a specific group replaces the * group",
    "User-agent: *\nDisallow: /x/\nUser-agent: FooBot\nDisallow: /y/\n",
    "FooBot",
    [["/x/page", true], ["/y/page", false]],
  ],
  ["the * group when no group names us", "user-agent: *\nallow: /\nuser-agent: FooBot\ndisallow: /\n", "BarBot", [["/x/y", true]]],
  ["no * group and no group for us: all allowed", "user-agent: FooBot\nallow: /\nuser-agent: BarBot\ndisallow: /\n", "QuxBot", [["/x/y", true]]],
  ["a group for us without rules allows everything", "User-agent: *\nDisallow: /\n\nUser-agent: FooBot\n", "FooBot", [["/x", true]]],
  ["rules before any user-agent line are ignored", "disallow: /\nuser-agent: BarBot\ndisallow: /x\n", "FooBot", [["/a", true]]],
  [
    "comments and trailing comments",
    "User-agent: FooBot\n# Disallow: /\nDisallow: /foo/quz#qux\nAllow: / # everything else\n",
    "FooBot",
    [["/foo/bar", true], ["/foo/quz", false]],
  ],
  ["a byte-order mark", "\uFEFFuser-agent: FooBot\ndisallow: /\n", "FooBot", [["/x", false]]],
  ["what a decoder leaves of a partial byte-order mark", "\uFFFD\uFFFDuser-agent: FooBot\ndisallow: /\n", "FooBot", [["/x", false]]],
  ["CRLF line ends", "User-Agent: foo\r\nAllow: /some/path\r\nUser-Agent: FooBot\r\n\r\n\r\nDisallow: /\r\n", "FooBot", [["/x", false]]],
  ["CR line ends", "User-Agent: foo\rAllow: /some/path\rUser-Agent: FooBot\r\r\rDisallow: /\r", "FooBot", [["/x", false], ["/some/path", false]]],
  ["mixed line ends, no final newline", "User-Agent: foo\nAllow: /some/path\r\nUser-Agent: FooBot\n\r\n\nDisallow: /", "FooBot", [["/x", false]]],
  [
    "sitemap and unknown lines neither open nor close a group",
    "user-agent: FooBot\nsitemap: https://example.com/sitemap.xml\nuser-agent: BarBot\nnoindex: /x\ndisallow: /private\nhost: example.com\ndisallow: /secret\n",
    "FooBot",
    [["/private", false], ["/secret", false], ["/public", true]],
  ],
  ["an empty Disallow allows everything", "user-agent: *\ndisallow:\n", "FooBot", [["/anything", true]]],
  ["an empty Allow and empty Disallow", "user-agent: FooBot\ndisallow: \nallow: \n", "FooBot", [["/x/page.html", true]]],
  ["common misspellings (Google)", "useragent: FooBot\ndisalow: /a\ndissallow: /b\n", "FooBot", [["/a", false], ["/b", false], ["/c", true]]],
];

// Groups merged for the same agent, with blank lines that do not end a group (Google's ID_LineSyntax_Groups).
const GROUPS =
  "allow: /foo/bar/\n\nuser-agent: FooBot\ndisallow: /\nallow: /x/\nuser-agent: BarBot\ndisallow: /\nallow: /y/\n\n\nallow: /w/\nuser-agent: BazBot\n\nuser-agent: FooBot\nallow: /z/\ndisallow: /\n";
TABLE.push(
  ["groups for one agent are merged", GROUPS, "FooBot", [["/x/b", true], ["/z/d", true], ["/y/c", false], ["/foo/bar/", false]]],
  ["a blank line does not end a group", GROUPS, "BarBot", [["/y/c", true], ["/w/a", true], ["/z/d", false], ["/foo/bar/", false]]],
  ["consecutive user-agent lines share a group", GROUPS, "BazBot", [["/z/d", true], ["/foo/bar/", false]]],
  [
    "Google docs: googlebot-news gets both of its groups, not *",
    "user-agent: googlebot-news\ndisallow: /fish\n\nuser-agent: *\ndisallow: /carrots\n\nuser-agent: googlebot-news\ndisallow: /shrimp\n",
    "googlebot-news/1.0",
    [["/fish", false], ["/shrimp", false], ["/carrots", true]],
  ],
);

// Precedence: the longest pattern (in octets, as written) wins; Allow wins a tie.
const PRECEDENCE: [string, string, Case[]][] = [
  ["disallow: /x/page.html\nallow: /x/", "a longer Disallow", [["/x/page.html", false]]],
  ["allow: /x/page.html\ndisallow: /x/", "a longer Allow", [["/x/page.html", true], ["/x/", false]]],
  ["disallow: /\nallow: /", "equal rules: Allow", [["/x/page.html", true]]],
  ["disallow: /x/page.html\nallow: /x/page.html", "equal rules: Allow", [["/x/page.html", true]]],
  ["disallow: /x\nallow: /x/", "/x versus /x/", [["/x", false], ["/x/", true]]],
  ["allow: /page\ndisallow: /*.html", "a wildcard counts its characters", [["/page.html", false], ["/page", true]]],
  ["allow: /x/page.\ndisallow: /*.html", "longer Allow over a wildcard", [["/x/page.html", true], ["/x/y.html", false]]],
  ["allow: /p\ndisallow: /", "Google docs", [["/page", true]]],
  ["allow: /folder\ndisallow: /folder", "Google docs: tie", [["/folder/page", true]]],
  ["allow: /page\ndisallow: /*.htm", "Google docs", [["/page.htm", false]]],
  ["allow: /page\ndisallow: /*.ph", "Google docs: equal length, Allow", [["/page.php", true]]],
  ["allow: /$\ndisallow: /", "Google docs: $ counts", [["/", true], ["/page.html", false]]],
  ["allow: /example/page/\ndisallow: /example/page/disallowed.gif", "RFC 9309 §5.2", [["/example/page/", true], ["/example/page/disallowed.gif", false]]],
];

// Wildcards and `$` (Google's documentation, "URL matching based on path values"), each as the only Allow under
// `disallow: /`.
const WILDCARDS: [string, Case[]][] = [
  [
    "/fish",
    [["/fish", true], ["/fish.html", true], ["/fish/salmon.html", true], ["/fishheads", true], ["/fishheads/yummy.html", true], ["/fish.html?id=anything", true], ["/Fish.asp", false], ["/catfish", false], ["/?id=fish", false], ["/desert/fish", false]],
  ],
  ["/fish*", [["/fish", true], ["/fish.html", true], ["/fishheads/yummy.html", true], ["/Fish.bar", false], ["/catfish", false]]],
  ["/fish/", [["/fish/", true], ["/fish/salmon", true], ["/fish/?salmon", true], ["/fish/?id=anything", true], ["/fish", false], ["/fish.html", false], ["/Fish/Salmon.html", false]]],
  [
    "/*.php",
    [["/filename.php", true], ["/folder/filename.php", true], ["/folder/filename.php?parameters", true], ["//folder/any.php.file.html", true], ["/filename.php/", true], ["/index?f=filename.php/", true], ["/php/", false], ["/index?php", false], ["/windows.PHP", false], ["/", false]],
  ],
  [
    "/*.php$",
    [["/filename.php", true], ["/folder/filename.php", true], ["/filename.php?parameters", false], ["/filename.php/", false], ["/filename.php5", false], ["/php/", false], ["/filename?php", false], ["/aaaphpaaa", false], ["//windows.PHP", false]],
  ],
  ["/fish*.php", [["/fish.php", true], ["/fishheads/catfish.php?parameters", true], ["/Fish.PHP", false]]],
  ["/", [["/", true], ["/anything/below", true]]],
  ["/*", [["/", true], ["/anything/below", true]]],
  ["/$", [["/", true], ["/page", false]]],
  ["/foo/*/qux", [["/foo/bar/qux", true], ["/foo//qux", true], ["/foo/qux", false], ["/foo/bar/quz", false]]],
  ["*.gif$", [["/a/b.gif", true], ["/a/b.gif?x", false]]],
];

// Percent-encoding: both sides are compared in one spelling (RFC 9309 §2.2.2).
const ENCODING: [string, Case[]][] = [
  ["/foo/bar?qux=taz&baz=http://foo.bar?tar&par", [["/foo/bar?qux=taz&baz=http://foo.bar?tar&par", true]]],
  ["/foo/bar/ツ", [["/foo/bar/%E3%83%84", true], ["/foo/bar/%e3%83%84", true]]],
  ["/foo/bar/%E3%83%84", [["/foo/bar/%E3%83%84", true], ["/foo/bar/%e3%83%84", true]]],
  // Unlike Google's parser, and as RFC 9309's table says: an encoded unreserved character is that character.
  ["/foo/bar/%62%61%7A", [["/foo/bar/baz", true], ["/foo/bar/%62%61%7A", true]]],
  ["/a%2Fb", [["/a%2fb", true], ["/a/b", false]]],
  ["/with space", [["/with%20space", true]]],
];

describe("parseRobots", () => {
  for (const [what, robots, agent, cases] of TABLE) {
    test(what, () => {
      const rules = parseRobots(robots, agent);
      expect(cases.map(([path]) => [path, rules.isAllowed(path)])).toEqual(cases);
    });
  }

  test.each(PRECEDENCE)("precedence: %j (%s)", (rules, _what, cases) => {
    const parsed = parseRobots(`user-agent: FooBot\n${rules}\n`, "FooBot");
    expect(cases.map(([path]) => [path, parsed.isAllowed(path)])).toEqual(cases);
  });

  test.each(WILDCARDS)("wildcards: allow %s", (pattern, cases) => {
    const parsed = parseRobots(`user-agent: FooBot\ndisallow: /\nallow: ${pattern}\n`, "FooBot");
    // `disallow: /` is as long as `allow: /` and loses the tie, so "/" itself follows the Allow where it matches.
    expect(cases.map(([path]) => [path, parsed.isAllowed(path)])).toEqual(cases);
  });

  test.each(ENCODING)("encoding: allow %s", (pattern, cases) => {
    const parsed = parseRobots(`User-agent: FooBot\nDisallow: /\nAllow: ${pattern}\n`, "FooBot");
    expect(cases.map(([path]) => [path, parsed.isAllowed(path)])).toEqual(cases);
  });

  test("RFC 9309 §5.1: the example file, agent by agent", () => {
    const robots = [
      "User-Agent: *",
      "Disallow: *.gif$",
      "Disallow: /example/",
      "Allow: /publications/",
      "",
      "User-Agent: foobot",
      "Disallow:/",
      "Allow:/example/page.html",
      "Allow:/example/allowed.gif",
      "",
      "User-Agent: barbot",
      "User-Agent: bazbot",
      "Disallow: /example/page.html",
      "",
      "User-Agent: quxbot",
      "",
      "EOF",
    ].join("\n");
    const verdicts = (agent: string, paths: string[]) => {
      const rules = parseRobots(robots, agent);
      return paths.map((p) => rules.isAllowed(p));
    };
    expect(verdicts("foobot", ["/example/page.html", "/example/allowed.gif", "/other", "/example/x"])).toEqual([true, true, false, false]);
    expect(verdicts("barbot", ["/example/page.html", "/other"])).toEqual([false, true]);
    expect(verdicts("BazBot/3", ["/example/page.html", "/example/other"])).toEqual([false, true]);
    expect(verdicts("quxbot", ["/example/page.html", "/a.gif"])).toEqual([true, true]);
    expect(verdicts("dscraper/0.1.0", ["/a.gif", "/example/x", "/publications/y", "/other"])).toEqual([false, false, true, true]);
  });

  test("Crawl-delay: seconds, fractions allowed, the most polite of the merged groups, junk ignored", () => {
    expect(parseRobots("User-agent: *\nCrawl-delay: 0.5\n", "dscraper").crawlDelayMs).toBe(500);
    expect(parseRobots("User-agent: *\nCrawl-delay: 2\n", "dscraper").crawlDelayMs).toBe(2000);
    expect(parseRobots("User-agent: dscraper\nCrawl-delay: 1\nUser-agent: *\nCrawl-delay: 9\nUser-agent: dscraper\nCrawl-delay: 3\n", "dscraper").crawlDelayMs).toBe(3000);
    expect(parseRobots("User-agent: other\nCrawl-delay: 5\n", "dscraper").crawlDelayMs).toBeUndefined();
    expect(parseRobots("User-agent: *\nCrawl-delay: soon\nCrawl-delay: -1\n", "dscraper").crawlDelayMs).toBeUndefined();
    expect(parseRobots("User-agent: *\nDisallow: /x\n", "dscraper").crawlDelayMs).toBeUndefined();
  });

  test("a hostile pattern does not make matching explode", () => {
    // 200 stars against 2000 characters: a backtracking matcher (or RegExp) would try more ways to split the path
    // than it could in years, so this test ends at all only because matching is linear in path × pattern. How
    // fast it is belongs to no test: the runner's timeout is the only clock here.
    const rules = parseRobots(`User-agent: *\nDisallow: /${"*a".repeat(200)}b\n`, "dscraper");
    expect(rules.isAllowed(`/${"a".repeat(2000)}`)).toBe(true);
    expect(rules.isAllowed(`/${"a".repeat(2000)}b`)).toBe(false);
    expect(rules.isAllowed(`/${"a".repeat(199)}b`)).toBe(true);
  });

  test("an empty path is the root", () => {
    expect(parseRobots("User-agent: *\nDisallow: /$\n", "dscraper").isAllowed("")).toBe(false);
  });
});

describe("productToken", () => {
  test.each([
    ["dscraper/0.1.0 (+https://example.com)", "dscraper"],
    ["Foo_Bar-baz/1", "Foo_Bar-baz"],
    ["  FooBot", "FooBot"],
    ["Foo Bar", "Foo"],
    ["ツbot", ""],
  ])("%j → %j", (agent, token) => expect(productToken(agent)).toBe(token));
});

describe("normalizePath", () => {
  test.each([
    ["/plain/path?q=1&r=2", "/plain/path?q=1&r=2"],
    ["/%7euser/%41", "/~user/A"],
    ["/a%2fb", "/a%2Fb"],
    ["/ツ", "/%E3%83%84"],
    ["/a b", "/a%20b"],
    ["/100%", "/100%25"],
    ["/%zz", "/%25zz"],
  ])("%j → %j", (path, normal) => expect(normalizePath(path)).toBe(normal));
});
