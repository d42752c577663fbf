/** @jsxImportSource hono/jsx */
/**
 * @module
 * What "try it" found, and what a checker test said. Everything here was scraped: it is shown as text (hono/jsx
 * escapes it), and URLs become links only when they are http(s).
 */
import type { CheckerTestReport } from "../../check/checker-test.ts";
import type { TryResult } from "../../crawl/try-scraper.ts";
import type { ElemMatch } from "../../extract/elem-matches.ts";
import { Empty, Link, Table } from "./layout.tsx";

export function ElemMatchView({ match }: { match: ElemMatch }) {
  return (
    <div class={`matches${match.problem ? " bad" : " good"}`} data-elem={match.elem}>
      <strong>
        {match.pageType} · {match.base ? `selects ${match.matched} node${match.matched === 1 ? "" : "s"}` : `matched in ${match.matched} of ${match.of}`}
      </strong>
      {match.problem ? <span class="problem"> — {match.problem}</span> : null}
      {match.samples.length ? (
        <ol class="samples">
          {match.samples.map((s) => (
            <li>
              <code>{s}</code>
            </li>
          ))}
          {match.total > match.samples.length ? <li class="muted">… {match.total - match.samples.length} more</li> : null}
        </ol>
      ) : null}
      {match.value !== undefined ? (
        <p class="value">
          → <Value value={match.value} />
        </p>
      ) : null}
    </div>
  );
}

function Value({ value }: { value: unknown }) {
  if (Array.isArray(value)) {
    return (
      <ul class="many">
        {value.map((v) => (
          <li>
            <Value value={v} />
          </li>
        ))}
      </ul>
    );
  }
  if (typeof value === "string" && /^[a-z][a-z0-9+.-]*:/i.test(value)) return <Link url={value} />;
  return <span>{value === undefined || value === null ? "" : String(value)}</span>;
}

export function TryView({ result, attrs }: { result: TryResult; attrs: string[] }) {
  const columns = attrs.filter((a) => result.items.some((i) => i.values[a] !== undefined));
  return (
    <section class="card" id="try-result">
      <h2>Try it: {result.url}</h2>
      <p class="muted">
        A dry run of the first main page{result.status !== undefined ? ` (HTTP ${result.status})` : ""}: nothing was stored.
        {result.itemCount > result.items.length ? ` The page gave ${result.itemCount} items; the first ${result.items.length} are shown.` : ""}
      </p>
      {result.problem ? (
        <p class="banner error" id="try-problem">
          {result.problem}
        </p>
      ) : null}
      {result.items.length ? (
        <Table head={["#", ...columns, "Stored?"]} class="try-items">
          {result.items.map((item, i) => (
            <tr class={item.dropped ? "dropped" : undefined}>
              <td class="num">{i + 1}</td>
              {columns.map((a) => (
                <td>
                  <Value value={item.values[a]} />
                </td>
              ))}
              <td>
                {item.dropped ? `no: ${item.dropped}` : item.detailsRead ? "yes" : "yes (detail pages not read here)"}
                {item.detailErrors.map((e) => (
                  <div class="problem">{e}</div>
                ))}
              </td>
            </tr>
          ))}
        </Table>
      ) : (
        <Empty>No items.</Empty>
      )}
      {result.followLinks.length ? (
        <p>
          Next page: {result.followLinks.map((u) => <Link url={u} />)}
        </p>
      ) : null}
      {result.logs.length ? (
        <details>
          <summary>Log ({result.logs.length})</summary>
          <ul class="log">
            {result.logs.map((l) => (
              <li class={`level-${l.level}`}>
                {l.level} {l.message}
              </li>
            ))}
          </ul>
        </details>
      ) : null}
    </section>
  );
}

export function CheckerTestView({ results }: { results: CheckerTestReport[] }) {
  return (
    <section class="card" id="checker-test">
      <h2>Checker test</h2>
      <Table head={["Attr", "Type", "Reference URL", "Result", "Detail"]}>
        {results.map((r) => (
          <tr class={`result-${r.result}`}>
            <td>{r.attr}</td>
            <td>{r.checker_type}</td>
            <td>
              <Link url={r.ref_url} />
            </td>
            <td>
              <span class={`pill ${r.result}`}>{r.result}</span>
            </td>
            <td>{r.detail}</td>
          </tr>
        ))}
      </Table>
    </section>
  );
}
