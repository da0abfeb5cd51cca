import { Title } from "@solidjs/meta";
import { A, createAsync, useParams } from "@solidjs/router";
import { createSignal, Show } from "solid-js";
import { TimeChart } from "~/components/Chart";
import { DataTable } from "~/components/DataTable";
import { CursorPager } from "~/components/Pager";
import { Boundary, EmptyState } from "~/components/states";
import { getEventGroups, getEvents } from "~/lib/api";
import { firstParam, useViewFilters } from "~/lib/filters";
import { formatCount, formatDateTime, formatRelative } from "~/lib/format";
import type { EventGroup, EventRow } from "~/lib/types";

export default function Events() {
  const params = useParams<Record<string, string>>();
  const { filters, params: search, setParams, withFilters } = useViewFilters();
  const name = () => firstParam(search.name);
  const groups = createAsync(() => getEventGroups(params.projectId, filters()));
  const events = createAsync(() =>
    getEvents(params.projectId, {
      ...filters(),
      name: name(),
      prop: firstParam(search.prop),
      value: firstParam(search.value),
      cursor: firstParam(search.cursor),
    }),
  );
  const [prop, setProp] = createSignal(firstParam(search.prop) ?? "");
  const [value, setValue] = createSignal(firstParam(search.value) ?? "");
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
            <DataTable<EventGroup>
              rows={groups()?.groups}
              rowProps={() => ({ "data-testid": "event-group" })}
              columns={[
                {
                  header: "Name",
                  cell: (group) => <A href={withFilters(base(), { name: group.name })}>{group.name}</A>,
                },
                { header: "Count", class: "num", cell: (group) => formatCount(group.count) },
                {
                  header: "Trend",
                  class: "hide-phone",
                  cellClass: "trend-cell",
                  headerStyle: { width: "156px" },
                  cell: (group) => (
                    <TimeChart
                      spark
                      width={140}
                      height={28}
                      times={groups()?.times ?? []}
                      series={[{ label: group.name, values: group.series, color: "--series-1" }]}
                      label={`${group.name}: ${formatCount(group.count)} events, per ${groups()?.window.bucket ?? "bucket"}`}
                    />
                  ),
                },
                { header: "Last seen", cell: (group) => formatRelative(group.lastSeen) },
              ]}
            />
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
            <Show when={name() || firstParam(search.prop)}>
              <A class="button" href={withFilters(base())}>
                Clear
              </A>
            </Show>
          </form>
        </div>
        <Boundary>
          <Show when={(events()?.items.length ?? 0) > 0} fallback={<p class="muted">No events match these filters.</p>}>
            <DataTable<EventRow>
              rows={events()?.items}
              rowProps={() => ({ "data-testid": "event-row" })}
              columns={[
                {
                  header: "Time",
                  cell: (event) => <A href={withFilters(`${base()}/${event.id}`)}>{formatDateTime(event.timestamp)}</A>,
                },
                { header: "Name", cell: (event) => event.name },
                { header: "App", class: "hide-phone", cell: (event) => event.app ?? "–" },
                { header: "User", class: "hide-phone", cell: (event) => event.userId ?? "–" },
                {
                  header: "Properties",
                  cellClass: "mono small",
                  cell: (event) => JSON.stringify(event.properties ?? {}).slice(0, 120),
                },
              ]}
            />
            <CursorPager
              current={firstParam(search.cursor)}
              next={events()?.nextCursor}
              onPage={(next) => setParams({ cursor: next })}
            />
          </Show>
        </Boundary>
      </section>
    </div>
  );
}
