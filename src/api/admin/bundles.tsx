/** @jsxImportSource hono/jsx */
/**
 * @module
 * Definitions bundles: download the stored definitions (`GET /api/export`'s function) and upload a bundle to
 * import, all or nothing (`POST /api/import`'s): the counts, or every problem with its path.
 */
import { Hono } from "hono";
import { bundleJson, exportBundle } from "../../bundle/export.ts";
import { importBundle, type ImportReport } from "../../bundle/import.ts";
import { ValidationError, type Issue } from "../../errors.ts";
import type { AdminEnv } from "./env.ts";
import { Csrf, Problems, render, Table } from "./layout.tsx";

function BundlePage({ csrf, report, issues }: { csrf: Parameters<typeof Csrf>[0]["session"]; report?: ImportReport; issues?: Issue[] }) {
  return (
    <>
      <section class="card">
        <h2>Export</h2>
        <p>Every class, scraper and source as one JSON bundle (import it elsewhere, or keep it in version control).</p>
        <a class="button" href="/admin/bundles/export.json" download="dscraper-bundle.json">
          Download bundle
        </a>
      </section>
      <section class="card">
        <h2>Import</h2>
        <p>Definitions are created or updated by name, all or nothing; items and runtimes are never touched.</p>
        {issues ? <Problems issues={issues} /> : null}
        {report ? (
          <Table head={["", "Created", "Updated", "Unchanged"]}>
            {(["classes", "scrapers", "sources"] as const).map((k) => (
              <tr>
                <td>{k}</td>
                <td class="num">{report[k].created}</td>
                <td class="num">{report[k].updated}</td>
                <td class="num">{report[k].unchanged}</td>
              </tr>
            ))}
          </Table>
        ) : null}
        <form method="post" action="/admin/bundles/import" enctype="multipart/form-data">
          <Csrf session={csrf} />
          <div class="field">
            <label for="f-bundle">Bundle (JSON)</label>
            <input id="f-bundle" type="file" name="bundle" accept="application/json,.json" required />
          </div>
          <button>Import</button>
        </form>
      </section>
    </>
  );
}

export const bundleScreens = new Hono<AdminEnv>()
  .get("/", (c) => render(c, "Import / export", <BundlePage csrf={c.var.session} />))
  .get("/export.json", async (c) =>
    c.body(bundleJson(await exportBundle(c.var.deps.database)), 200, {
      "content-type": "application/json; charset=utf-8",
      "content-disposition": 'attachment; filename="dscraper-bundle.json"',
    }),
  )
  .post("/import", async (c) => {
    const file = (await c.req.parseBody()).bundle;
    const text = typeof file === "string" ? file : file ? await file.text() : "";
    let input: unknown;
    try {
      input = JSON.parse(text);
    } catch (e) {
      return render(c, "Import / export", <BundlePage csrf={c.var.session} issues={[{ path: "", message: `the file is not JSON: ${e instanceof Error ? e.message : String(e)}` }]} />, 400);
    }
    try {
      const report = await importBundle(c.var.deps.database, input, c.var.deps.clock);
      return render(c, "Import / export", <BundlePage csrf={c.var.session} report={report} />);
    } catch (e) {
      if (!(e instanceof ValidationError)) throw e;
      return render(c, "Import / export", <BundlePage csrf={c.var.session} issues={e.issues} />, 400);
    }
  });
