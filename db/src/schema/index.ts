export * from "./audit.ts";
export * from "./columns.ts";
export * from "./organizations.ts";
export * from "./projects.ts";
export * from "./telemetry.ts";
export * from "./users.ts";
