/** The admin page's assets, imported as text at each edge (cli/admin-assets.ts, worker/admin-assets.ts). */
declare module "*/admin/assets/admin.css" {
  const text: string;
  export default text;
}
declare module "*/admin/assets/admin.js" {
  const text: string;
  export default text;
}
