import { Title } from "@solidjs/meta";
import { A, createAsync, useParams } from "@solidjs/router";
import { For, Show } from "solid-js";
import { Boundary, EmptyState } from "~/components/states";
import { getSessions } from "~/lib/api";
import { useViewFilters } from "~/lib/filters";
import { formatDuration, formatRelative } from "~/lib/format";

function one(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value || undefined;
}

export default function Sessions() {
  const params = useParams<Record<string, string>>();
  const { filters, params: search, setParams, withFilters } = useViewFilters();
  const sessions = createAsync(() => getSessions(params.projectId, { ...filters(), cursor: one(search.cursor) }));
  const base = () => `/projects/${params.projectId}/sessions`;
  return (
    <div class="stack-gap">
      <Title>Sessions · Telemetry Tracker</Title>
      <h1>Sessions</h1>
      <section class="card">
        <Boundary>
          <Show
            when={(sessions()?.items.length ?? 0) > 0}
            fallback={
              <EmptyState title="No sessions in this range">
                <p>
                  The browser and mobile SDKs start sessions by themselves; servers call <code>startSession()</code>.
                </p>
              </EmptyState>
            }
          >
            <div class="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th>Session</th>
                    <th>User</th>
                    <th>Status</th>
                    <th class="num">Errors</th>
                    <th class="num">Duration</th>
                    <th class="hide-phone">Device</th>
                    <th>Started</th>
                  </tr>
                </thead>
                <tbody>
                  <For each={sessions()?.items}>
                    {(session) => (
                      <tr data-testid="session-row">
                        <td>
                          <A href={withFilters(`${base()}/${session.id}`)} class="mono">
                            {session.sessionId.slice(0, 12)}
                          </A>
                          <div class="muted small">{session.app ?? ""}</div>
                        </td>
                        <td>{session.userId ?? "anonymous"}</td>
                        <td>
                          <span
                            class={`badge ${session.status === "crashed" || session.status === "errored" ? "unresolved" : ""}`}
                          >
                            {session.status ?? "–"}
                          </span>
                        </td>
                        <td class="num">{session.errors ?? 0}</td>
                        <td class="num">{formatDuration(session.durationMs)}</td>
                        <td class="hide-phone">{session.device ?? "–"}</td>
                        <td>{formatRelative(session.startedAt)}</td>
                      </tr>
                    )}
                  </For>
                </tbody>
              </table>
            </div>
            <div class="row" style={{ "margin-top": "0.75rem" }}>
              <Show when={one(search.cursor)}>
                <button type="button" onClick={() => setParams({ cursor: undefined })}>
                  First page
                </button>
              </Show>
              <Show when={sessions()?.nextCursor}>
                {(cursor) => (
                  <button type="button" onClick={() => setParams({ cursor: cursor() })}>
                    Next page
                  </button>
                )}
              </Show>
            </div>
          </Show>
        </Boundary>
      </section>
    </div>
  );
}
