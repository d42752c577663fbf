/**
 * @module
 * Element and attribute names with namespaces, as XPath 1.0 users expect them on XML (SPEC.md §2): `local-name()`,
 * `name()` and `namespace-uri()` answer from the names a document declares, a prefix in an expression (`dc:creator`)
 * means the namespace the page declares for it (or the page type's `namespaces`, for default-namespace documents
 * such as Atom and sitemaps), and XML's names keep their case.
 *
 * Two libraries stand in the way, and both are fixed at their seams rather than forked:
 * - linkedom's XML parser keeps `dc:creator` whole as the element's local name, puts every element in the XHTML
 *   namespace and gives attributes no namespace at all. The namespace pass that builds XML documents
 *   (extract/xml-namespaces.ts) records each node's real name here, under a symbol.
 * - wicked-good-xpath was written for HTML: it lowercases names, resolves prefixes once when an expression is
 *   compiled, looks names up with `getElementsByTagName`/`getNamedItem`/`getAttribute` (which linkedom answers by
 *   the qualified name) and has `namespace-uri()` always return "". Its name test and its three name functions are
 *   replaced below; the DOM lookups it makes are answered by the patches in extract/dom-fixes.ts, which read the
 *   names recorded here.
 *
 * wicked-good-xpath ships minified and exports none of these objects. They are reached once, at load, through the
 * error it raises for `count(<not a node-set>)`: building that message turns the offending expression into a
 * string, and watching `Object.prototype.valueOf` during that one synchronous call hands us the parsed expression,
 * from which the name test and the function definitions are found by what they print. Anything not found as
 * expected fails loudly at load ("wicked-good-xpath changed"), never silently at run time.
 */

export const XHTML_NS = "http://www.w3.org/1999/xhtml";
export const XML_NS = "http://www.w3.org/XML/1998/namespace";
export const XMLNS_NS = "http://www.w3.org/2000/xmlns/";

/** A node's name in its namespace (`uri` null: no namespace). */
export interface XmlName {
  local: string;
  uri: string | null;
}

/** What the names of a document's nodes mean. */
export interface DocumentNames {
  /** Parsed as XML: names are as written, nodes without a recorded name are in no namespace. */
  xml: boolean;
  /** Prefix (lower case, as wicked-good-xpath passes it) → namespace URI, for prefixes used in expressions. */
  prefixes: ReadonlyMap<string, string>;
}

const XML_NAME = Symbol("xml name");
const DOCUMENT_NAMES = Symbol("document names");

type Named = Node & { [XML_NAME]?: XmlName; [DOCUMENT_NAMES]?: DocumentNames };

export function setXmlName(node: Node, name: XmlName): void {
  (node as Named)[XML_NAME] = name;
}

export function setDocumentNames(document: Node, names: DocumentNames): void {
  (document as Named)[DOCUMENT_NAMES] = names;
}

function documentNames(node: Node): DocumentNames | undefined {
  return ((node.ownerDocument ?? node) as Named)[DOCUMENT_NAMES];
}

/** Whether `node` belongs to a document parsed as XML. */
export function inXmlDocument(node: Node): boolean {
  return documentNames(node)?.xml === true;
}

/** The local name and namespace of an element or attribute. */
export function xmlNameOf(node: Node): XmlName {
  const recorded = (node as Named)[XML_NAME];
  if (recorded) return recorded;
  const local = (node as Element).localName ?? node.nodeName;
  if (inXmlDocument(node) || node.nodeType !== 1) return { local, uri: null };
  return { local, uri: (node as Element).namespaceURI ?? XHTML_NS };
}

/**
 * Prefixes are bound late: an expression is compiled once per definition, but what `dc:` means is only known from
 * the page it runs on. The compiler gets this stand-in URI for every prefix; a name test resolves it per node.
 */
const PREFIX_URI = "urn:x-dscraper-prefix:";

export function prefixStandIn(prefix: string): string {
  return PREFIX_URI + prefix;
}

/** The namespace a name test asks for on `node`'s page: "*" for any, undefined for a prefix the page does not know. */
function wantedNamespace(ns: string, node: Node): string | undefined {
  if (!ns.startsWith(PREFIX_URI)) return ns;
  return documentNames(node)?.prefixes.get(ns.slice(PREFIX_URI.length))?.toLowerCase();
}

/**
 * Whether an element or attribute passes a name test: `name` in lower case or "*", `ns` as wicked-good-xpath keeps
 * it (lower case; "*" for any namespace; the XHTML namespace for an unprefixed name, which also stands for "no
 * namespace", so that `//item` finds the elements of a feed without namespaces). Case is not significant, as in
 * wicked-good-xpath for HTML: it lowercases the names of expressions before anything else sees them.
 */
export function matchesNameTest(node: Node, name: string, ns: string): boolean {
  const type = node.nodeType;
  if (type !== 1 && type !== 2) return false;
  // Called for every candidate node of every step: no allocation here.
  const recorded = (node as Named)[XML_NAME];
  if (name !== "*" && name !== (recorded ? recorded.local : ((node as Element).localName ?? node.nodeName)).toLowerCase()) return false;
  if (ns === "*") return true;
  const uri = recorded ? recorded.uri : type === 2 || inXmlDocument(node) ? null : ((node as Element).namespaceURI ?? null);
  const wanted = wantedNamespace(ns, node);
  return wanted !== undefined && wanted === (uri === null ? XHTML_NS : uri.toLowerCase());
}

