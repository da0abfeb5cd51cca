import { parseArgs } from "node:util";
import { formatSummary, uploadSourceMaps } from "./upload.ts";

const USAGE = `Usage: telemetry-tracker sourcemaps upload --release <release> --app <app> [options] <dir...>

Finds *.js.map files under each <dir>, matches each to its bundle's URL and uploads it.

Options:
  --release <r>      Release the bundles belong to (as your SDK sends it)       [required]
  --app <a>          App label (as your SDK sends it)                          [required]
  --url-prefix <p>   URL prefix of the bundles; ~/ matches any origin          [default: ~/]
  --project <id>     Project id (or TT_PROJECT_ID)                             [required]
  --api-url <url>    Telemetry Tracker's URL (or TT_API_URL)                   [required]
  --dry-run          Show what would be uploaded
  --concurrency <n>  Parallel uploads                                          [default: 4]

The API key (scope sourcemap_upload) comes from TT_API_KEY.
Exit codes: 0 all uploaded, 1 some map failed or none found, 2 usage or configuration error.`;

export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** The CLI: returns the process exit code (CI reads it) and writes to stdout/stderr. */
export async function main(argv: string[], env: Record<string, string | undefined>): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}\n`);
    return EXIT.usage;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return EXIT.ok;
  }
  if (positionals[0] !== "sourcemaps" || positionals[1] !== "upload") {
    process.stderr.write(`Unknown command: ${positionals.slice(0, 2).join(" ") || "(none)"}\n\n${USAGE}\n`);
    return EXIT.usage;
  }
  const dirs = positionals.slice(2);
  const apiKey = env.TT_API_KEY;
  const apiUrl = values["api-url"] ?? env.TT_API_URL;
  const projectId = values.project ?? env.TT_PROJECT_ID;
  const concurrency = Number(values.concurrency ?? 4);
  const missing = [
    !values.release && "--release",
    !values.app && "--app",
    !projectId && "--project (or TT_PROJECT_ID)",
    !apiUrl && "--api-url (or TT_API_URL)",
    !apiKey && !values["dry-run"] && "TT_API_KEY",
    dirs.length === 0 && "<dir>",
  ].filter(Boolean);
  if (missing.length > 0 || !Number.isInteger(concurrency) || concurrency < 1) {
    const problem = missing.length > 0 ? `Missing: ${missing.join(", ")}` : "--concurrency must be a positive integer";
    process.stderr.write(`${problem}\n\n${USAGE}\n`);
    return EXIT.usage;
  }

  let summary: Awaited<ReturnType<typeof uploadSourceMaps>>;
  try {
    summary = await uploadSourceMaps({
      apiUrl: apiUrl as string,
      apiKey: apiKey ?? "",
      projectId: projectId as string,
      app: values.app as string,
      release: values.release as string,
      paths: dirs,
      urlPrefix: values["url-prefix"],
      dryRun: values["dry-run"],
      concurrency,
    });
  } catch (error) {
    process.stderr.write(`Could not read the build output: ${(error as Error).message}\n`);
    return EXIT.usage;
  }
  if (summary.maps.length === 0) {
    process.stderr.write(`No *.js.map files under ${dirs.join(", ")}: is the build emitting source maps?\n`);
    return EXIT.failed;
  }
  process.stdout.write(`${formatSummary(summary)}\n`);
  return summary.failed > 0 ? EXIT.failed : EXIT.ok;
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      release: { type: "string" },
      app: { type: "string" },
      "url-prefix": { type: "string" },
      project: { type: "string" },
      "api-url": { type: "string" },
      "dry-run": { type: "boolean" },
      concurrency: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
}
