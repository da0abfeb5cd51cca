import { Title } from "@solidjs/meta";
import { A, createAsync, useParams } from "@solidjs/router";
import { Show } from "solid-js";
import { CRASH_FREE_GOOD, CRASH_FREE_WARNING, CrashFree } from "~/components/CrashFree";
import { DataTable } from "~/components/DataTable";
import { CursorPager } from "~/components/Pager";
import { Boundary, EmptyState } from "~/components/states";
import { getReleases, type ReleaseSort, releaseSort } from "~/lib/api";
import { firstParam, releasePath, useViewFilters } from "~/lib/filters";
import { formatCount, formatRelative } from "~/lib/format";
import type { ReleaseHealth } from "~/lib/types";

export default function Releases() {
  const params = useParams<Record<string, string>>();
  const { filters, params: search, withFilters } = useViewFilters();
  const sort = () => releaseSort(firstParam(search.sort));
  const cursor = () => firstParam(search.cursor);
  const releases = createAsync(() => getReleases(params.projectId, { ...filters(), sort: sort(), cursor: cursor() }));
  const base = () => `/projects/${params.projectId}/releases`;
  const keep = (extra: Record<string, string | undefined>) => withFilters(base(), { sort: sort(), ...extra });
  /** A column header that sorts by `key` (a new sort starts on the first page). */
  const sortable = (label: string, key: ReleaseSort) => (
    // A plain link (the router still handles it): `<A>` would mark every sort header active, as
    // they share one path and differ only in the query.
    <a
      href={keep({ sort: key, cursor: undefined })}
      class={`sort ${sort() === key ? "active" : ""}`}
      aria-current={sort() === key ? "true" : undefined}
      data-testid={`sort-${key}`}
    >
      {label}
      {sort() === key ? " ↓" : ""}
    </a>
  );
  return (
    <div class="stack-gap">
      <Title>Releases · Telemetry Tracker</Title>
      <h1>Releases</h1>
      <section class="card">
        <Boundary>
          <Show
            when={(releases()?.items.length ?? 0) > 0}
            fallback={
              <EmptyState title="No releases in this range">
                <p>
                  Set <code>release</code> in the SDK's <code>init</code>: sessions and errors then count towards their
                  release.
                </p>
              </EmptyState>
            }
          >
            <DataTable<ReleaseHealth>
              rows={releases()?.items}
              rowProps={(release) => ({ "data-testid": "release-row", "data-release": release.release })}
              columns={[
                {
                  header: "Release",
                  cell: (release) => (
                    <A href={withFilters(releasePath(params.projectId, release.release))} class="mono">
                      {release.release}
                    </A>
                  ),
                },
                {
                  header: sortable("Adoption", "adoption"),
                  class: "num",
                  cell: (release) => <span data-testid="adoption">{release.adoption.toFixed(1)}%</span>,
                },
                {
                  header: "Sessions",
                  class: "num",
                  cell: (release) => <span data-testid="sessions">{formatCount(release.sessions)}</span>,
                },
                {
                  header: sortable("Crash-free sessions", "crash_free"),
                  class: "num",
                  cell: (release) => <CrashFree value={release.crashFreeSessions} testId="crash-free-sessions" />,
                },
                {
                  header: "Crash-free users",
                  class: "num",
                  cell: (release) => <CrashFree value={release.crashFreeUsers} testId="crash-free-users" />,
                },
                {
                  header: sortable("Errors", "errors"),
                  class: "num",
                  cell: (release) => <span data-testid="errors">{formatCount(release.errors)}</span>,
                },
                {
                  header: "New issues",
                  class: "num hide-phone",
                  cell: (release) => <span data-testid="new-issues">{formatCount(release.newIssues)}</span>,
                },
                {
                  header: sortable("First seen", "first_seen"),
                  cell: (release) => formatRelative(release.firstSeen),
                },
                { header: "Last seen", class: "hide-phone", cell: (release) => formatRelative(release.lastSeen) },
              ]}
            />
            <CursorPager current={cursor()} next={releases()?.nextCursor} href={(next) => keep({ cursor: next })} />
          </Show>
        </Boundary>
        <p class="muted small">
          Crash-free: sessions (or users) without a crash. ● good at {CRASH_FREE_GOOD}% or more, ▲ warning from{" "}
          {CRASH_FREE_WARNING}%, ✖ poor below. Adoption is the release's share of the range's sessions.
        </p>
      </section>
    </div>
  );
}
