/**
 * @module
 * Places where linkedom departs from the DOM in ways that break XPath (wicked-good-xpath relies on them).
 * Fixed once, on linkedom's prototypes, when extraction is loaded.
 *
 * 1. An Attr's `nodeValue` and `textContent` must be its value; linkedom answers null, which makes
 *    `string(@href)` "null" and every predicate on an attribute's string value false.
 * 2. `compareDocumentPosition` compares nesting depths instead of document order, so node-sets come back out of
 *    order (`//p/text()` of two paragraphs gives the second first). The replacement numbers a document's nodes
 *    once, in document order, the first time two of its nodes are compared: parsed pages are never mutated.
 * 3. `getElementsByTagName("*")` finds nothing (the DOM says: every element), so `//*` matched nothing.
 * 4. On XML documents, the name lookups wicked-good-xpath makes (`getElementsByTagName` for `//name`,
 *    `getNamedItem` for `@name`, `getAttribute` for `[@name='v']`) get the lower-cased local name, or
 *    `{namespace}name` for a prefixed one (see expressions/xpath-names.ts), where linkedom compares qualified names
 *    case-sensitively: `//pubDate`, `@isPermaLink` and `//dc:creator` found nothing. They are answered by the
 *    names the namespace pass recorded; `getAttribute` also stops returning XML attribute values entity-escaped.
 *    HTML documents keep linkedom's own lookups (prefixed names aside).
 */
import { parseHTML } from "linkedom";
import { inXmlDocument, matchesNameTest, parseNameTestKey } from "../expressions/xpath-names.ts";

const sample = parseHTML("<p a='1'></p>").document;
const attrPrototype: object = Object.getPrototypeOf((sample.querySelector("p") as Element).getAttributeNode("a"));
const nodePrototype = findOwner(attrPrototype, "compareDocumentPosition");

for (const name of ["nodeValue", "textContent"]) {
  Object.defineProperty(attrPrototype, name, {
    configurable: true,
    get(this: Attr) {
      return this.value;
    },
    set(this: Attr, v: string) {
      this.value = v;
    },
  });
}

const DISCONNECTED = 1;
const PRECEDING = 2;
const FOLLOWING = 4;
const CONTAINS = 8;
const CONTAINED_BY = 16;
const IMPLEMENTATION_SPECIFIC = 32;

/**
 * linkedom keeps a document as one linked list of nodes (attributes included) in document order, under a private
 * `next` symbol. Walking it once numbers every node without allocating anything but the numbers.
 */
const NEXT = Object.getOwnPropertySymbols(sample.querySelector("p")!).find((s) => s.description === "next");
const END = Object.getOwnPropertySymbols(sample.querySelector("p")!).find((s) => s.description === "end");
if (NEXT === undefined || END === undefined) throw new Error("linkedom changed: its nodes no longer link to the next node and their end");
const ORDER = Symbol("document order");
const NUMBERED = Symbol("numbered");

type Linked = Node & { [key: symbol]: unknown };

function parentOf(node: Node): Node | null {
  return node.parentNode ?? (node as Attr).ownerElement ?? null;
}

function rootOf(node: Node): Node {
  let n = node;
  for (let p = parentOf(n); p; p = parentOf(n)) n = p;
  return n;
}

function isAncestor(ancestor: Node, node: Node): boolean {
  for (let p = parentOf(node); p; p = parentOf(p)) if (p === ancestor) return true;
  return false;
}

function orderOf(root: Linked, node: Linked): number {
  if (!root[NUMBERED]) {
    let i = 0;
    for (let n: Linked | null = root; n; n = n[NEXT!] as Linked | null) n[ORDER] = i++;
    root[NUMBERED] = true;
  }
  return (node[ORDER] as number | undefined) ?? 0;
}

Object.defineProperty(nodePrototype, "compareDocumentPosition", {
  configurable: true,
  writable: true,
  value(this: Node, other: Node): number {
    if (this === other) return 0;
    const root = rootOf(this);
    if (root !== rootOf(other)) return DISCONNECTED | IMPLEMENTATION_SPECIFIC | PRECEDING;
    if (isAncestor(this, other)) return CONTAINED_BY | FOLLOWING;
    if (isAncestor(other, this)) return CONTAINS | PRECEDING;
    return orderOf(root as Linked, this as Linked) < orderOf(root as Linked, other as Linked) ? FOLLOWING : PRECEDING;
  },
});

function findOwner(start: object, property: string): object {
  for (let p: object | null = start; p; p = Object.getPrototypeOf(p)) if (Object.hasOwn(p, property)) return p;
  throw new Error(`linkedom changed: no ${property} on its node prototypes`);
}

// 3 and 4: name lookups.
const element = sample.querySelector("p") as Element;
const lookups = new Set([findOwner(Object.getPrototypeOf(element), "getElementsByTagName"), findOwner(Object.getPrototypeOf(sample), "getElementsByTagName")]);
for (const owner of lookups) {
  const original = (owner as { getElementsByTagName(name: string): ArrayLike<Element> }).getElementsByTagName;
  Object.defineProperty(owner, "getElementsByTagName", {
    configurable: true,
    writable: true,
    value(this: Node, name: string): ArrayLike<Element> {
      if (name === "*" || name.startsWith("{") || inXmlDocument(this)) return elementsNamed(this as Linked, name);
      return original.call(this, name);
    },
  });
}

function elementsNamed(root: Linked, key: string): Element[] {
  const { name, ns } = parseNameTestKey(key);
  const found: Element[] = [];
  const end = root[END!] as Linked | undefined;
  for (let n = root[NEXT!] as Linked | null; n && n !== end; n = n[NEXT!] as Linked | null) {
    if (n.nodeType === 1 && matchesNameTest(n, name, ns)) found.push(n as Node as Element);
  }
  return found;
}

/** An XML element's attribute by the name wicked-good-xpath asks for: as written first, then by name test. */
function attributeNamed(owner: Element, key: string): Attr | null {
  if (!key.startsWith("{")) {
    const exact = Array.prototype.find.call(owner.attributes, (a: Attr) => a.name === key) as Attr | undefined;
    if (exact) return exact;
  }
  const { name, ns } = parseNameTestKey(key);
  return (Array.prototype.find.call(owner.attributes, (a: Attr) => matchesNameTest(a, name, ns)) as Attr | undefined) ?? null;
}

const namedNodeMapPrototype = findOwner(Object.getPrototypeOf(element.attributes), "getNamedItem") as { getNamedItem(name: string): Attr | null; ownerElement: Element };
const getNamedItem = namedNodeMapPrototype.getNamedItem;
Object.defineProperty(namedNodeMapPrototype, "getNamedItem", {
  configurable: true,
  writable: true,
  value(this: { ownerElement: Element }, name: string): Attr | null {
    if (name.startsWith("{") || inXmlDocument(this.ownerElement)) return attributeNamed(this.ownerElement, name);
    return getNamedItem.call(this, name);
  },
});

const elementPrototype = findOwner(Object.getPrototypeOf(element), "getAttribute") as { getAttribute(name: string): string | null };
const getAttribute = elementPrototype.getAttribute;
Object.defineProperty(elementPrototype, "getAttribute", {
  configurable: true,
  writable: true,
  value(this: Element, name: string): string | null {
    if (name.startsWith("{") || inXmlDocument(this)) return attributeNamed(this, name)?.value ?? null;
    return getAttribute.call(this, name);
  },
});
