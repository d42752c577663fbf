/**
 * @module
 * CSV as RFC 4180 writes it, for item exports: a cell is quoted when it holds a quote, a comma or a line break;
 * a list or an object (a `many` value, the image keys) is written as its JSON text, so nothing is lost.
 */

export function csvCell(value: unknown): string {
  const text = value === null || value === undefined ? "" : typeof value === "string" ? value : typeof value === "object" ? JSON.stringify(value) : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** One record, CRLF-terminated. */
export function csvLine(cells: readonly unknown[]): string {
  return `${cells.map(csvCell).join(",")}\r\n`;
}
