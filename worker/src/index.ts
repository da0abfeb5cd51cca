import { createDatabase } from "@telemetry-tracker/db";
import { runAlertJobs } from "./alerts/evaluate.ts";
import { createApp } from "./app.ts";
import { csrfGuard } from "./auth/csrf.ts";
import { registerBenchRoutes } from "./bench/routes.ts";
import { type Bindings, databaseOptions } from "./env.ts";
import { runRetention } from "./jobs/retention.ts";
import { createLogger, describeError } from "./lib/logger.ts";
import { apiBodyLimit } from "./middleware/body-limit.ts";
import { apiSurface, ipRateLimit } from "./middleware/ip-rate-limit.ts";
import { registerAlerts } from "./routes/alerts.ts";
import { registerAudit } from "./routes/audit.ts";
import { registerAuth } from "./routes/auth.ts";
import { registerBilling } from "./routes/billing.ts";
import { registerEvents } from "./routes/events.ts";
import { registerHealth } from "./routes/health.ts";
import { registerIngest } from "./routes/ingest.ts";
import { registerIssues } from "./routes/issues.ts";
import { registerKeys } from "./routes/keys.ts";
import { registerMembers } from "./routes/members.ts";
import { registerOpenApi } from "./routes/openapi.ts";
import { registerOrgs } from "./routes/orgs.ts";
import { registerOutcomes } from "./routes/outcomes.ts";
import { registerOverview } from "./routes/overview.ts";
import { registerPerformance } from "./routes/performance.ts";
import { registerProjects } from "./routes/projects.ts";
import { registerReleases } from "./routes/releases.ts";
import { registerSearch } from "./routes/search.ts";
import { registerSentry } from "./routes/sentry.ts";
import { registerSessions } from "./routes/sessions.ts";
import { registerSourcemaps } from "./routes/sourcemaps.ts";
import { registerWebhooks } from "./routes/webhooks.ts";
import { runArtifactRetention } from "./sourcemaps/retention.ts";

export { ProjectMeter } from "./meter/project-meter.ts";
export { RateLimiter } from "./ratelimit/rate-limiter.ts";

// Routes are listed, not discovered: this is the whole API surface.
const app = createApp();
registerHealth(app);
// Sentry SDKs post to /api/:numericId/envelope/ with a DSN key, no cookie: before the CSRF guard.
registerSentry(app);
// Per-IP limits come first, so a flood costs neither a body read nor a password hash.
app.use(
  "/api/*",
  ipRateLimit((c) => apiSurface(c.req.method, c.req.path)),
);
// Cookie-authenticated mutations: JSON from an allowed Origin only.
// Bodies are bounded (and read) before anything else looks at them, auth included.
app.use("/api/*", apiBodyLimit);
app.use("/api/*", csrfGuard);
registerAuth(app);
registerOrgs(app);
registerProjects(app);
registerMembers(app);
registerKeys(app);
registerAudit(app);
registerBilling(app);
registerOverview(app);
registerIssues(app);
registerEvents(app);
registerOutcomes(app);
registerSessions(app);
registerSourcemaps(app);
registerAlerts(app);
registerReleases(app);
registerPerformance(app);
registerSearch(app);
// Off unless the bench's stack sets BENCH_ROUTES / SERVER_TIMING (never in production).
registerBenchRoutes(app);
registerIngest(app);
// Stripe signs its webhooks; no cookie, no CSRF guard (outside /api/*).
registerWebhooks(app);
registerOpenApi(app);

export { app };

/** Cron expressions of wrangler.toml `[triggers]`, each with its job. */
export const CRONS = { retention: "17 * * * *", alerts: "* * * * *" } as const;

export default {
  fetch: app.fetch,
  async scheduled(controller, env, ctx) {
    const logger = createLogger(env.LOG_LEVEL, { cron: controller.cron });
    const handle = createDatabase(databaseOptions(env));
    try {
      if (controller.cron === CRONS.alerts) {
        await runAlertJobs(handle.db, env, logger, new Date(controller.scheduledTime));
        return;
      }
      try {
        await runRetention(handle.db, logger);
      } catch (error) {
        // Nothing is lost: the next run deletes what this one could not.
        logger.error("retention failed", describeError(error));
      }
      try {
        await runArtifactRetention(handle.db, env.ARTIFACTS, logger);
      } catch (error) {
        logger.error("source map retention failed", describeError(error));
      }
    } catch (error) {
      logger.error("scheduled job failed", describeError(error));
    } finally {
      ctx.waitUntil(handle.close());
    }
  },
} satisfies ExportedHandler<Bindings>;
