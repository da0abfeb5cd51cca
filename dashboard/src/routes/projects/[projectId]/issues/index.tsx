import { Title } from "@solidjs/meta";
import { A, createAsync, useParams } from "@solidjs/router";
import { createSignal, For, Show } from "solid-js";
import { Boundary, EmptyState } from "~/components/states";
import { getIssues } from "~/lib/api";
import { useViewFilters } from "~/lib/filters";
import { formatCount, formatRelative } from "~/lib/format";

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

function one(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value || undefined;
}

export default function Issues() {
  const params = useParams<Record<string, string>>();
  const { filters, params: search, setParams, withFilters } = useViewFilters();
  const status = () => one(search.status) ?? "unresolved";
  const query = () => ({
    ...filters(),
    status: status(),
    q: one(search.q),
    sort: one(search.sort),
    release: one(search.release),
    cursor: one(search.cursor),
  });
  const issues = createAsync(() => getIssues(params.projectId, query()));
  const [text, setText] = createSignal(one(search.q) ?? "");
  const base = () => `/projects/${params.projectId}`;
  const keep = (extra: Record<string, string | undefined>) =>
    withFilters(`${base()}/issues`, { status: status(), q: one(search.q), sort: one(search.sort), ...extra });
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
              value={one(search.sort) ?? "last_seen"}
              onChange={(event) => setParams({ sort: event.currentTarget.value, cursor: undefined })}
            >
              <For each={SORTS}>{(sort) => <option value={sort.value}>{sort.label}</option>}</For>
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
            <div class="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th>Issue</th>
                    <th class="hide-phone">Status</th>
                    <th class="num">Events</th>
                    <th class="num hide-phone">Users</th>
                    <th>Last seen</th>
                  </tr>
                </thead>
                <tbody>
                  <For each={issues()?.items}>
                    {(issue) => (
                      <tr data-testid="issue-row">
                        <td>
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
                        </td>
                        <td class="hide-phone">
                          <span class={`badge ${issue.status}`}>{issue.status}</span>
                        </td>
                        <td class="num">{formatCount(issue.occurrences)}</td>
                        <td class="num hide-phone">{formatCount(issue.usersAffected ?? 0)}</td>
                        <td>{formatRelative(issue.lastSeen)}</td>
                      </tr>
                    )}
                  </For>
                </tbody>
              </table>
            </div>
            <div class="row" style={{ "margin-top": "0.75rem" }}>
              <Show when={one(search.cursor)}>
                <A class="button" href={keep({ cursor: undefined })}>
                  First page
                </A>
              </Show>
              <Show when={issues()?.nextCursor}>
                {(cursor) => (
                  <A class="button" href={keep({ cursor: cursor() })}>
                    Next page
                  </A>
                )}
              </Show>
            </div>
          </Show>
        </Boundary>
      </section>
    </div>
  );
}
