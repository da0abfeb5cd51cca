import { createAsync, useParams, useSearchParams } from "@solidjs/router";
import { For, Show } from "solid-js";
import { getAudit, getProjectContext } from "~/lib/api";
import { formatDateTime } from "~/lib/format";

export default function AuditPage() {
  const params = useParams<Record<string, string>>();
  const [search, setSearch] = useSearchParams();
  const context = createAsync(() => getProjectContext(params.projectId));
  const cursor = () => (typeof search.cursor === "string" ? search.cursor : undefined);
  const audit = createAsync(async () => (context() ? await getAudit(context()!.org.id, cursor()) : undefined));
  return (
    <section class="card">
      <h2>Audit log</h2>
      <Show when={(audit()?.items.length ?? 0) > 0} fallback={<p class="muted">Nothing recorded yet.</p>}>
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th>When</th>
                <th>Who</th>
                <th>What</th>
                <th class="hide-phone">Target</th>
                <th class="hide-phone">IP</th>
              </tr>
            </thead>
            <tbody>
              <For each={audit()?.items}>
                {(entry) => (
                  <tr data-testid="audit-row">
                    <td>{formatDateTime(entry.createdAt)}</td>
                    <td>{entry.actor?.email ?? "system"}</td>
                    <td>
                      <code>{entry.action}</code>
                      <Show when={Object.keys(entry.metadata ?? {}).length > 0}>
                        <div class="muted small mono">{JSON.stringify(entry.metadata).slice(0, 120)}</div>
                      </Show>
                    </td>
                    <td class="hide-phone">{entry.targetType ? `${entry.targetType} ${entry.targetId ?? ""}` : "–"}</td>
                    <td class="hide-phone">{entry.ip ?? "–"}</td>
                  </tr>
                )}
              </For>
            </tbody>
          </table>
        </div>
      </Show>
      <div class="row" style={{ "margin-top": "0.75rem" }}>
        <Show when={cursor()}>
          <button type="button" onClick={() => setSearch({ cursor: undefined })}>
            Newest
          </button>
        </Show>
        <Show when={audit()?.nextCursor}>
          {(next) => (
            <button type="button" onClick={() => setSearch({ cursor: next() })}>
              Older
            </button>
          )}
        </Show>
      </div>
    </section>
  );
}
