import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { APT_INSTALL, ensureChromium } from "../chromium.ts";

// The machine's own Chromium is shared with other test runs and stays installed: the missing case
// is driven through a path that does not exist, and the install through a recorder (or the
// TT_CHROMIUM_DRY_RUN switch) instead of apt-get. The real install is what a bare machine exercises.
const MISSING = "/nonexistent/tt-test/chromium";

describe("ensureChromium", () => {
  it("uses an existing Chromium as it is, without installing anything", () => {
    const present = process.execPath; // any executable stands in for the path check
    const commands: string[][] = [];
    expect(ensureChromium({ path: present, isRoot: true, hasApt: true, run: (c) => commands.push(c) })).toBe(present);
    expect(commands).toEqual([]);
  });

  it("installs Debian's chromium package when missing, as root with apt-get", () => {
    const commands: string[][] = [];
    const log: string[] = [];
    expect(() =>
      ensureChromium({
        path: MISSING,
        isRoot: true,
        hasApt: true,
        run: (c) => commands.push(c),
        log: (l) => log.push(l),
      }),
    ).toThrow(`there is still no Chromium at ${MISSING}`);
    expect(commands).toEqual(APT_INSTALL);
    expect(commands.at(-1)).toContain("chromium");
    expect(log[0]).toMatch(/installing Debian's chromium package/);
  });

  it.each([
    ["not root", { isRoot: false, hasApt: true }],
    ["no apt-get", { isRoot: true, hasApt: false }],
  ])("fails with one line saying what to install when it cannot install (%s)", (_, how) => {
    const commands: string[][] = [];
    let message = "";
    try {
      ensureChromium({ path: MISSING, ...how, run: (c) => commands.push(c) });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/^Chromium not found at \/nonexistent\/tt-test\/chromium: .*apt-get install -y chromium/);
    expect(message).not.toContain("\n");
    expect(commands).toEqual([]);
  });

  it("says why when apt-get fails", () => {
    const run = () => {
      throw new Error("E: Unable to locate package chromium");
    };
    expect(() => ensureChromium({ path: MISSING, isRoot: true, hasApt: true, run, log: () => {} })).toThrow(
      /apt-get install chromium failed: E: Unable to locate package chromium/,
    );
  });

  it("exits non-zero from the command line (what .ci/run calls), printing the plan in a dry run", () => {
    const script = new URL("../chromium.ts", import.meta.url).pathname;
    let status = 0;
    let stderr = "";
    try {
      execFileSync(process.execPath, [script], {
        env: { ...process.env, CHROMIUM_PATH: MISSING, TT_CHROMIUM_DRY_RUN: "1" },
        stdio: ["ignore", "pipe", "pipe"],
      });
    } catch (error) {
      status = (error as { status: number }).status;
      stderr = String((error as { stderr: Buffer }).stderr);
    }
    expect(status).toBe(1);
    // As root with apt-get (this machine's kind) the dry run prints the install; otherwise the reason.
    expect(stderr).toMatch(/would run: apt-get install .*chromium|apt-get install -y chromium/);
    expect(stderr).toContain(`Chromium not found at ${MISSING}`);
  });
});
