/** @jsxImportSource hono/jsx */
/**
 * @module
 * The dashboard: the figures of `GET /api/stats` (the same query), each source's items, last successful crawl
 * and next run.
 */
import { Hono } from "hono";
import { stats } from "../../db/stats.ts";
import { JOB_STATUSES } from "../../model/enums.ts";
import type { AdminEnv } from "./env.ts";
import { Empty, ListTable, render, Table, TimeCell } from "./layout.tsx";

const DAY_MS = 24 * 60 * 60 * 1000;

export const dashboard = new Hono<AdminEnv>().get("/", async (c) => {
  const { database, clock } = c.var.deps;
  const now = clock.now().getTime();
  const s = await stats(database, [new Date(now - 7 * DAY_MS), new Date(now - DAY_MS)]);
  const jobs = new Map(s.jobsByStatus.map((j) => [j.status, j.n]));
  return render(
    c,
    "Dashboard",
    <>
      <section class="tiles">
        <Tile label="Items" value={s.items.total} href="/admin/items" />
        <Tile label="Added in the last 24 h" value={s.items.since[1] ?? 0} />
        <Tile label="Added in the last 7 days" value={s.items.since[0] ?? 0} />
        {JOB_STATUSES.map((status) => (
          <Tile label={`Jobs ${status}`} value={jobs.get(status) ?? 0} href={`/admin/jobs?status=${status}`} />
        ))}
      </section>
      <h2>Items by class</h2>
      {s.items.byClass.length ? (
        <Table head={["Class", "Items"]}>
          {s.items.byClass.map((x) => (
            <tr>
              <td>{x.name}</td>
              <td class="num">{x.n}</td>
            </tr>
          ))}
        </Table>
      ) : (
        <Empty>
          No classes yet. <a href="/admin/classes/new">Create a class</a> or <a href="/admin/bundles">import a bundle</a> to start.
        </Empty>
      )}
      <h2>Sources</h2>
      <ListTable
        head={["Source", "Scraper", "Items", "Last successful crawl", "Next run"]}
        rows={s.sources}
        row={(x) => (
          <tr>
            <td>
              <a href={`/admin/sources/${x.id}`}>{x.name}</a>
            </td>
            <td>{x.scraper}</td>
            <td class="num">{x.items}</td>
            <TimeCell at={x.last_success_at} />
            <TimeCell at={x.next_action_time} />
          </tr>
        )}
        empty="No sources yet."
      />
    </>,
  );
});

function Tile({ label, value, href }: { label: string; value: number; href?: string }) {
  const body = (
    <>
      <strong>{value}</strong>
      <span>{label}</span>
    </>
  );
  return href ? (
    <a class="tile" href={href}>
      {body}
    </a>
  ) : (
    <div class="tile">{body}</div>
  );
}
