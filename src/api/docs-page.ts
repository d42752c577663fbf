/**
 * @module
 * `GET /api/docs`: the API reference as one server-rendered page, built from the OpenAPI document — operations,
 * parameters, body fields (nested ones folded in `<details>`), responses. No script at all and no outside
 * request: it works offline and under a CSP that allows only our own stylesheet. hono's `html` escapes every
 * interpolated value.
 */
import { html, raw } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";

interface Schema {
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  description?: string;
  pattern?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  additionalProperties?: Schema | boolean;
  $ref?: string;
}

interface Operation {
  summary?: string;
  description?: string;
  tags?: string[];
  parameters?: { name: string; in: string; required?: boolean; description?: string; schema?: Schema }[];
  requestBody?: { content?: Record<string, { schema?: Schema }> };
  responses?: Record<string, { description?: string; content?: Record<string, { schema?: Schema }> }>;
}

export interface OpenApiDocument {
  info: { title: string; version: string; description?: string };
  paths: Record<string, Record<string, Operation> | undefined>;
  components?: { schemas?: Record<string, Schema> };
}

/** The generated document has this shape; its own types (openapi-types) spell every field as "or a $ref". */
export function isOpenApiDocument(doc: unknown): doc is OpenApiDocument {
  if (typeof doc !== "object" || doc === null || !("info" in doc) || !("paths" in doc)) return false;
  return typeof doc.info === "object" && doc.info !== null && typeof doc.paths === "object" && doc.paths !== null;
}

type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

const METHODS = ["get", "post", "put", "delete", "patch"];

