import { Title } from "@solidjs/meta";
import { A, createAsync, useParams } from "@solidjs/router";
import { createSignal, For, Show } from "solid-js";
import { TimeChart } from "~/components/Chart";
import { Boundary, EmptyState } from "~/components/states";
import { getEventGroups, getEvents } from "~/lib/api";
import { useViewFilters } from "~/lib/filters";
import { formatCount, formatDateTime, formatRelative } from "~/lib/format";

function one(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value || undefined;
}

export default function Events() {
  const params = useParams<Record<string, string>>();
  const { filters, params: search, setParams, withFilters } = useViewFilters();
  const name = () => one(search.name);
  const groups = createAsync(() => getEventGroups(params.projectId, filters()));
  const events = createAsync(() =>
    getEvents(params.projectId, {
      ...filters(),
      name: name(),
      prop: one(search.prop),
      value: one(search.value),
      cursor: one(search.cursor),
    }),
  );
  const [prop, setProp] = createSignal(one(search.prop) ?? "");
  const [value, setValue] = createSignal(one(search.value) ?? "");
  const base = () => `/projects/${params.projectId}/events`;
  return (
    <div class="stack-gap">
      <Title>Events · Telemetry Tracker</Title>
      <h1>Events</h1>
      <section class="card">
        <h2>By name</h2>
        <Boundary>
          <Show
            when={(groups()?.groups.length ?? 0) > 0}
            fallback={
              <EmptyState title="No events in this range">
                <p>
                  Send one with <code>trackEvent("name")</code> from an SDK, or widen the time range.
                </p>
              </EmptyState>
            }
          >
            <div class="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th>Name</th>
                    <th class="num">Count</th>
                    <th class="hide-phone" style={{ width: "156px" }}>
                      Trend
                    </th>
                    <th>Last seen</th>
                  </tr>
                </thead>
                <tbody>
                  <For each={groups()?.groups}>
                    {(group) => (
                      <tr data-testid="event-group">
                        <td>
                          <A href={withFilters(base(), { name: group.name })}>{group.name}</A>
                        </td>
                        <td class="num">{formatCount(group.count)}</td>
                        <td class="hide-phone trend-cell">
                          <TimeChart
                            spark
                            width={140}
                            height={28}
                            times={groups()?.times ?? []}
                            series={[{ label: group.name, values: group.series, color: "--series-1" }]}
                            label={`${group.name}: ${formatCount(group.count)} events, per ${groups()?.window.bucket ?? "bucket"}`}
                          />
                        </td>
                        <td>{formatRelative(group.lastSeen)}</td>
                      </tr>
                    )}
                  </For>
                </tbody>
              </table>
            </div>
          </Show>
        </Boundary>
      </section>
      <section class="card">
        <div class="spread">
          <h2>{name() ? `Stream: ${name()}` : "Stream"}</h2>
          <form
            class="row"
            aria-label="Property filter"
            onSubmit={(event) => {
              event.preventDefault();
              setParams({ prop: prop() || undefined, value: value() || undefined, cursor: undefined });
            }}
          >
            <input
              aria-label="Property key"
              placeholder="property key"
              value={prop()}
              onInput={(event) => setProp(event.currentTarget.value)}
            />
            <input
              aria-label="Property value"
              placeholder="value"
              value={value()}
              onInput={(event) => setValue(event.currentTarget.value)}
            />
            <button type="submit">Filter</button>
            <Show when={name() || one(search.prop)}>
              <A class="button" href={withFilters(base())}>
                Clear
              </A>
            </Show>
          </form>
        </div>
        <Boundary>
          <Show when={(events()?.items.length ?? 0) > 0} fallback={<p class="muted">No events match these filters.</p>}>
            <div class="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th>Time</th>
                    <th>Name</th>
                    <th class="hide-phone">App</th>
                    <th class="hide-phone">User</th>
                    <th>Properties</th>
                  </tr>
                </thead>
                <tbody>
                  <For each={events()?.items}>
                    {(event) => (
                      <tr data-testid="event-row">
                        <td>
                          <A href={withFilters(`${base()}/${event.id}`)}>{formatDateTime(event.timestamp)}</A>
                        </td>
                        <td>{event.name}</td>
                        <td class="hide-phone">{event.app ?? "–"}</td>
                        <td class="hide-phone">{event.userId ?? "–"}</td>
                        <td class="mono small">{JSON.stringify(event.properties ?? {}).slice(0, 120)}</td>
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
              <Show when={events()?.nextCursor}>
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