/**
 * How a name test names itself to the DOM lookups wicked-good-xpath makes (`getElementsByTagName`, `getNamedItem`,
 * `getAttribute`): its plain name in the default namespace, `{namespace}name` (Clark notation) otherwise.
 */
export function nameTestKey(name: string, ns: string): string {
  return ns === "*" || ns === XHTML_NS ? name : `{${ns}}${name}`;
}

export function parseNameTestKey(key: string): { name: string; ns: string } {
  const close = key.startsWith("{") ? key.indexOf("}") : -1;
  if (close === -1) return { name: key.toLowerCase(), ns: key === "*" ? "*" : XHTML_NS };
  return { name: key.slice(close + 1).toLowerCase(), ns: key.slice(1, close) };
}

/** `local-name()`: the name without its prefix; "" for nodes without a name. */
function localNameFunction(node: Node): string {
  if (node.nodeType === 1 || node.nodeType === 2) return xmlNameOf(node).local;
  return node.nodeType === 7 ? node.nodeName : "";
}

/** `name()`: the name as written, prefix included (HTML names in lower case, as before). */
function nameFunction(node: Node): string {
  if (node.nodeType === 2) return (node as Attr).name;
  if (node.nodeType === 1) return inXmlDocument(node) ? (node as Element).localName : (node as Element).localName.toLowerCase();
  return node.nodeType === 7 ? node.nodeName : "";
}

function namespaceUriFunction(node: Node): string {
  return node.nodeType === 1 || node.nodeType === 2 ? (xmlNameOf(node).uri ?? "") : "";
}

// ---------------------------------------------------------------------------------------------------------
// Patching wicked-good-xpath

interface Compiler {
  createExpression(expression: string, resolver: (prefix: string) => string | null): unknown;
}

type Loose = Record<string, unknown>;

function changed(what: string): Error {
  return new Error(`wicked-good-xpath changed: ${what} (dscraper's XML name support needs updating)`);
}

/** The objects wicked-good-xpath builds for one expression, reached as described in the module comment. */
function parsedObjects(compiler: Compiler, expression: string): Set<object> {
  const seen = new Set<object>();
  const valueOf = Object.prototype.valueOf;
  Object.prototype.valueOf = function (this: object) {
    seen.add(this);
    return valueOf.call(this);
  };
  try {
    compiler.createExpression(expression, () => "urn:x-probe");
  } catch {
    // The type error is what builds the string.
  } finally {
    Object.prototype.valueOf = valueOf;
  }
  const all = new Set<object>();
  const stack = [...seen];
  while (stack.length) {
    const o = stack.pop()!;
    if (all.has(o)) continue;
    all.add(o);
    for (const v of Object.values(o)) if (v !== null && typeof v === "object") stack.push(v);
  }
  return all;
}

function printed(o: object): string {
  try {
    return String((o as { toString(): string }).toString());
  } catch {
    return "";
  }
}

/** Node of the evaluation context, and first node of a node-set, in wicked-good-xpath's own shapes. */
function contextNode(context: Loose): Node | null {
  for (const v of Object.values(context)) if (v !== null && typeof v === "object" && typeof (v as Node).nodeType === "number") return v as Node;
  return null;
}

function firstNode(argument: Loose, context: Loose): Node | null {
  const evaluate = argument.a;
  if (typeof evaluate !== "function") throw changed("an expression has no evaluate method `a`");
  const set = evaluate.call(argument, context) as { a?: { node?: Node } | null };
  return set.a?.node ?? null;
}

export function patchWickedGoodXPath(compiler: Compiler): void {
  const objects = parsedObjects(compiler, "count(concat(local-name(probe:name), name(), namespace-uri()))");
  const nameTest = [...objects].find((o) => printed(o).startsWith("Name Test:")) as Loose | undefined;
  if (!nameTest) throw changed("no name test found");
  const nameField = Object.keys(nameTest).find((k) => nameTest[k] === "name");
  const nsField = Object.keys(nameTest).find((k) => nameTest[k] === "urn:x-probe");
  if (!nameField || !nsField) throw changed("the name test keeps its name and namespace elsewhere");
  const proto = Object.getPrototypeOf(nameTest) as Loose;
  const methods = Object.keys(proto).filter((k) => k !== "constructor" && k !== "toString" && typeof proto[k] === "function");
  const call = (k: string, ...args: unknown[]) => {
    try {
      return (proto[k] as (...a: unknown[]) => unknown).call(nameTest, ...args);
    } catch {
      return undefined;
    }
  };
  const matches = methods.find((k) => call(k, { nodeType: 3 }) === false);
  const getName = methods.find((k) => call(k) === "name");
  if (!matches || !getName) throw changed("the name test's matches/getName methods were not found");
  proto[matches] = function (this: Loose, node: Node) {
    return matchesNameTest(node, this[nameField] as string, this[nsField] as string);
  };
  proto[getName] = function (this: Loose) {
    return nameTestKey(this[nameField] as string, this[nsField] as string);
  };

  const functions: Record<string, (node: Node) => string> = { "local-name": localNameFunction, name: nameFunction, "namespace-uri": namespaceUriFunction };
  for (const [fn, implementation] of Object.entries(functions)) {
    const definition = [...objects].find((o) => !Array.isArray(o) && printed(o) === fn) as Loose | undefined;
    const field = definition && Object.keys(definition).filter((k) => typeof definition[k] === "function");
    if (!definition || field?.length !== 1) throw changed(`no definition of ${fn}()`);
    definition[field[0]!] = (context: Loose, argument?: Loose) => {
      const node = argument ? firstNode(argument, context) : contextNode(context);
      return node ? implementation(node) : "";
    };
  }
}
