import { Title } from "@solidjs/meta";
import { A, createAsync, useParams } from "@solidjs/router";
import { For, Show } from "solid-js";
import { Boundary } from "~/components/states";
import { getSession } from "~/lib/api";
import { useViewFilters } from "~/lib/filters";
import { formatDateTime, formatDuration } from "~/lib/format";

export default function SessionDetail() {
  const params = useParams<Record<string, string>>();
  const { withFilters } = useViewFilters();
  const session = createAsync(() => getSession(params.projectId, params.sessionId));
  const base = () => `/projects/${params.projectId}`;
  return (
    <div class="stack-gap">
      <Title>Session · Telemetry Tracker</Title>
      <A href={withFilters(`${base()}/sessions`)} class="small">
        ← Sessions
      </A>
      <Boundary>
        <Show when={session()}>
          {(data) => (
            <>
              <h1 class="mono">{data().sessionId}</h1>
              <section class="card">
                <dl class="kv">
                  <dt>User</dt>
                  <dd>{data().userId ?? "anonymous"}</dd>
                  <dt>Status</dt>
                  <dd>{data().status ?? "–"}</dd>
                  <dt>App</dt>
                  <dd>{data().app ?? "–"}</dd>
                  <dt>Started</dt>
                  <dd>{formatDateTime(data().startedAt)}</dd>
                  <dt>Duration</dt>
                  <dd>{formatDuration(data().durationMs)}</dd>
                  <dt>Device</dt>
                  <dd>{data().device ?? "–"}</dd>
                </dl>
              </section>
              <section class="card">
                <h2>Timeline</h2>
                <Show
                  when={data().timeline.length > 0}
                  fallback={<p class="muted">No events or errors were recorded in this session.</p>}
                >
                  <ol class="timeline">
                    <For each={data().timeline}>
                      {(item) => (
                        <li class={item.kind === "error" ? "error" : ""}>
                          <span class="muted small">{formatDateTime(item.timestamp)}</span>{" "}
                          <Show
                            when={item.kind === "error" ? item : undefined}
                            fallback={<span>{(item as { name: string }).name}</span>}
                          >
                            {(error) => (
                              <span>
                                <span class="badge unresolved">error</span>{" "}
                                <Show when={error().issueId} fallback={error().message}>
                                  <A href={withFilters(`${base()}/issues/${error().issueId}`)}>{error().message}</A>
                                </Show>
                              </span>
                            )}
                          </Show>
                        </li>
                      )}
                    </For>
                  </ol>
                </Show>
              </section>
            </>
          )}
        </Show>
      </Boundary>
    </div>
  );
}
