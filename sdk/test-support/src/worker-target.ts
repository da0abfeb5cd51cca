import type { Item } from "./receiver.ts";
import type { IngestTarget } from "./target.ts";

interface Stack {
  workerUrl: string;
  databaseUrl: string;
  demo: { apiKey: string; projectId: string };
  stop: () => Promise<void>;
}

interface Row {
  [column: string]: unknown;
}

/**
 * The real backend as a target: `startLocalStack()` (scratch Postgres, migrations, seed, `wrangler
 * dev`) and reads from Postgres, mapped back to wire field names so the same assertions hold.
 * Stored rows appear after the ProjectMeter's alarm flush, so `stored(until)` polls.
 */
export async function startWorkerTarget(): Promise<IngestTarget> {
  // Loaded lazily: only this target needs the database tooling, and its types live in db/.
  const stackModule = new URL("../../../db/local/stack.ts", import.meta.url).href;
  const { startLocalStack } = (await import(stackModule)) as {
    startLocalStack: (o: { mode: "scratch"; databaseUrl?: string; vars?: Record<string, string> }) => Promise<Stack>;
  };
  const pg = (await import("pg")).default;
  const stack = await startLocalStack({
    mode: "scratch",
    databaseUrl: process.env.DATABASE_URL,
    vars: { FLUSH_DELAY_MS: "50" },
  });
  const db = new pg.Client({ connectionString: stack.databaseUrl });
  await db.connect();
  const project = stack.demo.projectId;

  const read = async (): Promise<Item[]> => {
    const events = await db.query<Row>("select * from events where project_id = $1", [project]);
    const errors = await db.query<Row>("select * from error_occurrences where project_id = $1", [project]);
    const sessions = await db.query<Row>("select * from sessions where project_id = $1", [project]);
    const iso = (v: unknown) => (v instanceof Date ? v.toISOString() : v);
    const common = (r: Row) => ({
      event_id: r.event_id,
      app: r.app,
      platform: r.platform,
      environment: r.environment,
      release: r.release,
      user_id: r.user_id,
      anonymous_id: r.anonymous_id,
      session_id: r.session_id,
      url: r.url,
      timestamp: iso(r.timestamp),
      sdk: r.sdk_name ? { name: r.sdk_name, version: r.sdk_version } : undefined,
    });
    return [
      ...events.rows.map((r) => ({ type: "event", ...common(r), name: r.name, properties: r.properties })),
      ...errors.rows.map((r) => ({
        type: "error",
        ...common(r),
        message: r.message,
        error_type: r.type,
        level: r.level,
        handled: r.handled,
        stack: r.stack,
        frames: r.frames,
        breadcrumbs: r.breadcrumbs,
        tags: r.tags,
        context: r.context,
      })),
      ...sessions.rows.map((r) => ({
        type: "session",
        session_id: r.session_id,
        app: r.app,
        status: r.status,
        started_at: iso(r.started_at),
        ended_at: iso(r.ended_at) ?? undefined,
        release: r.release,
        environment: r.environment,
        user_id: r.user_id,
        anonymous_id: r.anonymous_id,
        browser: r.browser,
        os: r.os,
      })),
    ] as Item[];
  };

  return {
    ingestUrl: stack.workerUrl,
    apiKey: stack.demo.apiKey,
    async stored(until, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const items = await read();
        if (!until || until(items) || Date.now() > deadline) return items;
        await new Promise((r) => setTimeout(r, 200));
      }
    },
    async stop() {
      await db.end().catch(() => {});
      await stack.stop();
    },
  };
}
