import { createAsync, useAction, useParams, useSubmission } from "@solidjs/router";
import { createSignal, Show } from "solid-js";
import { Field, FormError, FormSuccess } from "~/components/Form";
import { getProjectContext, renameOrg, updateProject } from "~/lib/api";

export default function ProjectSettings() {
  const params = useParams<Record<string, string>>();
  const context = createAsync(() => getProjectContext(params.projectId));
  const save = useAction(updateProject);
  const saving = useSubmission(updateProject);
  const saveOrg = useAction(renameOrg);
  const savingOrg = useSubmission(renameOrg);
  const [saved, setSaved] = createSignal(false);
  const canEdit = () => context()?.role !== "VIEWER";
  return (
    <Show when={context()}>
      {(ctx) => (
        <div class="grid two">
          <section class="card">
            <h2>Project</h2>
            <form
              class="stack"
              onSubmit={async (event) => {
                event.preventDefault();
                const form = new FormData(event.currentTarget);
                setSaved(false);
                const deny = String(form.get("piiDenyKeys") ?? "")
                  .split(/[\n,]/)
                  .map((key) => key.trim())
                  .filter(Boolean);
                const result = await save(params.projectId, {
                  name: String(form.get("name") ?? ""),
                  slug: String(form.get("slug") ?? ""),
                  piiDenyKeys: deny,
                });
                setSaved(result.ok);
              }}
            >
              <fieldset
                disabled={!canEdit()}
                style={{ border: 0, padding: 0, margin: 0, display: "grid", gap: "0.8rem" }}
              >
                <Field label="Name">
                  <input name="name" value={ctx().project.name} required maxLength={100} />
                </Field>
                <Field label="Slug">
                  <input name="slug" value={ctx().project.slug} required pattern="[a-z0-9][a-z0-9-]*" maxLength={64} />
                </Field>
                <Field
                  label="PII deny list"
                  hint="Values under these keys are scrubbed at ingest, on top of passwords, tokens, cookies and the like."
                >
                  <textarea name="piiDenyKeys" rows={4} placeholder="one property key per line">
                    {(ctx().project.piiDenyKeys ?? []).join("\n")}
                  </textarea>
                </Field>
                <FormError result={saving.result} />
                <FormSuccess result={{ ok: saved() }}>Saved.</FormSuccess>
                <Show
                  when={canEdit()}
                  fallback={<p class="muted small">Only editors and owners can change project settings.</p>}
                >
                  <button class="primary" type="submit" disabled={saving.pending}>
                    Save
                  </button>
                </Show>
              </fieldset>
            </form>
          </section>
          <section class="card">
            <h2>Organization</h2>
            <form
              class="stack"
              onSubmit={(event) => {
                event.preventDefault();
                const form = new FormData(event.currentTarget);
                void saveOrg(ctx().org.id, String(form.get("orgName") ?? ""));
              }}
            >
              <Field label="Name">
                <input
                  name="orgName"
                  value={ctx().org.name}
                  disabled={ctx().role !== "OWNER"}
                  required
                  maxLength={100}
                />
              </Field>
              <p class="small muted">Plan: {ctx().org.plan}</p>
              <FormError result={savingOrg.result} />
              <Show when={ctx().role === "OWNER"}>
                <button type="submit" disabled={savingOrg.pending}>
                  Rename organization
                </button>
              </Show>
            </form>
          </section>
        </div>
      )}
    </Show>
  );
}
