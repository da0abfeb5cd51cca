/**
 * All server access of the dashboard, one module per API surface: `query` functions read, `action`
 * functions change. Each runs on the server ("use server") and calls the Worker through the typed
 * client in `../server/worker.ts` with the browser's cookie; components never build API URLs
 * themselves. Reads redirect to /login on 401; actions answer an Outcome so forms can show the
 * API's own message.
 */
export * from "./account";
export * from "./alerts";
export * from "./billing";
export * from "./events";
export * from "./issues";
export * from "./orgs";
export * from "./overview";
export type { ViewFilters } from "./params";
export * from "./performance";
export * from "./projects";
export * from "./releases";
export * from "./search";
export * from "./sessions";
export * from "./sourcemaps";
