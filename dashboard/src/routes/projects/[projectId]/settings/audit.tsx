import { createAsync, useParams, useSearchParams } from "@solidjs/router";
import { Show } from "solid-js";
import { DataTable } from "~/components/DataTable";
import { CursorPager } from "~/components/Pager";
import { getAudit, getProjectContext } from "~/lib/api";
import { formatDateTime } from "~/lib/format";
import type { AuditEntry } from "~/lib/types";

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
        <DataTable<AuditEntry>
          rows={audit()?.items}
          rowProps={() => ({ "data-testid": "audit-row" })}
          columns={[
            { header: "When", cell: (entry) => formatDateTime(entry.createdAt) },
            { header: "Who", cell: (entry) => entry.actor?.email ?? "system" },
            {
              header: "What",
              cell: (entry) => (
                <>
                  <code>{entry.action}</code>
                  <Show when={Object.keys(entry.metadata ?? {}).length > 0}>
                    <div class="muted small mono">{JSON.stringify(entry.metadata).slice(0, 120)}</div>
                  </Show>
                </>
              ),
            },
            {
              header: "Target",
              class: "hide-phone",
              cell: (entry) => (entry.targetType ? `${entry.targetType} ${entry.targetId ?? ""}` : "–"),
            },
            { header: "IP", class: "hide-phone", cell: (entry) => entry.ip ?? "–" },
          ]}
        />
      </Show>
      <CursorPager
        current={cursor()}
        next={audit()?.nextCursor}
        onPage={(next) => setSearch({ cursor: next })}
        firstLabel="Newest"
        nextLabel="Older"
      />
    </section>
  );
}
