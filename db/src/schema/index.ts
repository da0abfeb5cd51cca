export * from "./audit.ts";
export * from "./auth.ts";
export * from "./columns.ts";
export * from "./organizations.ts";
export * from "./projects.ts";
export * from "./rollups.ts";
export * from "./telemetry.ts";
export * from "./users.ts";
