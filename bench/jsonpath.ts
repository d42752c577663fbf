/**
 * JSONPath on a JSON page, the way a crawl uses it: `bun bench/jsonpath.ts [--items=100] [--rounds=20] [--ms=100]`.
 *
 * One page of `items` objects; a base path (`$.items`) selects them, then ten elem paths (bare DDS-style, `$`,
 * wildcards, an index, a filter) run on each object. Paths are compiled once, as a run does. Measures dscraper's
 * own JSONPath (src/expressions/jsonpath.ts) and, when they are installed (`npm i --no-save json-p3
 * jsonpath-rfc9535`), RFC 9535 libraries behind the same bare-path adapter: same process, same data, each
 * implementation in turn for `--ms` per round, `--rounds` rounds alternating, results checked equal first.
 * Prints pages per second and the ratio to dscraper's.
 */
import { parseArgs } from "node:util";
import { compileJsonPath } from "../src/expressions/jsonpath.ts";

const { values: args } = parseArgs({
  options: {
    items: { type: "string", default: "100" },
    rounds: { type: "string", default: "20" },
    ms: { type: "string", default: "100" },
  },
});
const ITEMS = Number(args.items);
const ROUNDS = Number(args.rounds);
const SLICE_MS = Number(args.ms);

const page = {
  total: ITEMS,
  items: Array.from({ length: ITEMS }, (_, i) => ({
    id: i,
    title: `Title ${i}`,
    price: i * 1.5,
    author: { name: `Author ${i}`, url: `/authors/${i}` },
    tags: ["x", "y", String(i)],
    links: { self: `/items/${i}` },
    stock: i % 3 === 0,
    description: "lorem ipsum ".repeat(5),
    images: [{ src: `/img/${i}.png` }, { src: `/img/${i}-2.png` }],
    rating: { value: i % 5 },
  })),
};
const BASE = "$.items";
const ELEMS = ["title", "price", "author.name", "author.url", "tags[*]", "links.self", "$.stock", "description", "images[0].src", "images[?@.src].src"];

type Compile = (expr: string) => (value: unknown) => unknown[];

/** An RFC 9535 library knows only `$`-rooted queries: a bare elem path runs as `$.path` on the base object. */
const rooted = (expr: string) => (expr.startsWith("$") ? expr : expr.startsWith("[") ? `$${expr}` : `$.${expr}`);

const implementations: Record<string, Compile> = {
  dscraper: (expr) => {
    const path = compileJsonPath(expr);
    return (value) => path.evaluate(value, value);
  },
};

try {
  const { jsonpath } = await import(String("json-p3"));
  implementations["json-p3"] = (expr) => {
    const query = jsonpath.compile(rooted(expr));
    return (value) => query.query(value).values();
  };
} catch {
  console.log("json-p3 not installed: skipped");
}
try {
  const { query } = await import(String("jsonpath-rfc9535"));
  // No compiled form: it parses the expression on every call.
  implementations["jsonpath-rfc9535"] = (expr) => (value) => query(value, rooted(expr));
} catch {
  console.log("jsonpath-rfc9535 not installed: skipped");
}

function extractor(compile: Compile): () => unknown[][] {
  const base = compile(BASE);
  const elems = ELEMS.map(compile);
  return () => {
    const rows: unknown[][] = [];
    const [objects] = base(page);
    for (const object of objects as unknown[]) rows.push(elems.map((elem) => elem(object)));
    return rows;
  };
}

const runs = Object.entries(implementations).map(([name, compile]) => ({ name, run: extractor(compile), pages: 0, ms: 0 }));
const expected = JSON.stringify(runs[0]?.run());
for (const r of runs) {
  const got = JSON.stringify(r.run());
  if (got !== expected) console.log(`${r.name}: DIFFERENT RESULTS on the bench page`);
}

for (let round = 0; round < ROUNDS; round++) {
  for (const r of runs) {
    const start = performance.now();
    let n = 0;
    while (performance.now() - start < SLICE_MS) {
      r.run();
      n++;
    }
    r.ms += performance.now() - start;
    r.pages += n;
  }
}

const rate = (r: { pages: number; ms: number }) => r.pages / (r.ms / 1000);
const own = rate(runs[0] ?? { pages: 0, ms: 1 });
console.log(`${ITEMS} objects × ${ELEMS.length} paths per page, ${ROUNDS} rounds of ${SLICE_MS} ms each`);
console.log("implementation        pages/s   paths/s      vs dscraper");
for (const r of runs) {
  const pps = rate(r);
  console.log(
    `${r.name.padEnd(20)} ${pps.toFixed(0).padStart(8)} ${(pps * ITEMS * ELEMS.length).toExponential(2).padStart(10)}   ${(pps / own).toFixed(2)}×`,
  );
}
