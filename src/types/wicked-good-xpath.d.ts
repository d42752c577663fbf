declare module "wicked-good-xpath" {
  /** Installs document.evaluate / createExpression into `win.document` (forced when `force`). */
  export function install(win: { document: object }, force?: boolean): void;
  const wgxpath: { install: typeof install };
  export default wgxpath;
}
