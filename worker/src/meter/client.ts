import type { Bindings } from "../env.ts";
import type { ProjectMeter } from "./project-meter.ts";

/** The project's ProjectMeter: one object per project id, wherever the request lands. */
export function meterFor(env: Bindings, projectId: string): DurableObjectStub<ProjectMeter> {
  return env.PROJECT_METER.get(env.PROJECT_METER.idFromName(projectId)) as DurableObjectStub<ProjectMeter>;
}
