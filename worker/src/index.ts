import { createApp } from "./app.ts";
import type { Bindings } from "./env.ts";
import { registerHealth } from "./routes/health.ts";
import { registerOpenApi } from "./routes/openapi.ts";

export { ProjectMeter } from "./meter/project-meter.ts";

// Routes are listed, not discovered: this is the whole API surface.
const app = createApp();
registerHealth(app);
registerOpenApi(app);

export { app };

export default {
  fetch: app.fetch,
  async scheduled(_controller, _env, _ctx) {},
} satisfies ExportedHandler<Bindings>;
