/**
 * @module
 * The namespace pass over a parsed XML document (SPEC.md §2). linkedom keeps `dc:creator` whole as the local
 * name and declares no namespaces, so the names are worked out here from the `xmlns` and `xmlns:p` attributes in
 * scope, as an XML parser would, and recorded for XPath (expressions/xpath-names.ts). The prefixes the document
 * declares (anywhere, the first declaration of a prefix winning) can then be used in expressions as written; the
 * page type's `namespaces` add prefixes for default-namespace documents and win over the document's.
 */
import { setDocumentNames, setXmlName, XML_NS, XMLNS_NS } from "../expressions/xpath-names.ts";

interface Scope {
  default: string | null;
  prefixes: ReadonlyMap<string, string>;
}

export function assignXmlNames(document: Node, declared: Readonly<Record<string, string>>): void {
  const documentPrefixes = new Map<string, string>();
  const root = (document as Document).documentElement;
  const stack: [Element, Scope][] = root ? [[root, { default: null, prefixes: new Map([["xml", XML_NS]]) }]] : [];
  while (stack.length) {
    const [element, outer] = stack.pop()!;
    const scope = declarationsOf(element, outer, documentPrefixes);
    nameElement(element, scope);
    for (let child = element.lastElementChild; child; child = child.previousElementSibling) stack.push([child, scope]);
  }
  // `xml:` is bound by XML itself (`@xml:lang`).
  const prefixes = new Map([["xml", XML_NS], ...documentPrefixes]);
  for (const [prefix, uri] of Object.entries(declared)) prefixes.set(prefix.toLowerCase(), uri);
  setDocumentNames(document, { xml: true, prefixes });
}

/** The page type's `namespaces` on an HTML document: its names stay HTML's. */
export function assignHtmlPrefixes(document: Node, declared: Readonly<Record<string, string>>): void {
  if (Object.keys(declared).length === 0) return;
  setDocumentNames(document, { xml: false, prefixes: new Map(Object.entries(declared).map(([p, uri]) => [p.toLowerCase(), uri])) });
}

function declarationsOf(element: Element, outer: Scope, documentPrefixes: Map<string, string>): Scope {
  let scope = outer;
  for (const attr of Array.from(element.attributes)) {
    const name = attr.name;
    if (name === "xmlns") {
      scope = { default: attr.value || null, prefixes: scope.prefixes };
      setXmlName(attr, { local: "xmlns", uri: XMLNS_NS });
    } else if (name.startsWith("xmlns:")) {
      const prefix = name.slice(6);
      const prefixes = new Map(scope.prefixes);
      // An empty value undeclares the prefix (XML Namespaces 1.1).
      if (attr.value) prefixes.set(prefix, attr.value);
      else prefixes.delete(prefix);
      scope = { default: scope.default, prefixes };
      if (attr.value && !documentPrefixes.has(prefix.toLowerCase())) documentPrefixes.set(prefix.toLowerCase(), attr.value);
      setXmlName(attr, { local: prefix, uri: XMLNS_NS });
    }
  }
  return scope;
}

function nameElement(element: Element, scope: Scope): void {
  const qualified = element.localName;
  const colon = qualified.indexOf(":");
  if (colon > 0) {
    const uri = scope.prefixes.get(qualified.slice(0, colon));
    // A prefix nobody declared leaves the name as linkedom has it.
    if (uri) setXmlName(element, { local: qualified.slice(colon + 1), uri });
  } else if (scope.default) setXmlName(element, { local: qualified, uri: scope.default });
  for (const attr of Array.from(element.attributes)) {
    const name = attr.name;
    const at = name.indexOf(":");
    if (at <= 0 || name.startsWith("xmlns:")) continue;
    // Unprefixed attributes are in no namespace, whatever the default namespace.
    const uri = scope.prefixes.get(name.slice(0, at));
    if (uri) setXmlName(attr, { local: name.slice(at + 1), uri });
  }
}