export function docsPage(doc: OpenApiDocument, cssHref: string): Html {
  const refs = doc.components?.schemas ?? {};
  const resolve = (s: Schema | undefined): Schema => (s?.$ref ? (refs[s.$ref.split("/").pop()!] ?? s) : (s ?? {}));
  const ops = Object.entries(doc.paths).flatMap(([path, methods]) =>
    METHODS.flatMap((method) => {
      const op = methods?.[method];
      return op ? [{ path, method, op, id: `${method}-${path}`.replace(/[^a-zA-Z0-9]+/g, "-") }] : [];
    }),
  );

  const typeName = (raw: Schema | undefined): string => {
    const s = resolve(raw);
    if (raw?.$ref) return raw.$ref.split("/").pop()!;
    if (s.anyOf || s.oneOf) return (s.anyOf ?? s.oneOf)!.map(typeName).join(" | ");
    if (s.enum) return s.enum.map((v) => JSON.stringify(v)).join(" | ");
    if (s.const !== undefined) return JSON.stringify(s.const);
    if (s.type === "array") return `${typeName(s.items)}[]`;
    if (Array.isArray(s.type)) return s.type.join(" | ");
    return s.type ?? (s.allOf ? "object" : "any");
  };
  const rules = (s: Schema): string =>
    [
      s.format && s.format,
      s.default !== undefined && `default ${JSON.stringify(s.default)}`,
      // zod bounds every integer by the safe range; that says nothing to a reader.
      s.minimum !== undefined && s.minimum > Number.MIN_SAFE_INTEGER && `≥ ${s.minimum}`,
      s.maximum !== undefined && s.maximum < Number.MAX_SAFE_INTEGER && `≤ ${s.maximum}`,
      s.minLength !== undefined && `length ≥ ${s.minLength}`,
      s.maxLength !== undefined && `length ≤ ${s.maxLength}`,
      s.pattern && `pattern ${s.pattern}`,
    ]
      .filter(Boolean)
      .join(", ");
  const objectOf = (raw: Schema | undefined): Schema | undefined => {
    const s = resolve(raw);
    if (s.allOf) return { properties: Object.assign({}, ...s.allOf.map((p) => resolve(p).properties)), required: s.allOf.flatMap((p) => resolve(p).required ?? []) };
    if (s.properties) return s;
    if (s.type === "array") return objectOf(s.items);
    const variant = (s.anyOf ?? s.oneOf)?.find((p) => objectOf(p));
    return variant ? objectOf(variant) : undefined;
  };
  const fields = (raw: Schema | undefined, depth: number): Html => {
    const s = objectOf(raw);
    if (!s?.properties || depth > 6) return html`<code>${typeName(raw)}</code>`;
    return html`<table>
      <tbody>
        ${Object.entries(s.properties).map(([name, p]) => {
          const inner = objectOf(p);
          return html`<tr>
            <th><code>${name}</code>${s.required?.includes(name) ? html`<abbr title="required">*</abbr>` : ""}</th>
            <td>
              <code>${typeName(p)}</code> <small>${rules(resolve(p))}</small>${resolve(p).description ? html`<p>${resolve(p).description}</p>` : ""}
              ${inner?.properties ? html`<details><summary>fields</summary>${fields(p, depth + 1)}</details>` : ""}
            </td>
          </tr>`;
        })}
      </tbody>
    </table>`;
  };
  const body = (content: Record<string, { schema?: Schema }> | undefined): Html => {
    const [type, media] = Object.entries(content ?? {})[0] ?? [];
    if (!type) return html``;
    return html`<p><small>${type}</small></p>${fields(media?.schema, 0)}`;
  };

  return html`${raw("<!doctype html>")}
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${doc.info.title} API ${doc.info.version}</title>
        <link rel="stylesheet" href="${cssHref}" />
      </head>
      <body>
        <nav>
          <h1>${doc.info.title} <small>${doc.info.version}</small></h1>
          <p><a href="openapi.json">openapi.json</a> · <a href="schema.json">schema.json</a></p>
          <ul>
            ${ops.map((o) => html`<li><a href="#${o.id}"><b class="${o.method}">${o.method.toUpperCase()}</b> ${o.path}</a></li>`)}
          </ul>
        </nav>
        <main>
          ${doc.info.description ? html`<p>${doc.info.description}</p>` : ""}
          ${ops.map(
            ({ path, method, op, id }) => html`<section id="${id}">
              <h2><b class="${method}">${method.toUpperCase()}</b> <code>${path}</code></h2>
              ${op.summary ? html`<p>${op.summary}</p>` : ""} ${op.description ? html`<p>${op.description}</p>` : ""}
              ${op.parameters?.length
                ? html`<h3>Parameters</h3>
                    <table>
                      <tbody>
                        ${op.parameters.map(
                          (p) => html`<tr>
                            <th><code>${p.name}</code>${p.required ? html`<abbr title="required">*</abbr>` : ""}</th>
                            <td>${p.in}</td>
                            <td><code>${typeName(p.schema)}</code> <small>${rules(resolve(p.schema))}</small>${p.description ? html`<p>${p.description}</p>` : ""}</td>
                          </tr>`,
                        )}
                      </tbody>
                    </table>`
                : ""}
              ${op.requestBody ? html`<h3>Body</h3>${body(op.requestBody.content)}` : ""}
              <h3>Responses</h3>
              ${Object.entries(op.responses ?? {}).map(
                ([status, r]) => html`<details>
                  <summary><b>${status}</b> ${r.description ?? ""}</summary>
                  ${body(r.content)}
                </details>`,
              )}
            </section>`,
          )}
        </main>
      </body>
    </html>`;
}

/** The page's only style, served as a file: the CSP allows `style-src 'self'` and nothing inline. */
export const DOCS_CSS = [
  "body{font:15px/1.5 system-ui,sans-serif;margin:0;display:grid;grid-template-columns:minmax(14rem,22rem) 1fr}",
  "nav{position:sticky;top:0;height:100vh;overflow:auto;padding:1rem;background:#f6f7f9;border-right:1px solid #ddd}",
  "nav ul{list-style:none;padding:0}nav li{margin:.2rem 0}main{padding:1rem 2rem;min-width:0}",
  "section{border-bottom:1px solid #eee;padding-bottom:1rem}table{border-collapse:collapse;width:100%}",
  "th,td{text-align:left;vertical-align:top;padding:.25rem .5rem;border-top:1px solid #eee}th{white-space:nowrap}td{overflow-wrap:anywhere}",
  "b.get{color:#0a7}b.post{color:#06c}b.put{color:#a60}b.delete{color:#c33}code{overflow-wrap:anywhere}",
  "@media(max-width:700px){body{display:block}nav{position:static;height:auto}}",
].join("");

/** Scripts none, styles and images from here only, never framed. */
export const DOCS_CSP = "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
