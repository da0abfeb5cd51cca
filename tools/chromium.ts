import { execFileSync } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { userInfo } from "node:os";
import { fileURLToPath } from "node:url";

/**
 * Where every browser test gets its Chromium (dashboard, browser SDK, anything driven through
 * playwright-core, which brings no browser of its own and cannot download one here) — and what
 * `.ci/run` calls, so CI has no Chromium step of its own.
 *
 * Chromium at `CHROMIUM_PATH` (default `/usr/bin/chromium`) is used as it is. When it is missing and
 * we run as root with apt-get, Debian's `chromium` package is installed, the same way `npm install`
 * brings Node 24 by itself; otherwise it fails with one line saying what to install. Never a skip.
 */
export const DEFAULT_CHROMIUM = "/usr/bin/chromium";

/** Headless flags that keep Chromium off the network and out of first-run work. */
export const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export const APT_INSTALL = [
  ["apt-get", "update", "-qq"],
  // Waits for another apt/dpkg (a parallel suite installing the same package) instead of failing.
  ["apt-get", "install", "-y", "-qq", "-o", "DPkg::Lock::Timeout=300", "chromium"],
];

export interface ChromiumProvision {
  /** The executable to use; CHROMIUM_PATH or /usr/bin/chromium unless given. */
  path?: string;
  isRoot?: boolean;
  hasApt?: boolean;
  /** Runs one command of the install; `TT_CHROMIUM_DRY_RUN=1` swaps in one that only prints it. */
  run?: (command: string[]) => void;
  log?: (line: string) => void;
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function aptAvailable(): boolean {
  try {
    execFileSync("apt-get", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

function runLoud([command, ...args]: string[]): void {
  execFileSync(command, args, {
    stdio: ["ignore", "inherit", "inherit"],
    env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
  });
}

/** The Chromium executable, installed first when missing and allowed; throws a one-line reason otherwise. */
export function ensureChromium(options: ChromiumProvision = {}): string {
  const path = options.path ?? process.env.CHROMIUM_PATH ?? DEFAULT_CHROMIUM;
  if (executable(path)) return path;
  const isRoot = options.isRoot ?? userInfo().uid === 0;
  const hasApt = options.hasApt ?? aptAvailable();
  const log = options.log ?? ((line: string) => console.error(line));
  if (!isRoot || !hasApt) {
    throw new Error(
      `Chromium not found at ${path}: the browser tests need it. Install Debian's chromium package ` +
        `(sudo apt-get install -y chromium) or set CHROMIUM_PATH to a Chromium executable.`,
    );
  }
  const dryRun = process.env.TT_CHROMIUM_DRY_RUN === "1";
  const run = options.run ?? (dryRun ? (command: string[]) => log(`would run: ${command.join(" ")}`) : runLoud);
  log(`Chromium not found at ${path}: installing Debian's chromium package (apt-get, once)`);
  try {
    for (const command of APT_INSTALL) run(command);
  } catch (error) {
    throw new Error(`Chromium not found at ${path}, and apt-get install chromium failed: ${(error as Error).message}`);
  }
  if (!executable(path)) {
    throw new Error(
      dryRun
        ? `Chromium not found at ${path} (dry run: nothing installed)`
        : `apt-get installed chromium, but there is still no Chromium at ${path}: set CHROMIUM_PATH to it`,
    );
  }
  return path;
}

// `node tools/chromium.ts`: provision it and print the version (what .ci/run does).
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    const path = ensureChromium();
    console.log(`${path}: ${execFileSync(path, ["--version"], { encoding: "utf8" }).trim()}`);
  } catch (error) {
    console.error((error as Error).message);
    process.exit(1);
  }
}
