import { createAsync, useAction, useParams, useSubmission } from "@solidjs/router";
import { createSignal, Show } from "solid-js";
import { DataTable } from "~/components/DataTable";
import { Field, FormError } from "~/components/Form";
import { EmptyState } from "~/components/states";
import { createKey, getIngestUrl, getKeys, getProjectContext, revokeKey, sentryDsn } from "~/lib/api";
import { formatDateTime, formatRelative } from "~/lib/format";
import type { ApiKey } from "~/lib/types";

export default function Keys() {
  const params = useParams<Record<string, string>>();
  const keys = createAsync(() => getKeys(params.projectId));
  const context = createAsync(() => getProjectContext(params.projectId));
  const ingestUrl = createAsync(() => getIngestUrl());
  const dsnOf = (key: ApiKey) => {
    const project = context()?.project;
    return project && ingestUrl() ? sentryDsn(ingestUrl() as string, key.publicId, project.numericId) : "";
  };
  const create = useAction(createKey);
  const creating = useSubmission(createKey);
  const revoke = useAction(revokeKey);
  const revoking = useSubmission(revokeKey);
  const [secret, setSecret] = createSignal<string>();
  const role = () => context()?.role;
  const canCreate = () => role() === "OWNER" || role() === "EDITOR";
  const canRevoke = () => role() === "OWNER";
  return (
    <div class="stack-gap">
      <Show when={canCreate()}>
        <section class="card">
          <h2>Create a key</h2>
          <form
            class="row"
            onSubmit={async (event) => {
              event.preventDefault();
              const formElement = event.currentTarget;
              const form = new FormData(formElement);
              setSecret(undefined);
              const result = await create(
                params.projectId,
                String(form.get("name") ?? ""),
                String(form.get("allowedApp") ?? "") || undefined,
                form.get("scope") === "sourcemap_upload" ? "sourcemap_upload" : "ingest",
              );
              if (result.ok) {
                setSecret(result.data.secret);
                formElement.reset();
              }
            }}
          >
            <Field label="Name">
              <input name="name" required maxLength={100} placeholder="Production web" />
            </Field>
            <Field label="Allowed app (optional)">
              <input name="allowedApp" maxLength={64} placeholder="web" />
            </Field>
            <Field label="Scope">
              <select name="scope">
                <option value="ingest">Ingest (SDKs)</option>
                <option value="sourcemap_upload">Source map upload (CI)</option>
              </select>
            </Field>
            <button class="primary" type="submit" disabled={creating.pending} style={{ "align-self": "end" }}>
              Create key
            </button>
          </form>
          <FormError result={creating.result} />
          <Show when={secret()}>
            <div class="stack-gap" style={{ "margin-top": "0.75rem" }}>
              <p>
                <strong>Copy this key now.</strong> It is shown only once; we keep only a hash.
              </p>
              <div class="secret" data-testid="new-api-key">
                {secret()}
              </div>
            </div>
          </Show>
        </section>
      </Show>
      <section class="card">
        <h2>Keys</h2>
        <FormError result={revoking.result} />
        <Show
          when={(keys()?.keys.length ?? 0) > 0}
          fallback={
            <EmptyState title="No keys yet">
              {canCreate() ? <p>Create one above.</p> : <p>Ask an editor to create one.</p>}
            </EmptyState>
          }
        >
          <DataTable<ApiKey>
            rows={keys()?.keys}
            rowProps={(key) => ({ "data-testid": "key-row", "data-key-name": key.name })}
            columns={[
              { header: "Name", cell: (key) => key.name },
              { header: "Key", cellClass: "mono small", cell: (key) => key.preview },
              {
                header: "Sentry DSN",
                class: "hide-phone",
                cellClass: "mono small",
                cell: (key) => (key.status === "active" ? <span data-testid="key-dsn">{dsnOf(key)}</span> : "—"),
              },
              { header: "App", class: "hide-phone", cell: (key) => key.allowedApp ?? "any" },
              {
                header: "Scope",
                cell: (key) => key.scopes.map((s) => (s === "sourcemap_upload" ? "source maps" : s)).join(", "),
              },
              { header: "Created", class: "hide-phone", cell: (key) => formatDateTime(key.createdAt) },
              { header: "Last used", cell: (key) => formatRelative(key.lastUsedAt) },
              {
                header: "Status",
                cell: (key) => (
                  <span class={`badge ${key.status === "active" ? "resolved" : "unresolved"}`}>{key.status}</span>
                ),
              },
              {
                header: "",
                cell: (key) => (
                  <Show when={canRevoke() && key.status === "active"}>
                    <button
                      type="button"
                      class="danger"
                      disabled={revoking.pending}
                      onClick={() => {
                        if (confirm(`Revoke "${key.name}"? Apps using it are refused within seconds.`))
                          void revoke(params.projectId, key.id);
                      }}
                    >
                      Revoke
                    </button>
                  </Show>
                ),
              },
            ]}
          />
        </Show>
      </section>
    </div>
  );
}
