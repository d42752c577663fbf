/**
 * The sample site `dscraper demo` serves on 127.0.0.1: a few pages of quotes with next links and an author page
 * per author, the shape of quotes.toscrape.com (and of the benchmark site), small enough to crawl in a blink.
 */
const AUTHORS = [
  { slug: "ada-lovelace", name: "Ada Lovelace", born: "December 10, 1815", place: "London, England" },
  { slug: "grace-hopper", name: "Grace Hopper", born: "December 9, 1906", place: "New York City, USA" },
  { slug: "alan-turing", name: "Alan Turing", born: "June 23, 1912", place: "Maida Vale, London" },
  { slug: "edsger-dijkstra", name: "Edsger W. Dijkstra", born: "May 11, 1930", place: "Rotterdam, Netherlands" },
];

const QUOTES = [
  ["The Analytical Engine weaves algebraic patterns just as the Jacquard loom weaves flowers and leaves.", 0, ["machines", "poetry"]],
  ["That brain of mine is something more than merely mortal; as time will show.", 0, ["ambition"]],
  ["It’s easier to ask forgiveness than it is to get permission.", 1, ["leadership"]],
  ["The most dangerous phrase in the language is “we’ve always done it this way.”", 1, ["change", "habits"]],
  ["A ship in port is safe, but that’s not what ships are built for.", 1, ["courage"]],
  ["We can only see a short distance ahead, but we can see plenty there that needs to be done.", 2, ["work"]],
  ["Those who can imagine anything, can create the impossible.", 2, ["imagination"]],
  ["Simplicity is prerequisite for reliability.", 3, ["simplicity", "software"]],
  ["Program testing can be used to show the presence of bugs, but never to show their absence!", 3, ["testing", "software"]],
  ["The question of whether machines can think is about as relevant as whether submarines can swim.", 3, ["machines"]],
] as const;

const PER_PAGE = 4;

function layout(title: string, body: string): string {
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${title}</title></head><body><h1>${title}</h1>${body}</body></html>`;
}

function listPage(n: number): string | undefined {
  const quotes = QUOTES.slice((n - 1) * PER_PAGE, n * PER_PAGE);
  if (quotes.length === 0) return undefined;
  const items = quotes
    .map(([text, a, tags]) => {
      const author = AUTHORS[a]!;
      return `<div class="quote"><span class="text">“${text}”</span><span>by <small class="author">${author.name}</small> <a href="/author/${author.slug}/">(about)</a></span><div class="tags">${tags.map((t) => `<a class="tag" href="/tag/${t}/">${t}</a>`).join(" ")}</div></div>`;
    })
    .join("");
  const next = n * PER_PAGE < QUOTES.length ? `<ul class="pager"><li class="next"><a href="/quotes/page/${n + 1}/">Next</a></li></ul>` : "";
  return layout(`Quotes, page ${n}`, items + next);
}

function authorPage(slug: string): string | undefined {
  const author = AUTHORS.find((a) => a.slug === slug);
  if (!author) return undefined;
  return layout(author.name, `<p>Born <span class="author-born-date">${author.born}</span> <span class="author-born-location">in ${author.place}</span></p>`);
}

export function sampleSite(path: string): Response {
  const html = (body: string | undefined) =>
    body === undefined ? new Response("not found", { status: 404 }) : new Response(body, { headers: { "content-type": "text/html; charset=utf-8" } });
  if (path === "/robots.txt") return new Response("User-agent: *\nAllow: /\n", { headers: { "content-type": "text/plain" } });
  const list = /^\/quotes\/page\/(\d+)\/$/.exec(path);
  if (list) return html(listPage(Number(list[1])));
  const author = /^\/author\/([a-z-]+)\/$/.exec(path);
  if (author) return html(authorPage(author[1]!));
  return html(path === "/" ? layout("Quotes", `<a href="/quotes/page/1/">Quotes</a>`) : undefined);
}

export const SAMPLE_QUOTES = QUOTES.length;
