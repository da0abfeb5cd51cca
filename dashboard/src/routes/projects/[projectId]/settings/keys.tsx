import { createAsync, useAction, useParams, useSubmission } from "@solidjs/router";
import { createSignal, For, Show } from "solid-js";
import { FormError } from "~/components/AuthCard";
import { EmptyState } from "~/components/states";
import { createKey, getKeys, getProjectContext, revokeKey } from "~/lib/api";
import { formatDateTime, formatRelative } from "~/lib/format";

export default function Keys() {
  const params = useParams<Record<string, string>>();
  const keys = createAsync(() => getKeys(params.projectId));
  const context = createAsync(() => getProjectContext(params.projectId));
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
              );
              if (result.ok) {
                setSecret(result.data.secret);
                formElement.reset();
              }
            }}
          >
            <label>
              <span>Name</span>
              <input name="name" required maxLength={100} placeholder="Production web" />
            </label>
            <label>
              <span>Allowed app (optional)</span>
              <input name="allowedApp" maxLength={64} placeholder="web" />
            </label>
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
          <div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Key</th>
                  <th class="hide-phone">App</th>
                  <th class="hide-phone">Created</th>
                  <th>Last used</th>
                  <th>Status</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                <For each={keys()?.keys}>
                  {(key) => (
                    <tr data-testid="key-row" data-key-name={key.name}>
                      <td>{key.name}</td>
                      <td class="mono small">{key.preview}</td>
                      <td class="hide-phone">{key.allowedApp ?? "any"}</td>
                      <td class="hide-phone">{formatDateTime(key.createdAt)}</td>
                      <td>{formatRelative(key.lastUsedAt)}</td>
                      <td>
                        <span class={`badge ${key.status === "active" ? "resolved" : "unresolved"}`}>{key.status}</span>
                      </td>
                      <td>
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
                      </td>
                    </tr>
                  )}
                </For>
              </tbody>
            </table>
          </div>
        </Show>
      </section>
    </div>
  );
}
