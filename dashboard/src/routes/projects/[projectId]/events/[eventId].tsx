import { Title } from "@solidjs/meta";
import { A, createAsync, useParams } from "@solidjs/router";
import { Show } from "solid-js";
import { Boundary } from "~/components/states";
import { getEvent } from "~/lib/api";
import { useViewFilters } from "~/lib/filters";
import { formatDateTime } from "~/lib/format";

export default function EventDetail() {
  const params = useParams<Record<string, string>>();
  const { withFilters } = useViewFilters();
  const data = createAsync(() => getEvent(params.projectId, params.eventId));
  return (
    <div class="stack-gap">
      <Title>Event · Telemetry Tracker</Title>
      <A href={withFilters(`/projects/${params.projectId}/events`)} class="small">
        ← Events
      </A>
      <Boundary>
        <Show when={data()?.event}>
          {(event) => (
            <>
              <h1>{event().name}</h1>
              <section class="card">
                <dl class="kv">
                  <dt>Time</dt>
                  <dd>{formatDateTime(event().timestamp)}</dd>
                  <dt>App</dt>
                  <dd>{event().app ?? "–"}</dd>
                  <dt>Environment</dt>
                  <dd>{event().environment ?? "–"}</dd>
                  <dt>User</dt>
                  <dd>{event().userId ?? "–"}</dd>
                  <dt>Session</dt>
                  <dd>
                    <Show when={event().sessionId} fallback="–">
                      <span class="mono">{event().sessionId}</span>
                    </Show>
                  </dd>
                  <dt>Event id</dt>
                  <dd class="mono">{event().id}</dd>
                </dl>
              </section>
              <section class="card">
                <h2>Properties</h2>
                <pre>{JSON.stringify(event().properties ?? {}, null, 2)}</pre>
              </section>
            </>
          )}
        </Show>
      </Boundary>
    </div>
  );
}
