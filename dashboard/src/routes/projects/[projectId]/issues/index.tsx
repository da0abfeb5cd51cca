import { Title } from "@solidjs/meta";
import { A, createAsync, useParams } from "@solidjs/router";
import { createSignal, For, Show } from "solid-js";
import { DataTable } from "~/components/DataTable";
import { CursorPager } from "~/components/Pager";
import { Boundary, EmptyState } from "~/components/states";
import { getFilterOptions, getIssues } from "~/lib/api";
import { firstParam, useViewFilters } from "~/lib/filters";
import { formatCount, formatRelative } from "~/lib/format";
import type { IssueSummary } from "~/lib/types";

const STATUSES = [
  { value: "unresolved", label: "Unresolved" },
  { value: "resolved", label: "Resolved" },
  { value: "ignored", label: "Ignored" },
  { value: "all", label: "All" },
];

const SORTS = [
  { value: "last_seen", label: "Last seen" },
  { value: "first_seen", label: "First seen" },
  { value: "occurrences", label: "Occurrences" },
  { value: "users", label: "Users affected" },
];

export default function Issues() {
  const params = useParams<Record<string, string>>();
  const { filters, params: search, setParams, withFilters } = useViewFilters();
  const status = () => firstParam(search.status) ?? "unresolved";
  const query = () => ({
    ...filters(),
    status: status(),
    q: firstParam(search.q),
    sort: firstParam(search.sort),
    release: firstParam(search.release),
    cursor: firstParam(search.cursor),
  });
  const issues = createAsync(() => getIssues(params.projectId, query()));
  const options = createAsync(() =>
    getFilterOptions(params.projectId).catch(() => ({ apps: [], environments: [], releases: [] })),
  );
  const release = () => firstParam(search.release);
  const [text, setText] = createSignal(firstParam(search.q) ?? "");
  const base = () => `/projects/${params.projectId}`;
  const keep = (extra: Record<string, string | undefined>) =>
    withFilters(`${base()}/issues`, {
      status: status(),
      q: firstParam(search.q),
      sort: firstParam(search.sort),
      release: release(),
      ...extra,
    });
  return (
    <div class="stack-gap">
      <Title>Issues · Telemetry Tracker</Title>
      <h1>Issues</h1>
      <div class="spread">
        <nav class="tabs" aria-label="Issue status">
          <For each={STATUSES}>
            {(item) => (
              <A
                href={keep({ status: item.value, cursor: undefined })}
                class={status() === item.value ? "active" : ""}
                aria-current={status() === item.value ? "page" : undefined}
              >
                {item.label}
              </A>
            )}
          </For>
        </nav>
        <form
          class="row"
          aria-label="Search issues"
          onSubmit={(event) => {
            event.preventDefault();
            setParams({ q: text() || undefined, cursor: undefined });
          }}
        >
          <input
            type="search"
            aria-label="Search issues"
            placeholder="Search message or type"
            value={text()}
            onInput={(event) => setText(event.currentTarget.value)}
          />
          <label class="row">
            <span class="visually-hidden">Sort</span>
            <select
              aria-label="Sort"
              value={firstParam(search.sort) ?? "last_seen"}
              onChange={(event) => setParams({ sort: event.currentTarget.value, cursor: undefined })}
            >
              <For each={SORTS}>{(sort) => <option value={sort.value}>{sort.label}</option>}</For>
            </select>
          </label>
          <label class="row">
            <span class="visually-hidden">Release</span>
            <select
              name="release"
              aria-label="Release"
              value={release() ?? ""}
              onChange={(event) => setParams({ release: event.currentTarget.value || undefined, cursor: undefined })}
            >
              <option value="">All releases</option>
              <For each={options()?.releases ?? []}>
                {(name) => (
                  <option value={name} selected={release() === name}>
                    {name}
                  </option>
                )}
              </For>
            </select>
          </label>
          <button type="submit">Search</button>
        </form>
      </div>
      <section class="card">
        <Boundary>
          <Show
            when={(issues()?.items.length ?? 0) > 0}
            fallback={
              <EmptyState title={status() === "unresolved" ? "No unresolved issues" : "No issues match"}>
                <p>
                  Errors your apps send are grouped here. Try another status, a wider time range, or clear the search.
                </p>
              </EmptyState>
            }
          >
            <DataTable<IssueSummary>
              rows={issues()?.items}
              rowProps={() => ({ "data-testid": "issue-row" })}
              columns={[
                {
                  header: "Issue",
                  cell: (issue) => (
                    <>
                      <A href={withFilters(`${base()}/issues/${issue.id}`)}>
                        <strong>{issue.title}</strong>
                      </A>
                      <div class="muted small">
                        {issue.culprit ?? issue.type ?? ""} · first seen {formatRelative(issue.firstSeen)}
                        <Show when={issue.regressed}>
                          {" "}
                          <span class="badge regression">regression</span>
                        </Show>
                      </div>
                    </>
                  ),
                },
                {
                  header: "Status",
                  class: "hide-phone",
                  cell: (issue) => <span class={`badge ${issue.status}`}>{issue.status}</span>,
                },
                { header: "Events", class: "num", cell: (issue) => formatCount(issue.occurrences) },
                { header: "Users", class: "num hide-phone", cell: (issue) => formatCount(issue.usersAffected ?? 0) },
                { header: "Last seen", cell: (issue) => formatRelative(issue.lastSeen) },
              ]}
            />
            <CursorPager
              current={firstParam(search.cursor)}
              next={issues()?.nextCursor}
              href={(cursor) => keep({ cursor })}
            />
          </Show>
        </Boundary>
      </section>
    </div>
  );
}
