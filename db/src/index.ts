export * from "./client.ts";
export * from "./credentials.ts";
export * from "./schema/index.ts";
