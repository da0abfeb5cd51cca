#!/usr/bin/env node
// Runs the built CLI when published; inside the workspace (no dist/) the TypeScript source, which
// Node 24 runs directly.
import { existsSync } from "node:fs";

const built = new URL("../dist/cli.js", import.meta.url);
const { main } = await import(existsSync(built) ? built.href : new URL("../src/cli.ts", import.meta.url).href);
process.exitCode = await main(process.argv.slice(2), process.env);
