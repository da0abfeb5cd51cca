import { Title } from "@solidjs/meta";
import { createAsync, useAction, useSearchParams } from "@solidjs/router";
import { createSignal, For, Show } from "solid-js";
import { AuthCard } from "~/components/AuthCard";
import { WaitingForFirstEvent } from "~/components/FirstEvent";
import { Snippets } from "~/components/Snippets";
import { createKey, createOrg, createProject, getIngestUrl, getOrgs, sentryDsn } from "~/lib/api";

function slugify(name: string): string {
  return (
    name
      .toLowerCase()
      .trim()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-+|-+$/g, "")
      .slice(0, 48) || "project"
  );
}

/**
 * First run: an organization (unless one is chosen), a project, an ingest key, the snippets with
 * that key filled in, and a panel that turns live when the first event arrives.
 */
export default function Onboarding() {
  const [params] = useSearchParams();
  const orgs = createAsync(() => getOrgs());
  const ingestUrl = createAsync(() => getIngestUrl());
  const doCreateOrg = useAction(createOrg);
  const doCreateProject = useAction(createProject);
  const doCreateKey = useAction(createKey);
  const [error, setError] = createSignal<string>();
  const [busy, setBusy] = createSignal(false);
  const [done, setDone] = createSignal<{ projectId: string; apiKey: string; sentryDsn?: string }>();

  const existingOrgId = () => {
    if (params.new === "org") return undefined;
    if (typeof params.org === "string" && params.org) return params.org;
    return undefined;
  };

  const submit = async (event: SubmitEvent) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    setError(undefined);
    setBusy(true);
    try {
      let orgId = existingOrgId() ?? String(form.get("orgId") ?? "");
      if (!orgId) {
        const org = await doCreateOrg(String(form.get("orgName") ?? "").trim());
        if (!org.ok) return setError(org.message);
        orgId = org.data.org.id;
      }
      const name = String(form.get("projectName") ?? "").trim();
      const project = await doCreateProject(orgId, name, slugify(name));
      if (!project.ok) return setError(project.message);
      const key = await doCreateKey(project.data.project.id, "Default key");
      if (!key.ok) return setError(key.message);
      const secret = key.data.secret;
      const base = ingestUrl();
      setDone({
        projectId: project.data.project.id,
        apiKey: secret,
        sentryDsn: base ? sentryDsn(base, key.data.apiKey.publicId, project.data.project.numericId) : undefined,
      });
    } finally {
      setBusy(false);
    }
  };

  const needsOrg = () => !existingOrgId() && (params.new === "org" || (orgs()?.orgs.length ?? 0) === 0);

  return (
    <AuthCard title={done() ? "Send your first event" : "Set up your project"} wide={Boolean(done())}>
      <Title>Get started · Telemetry Tracker</Title>
      <Show
        when={done()}
        fallback={
          <form class="stack" onSubmit={submit} aria-busy={busy()}>
            <Show
              when={needsOrg()}
              fallback={
                <Show when={!existingOrgId()}>
                  <label>
                    <span>Organization</span>
                    <select name="orgId">
                      <For each={orgs()?.orgs ?? []}>{(org) => <option value={org.id}>{org.name}</option>}</For>
                    </select>
                  </label>
                </Show>
              }
            >
              <label>
                <span>Organization name</span>
                <input name="orgName" required maxLength={100} placeholder="Acme Inc." />
              </label>
            </Show>
            <label>
              <span>Project name</span>
              <input name="projectName" required maxLength={100} placeholder="Web app" />
            </label>
            <Show when={error()}>
              <p class="error-text" role="alert">
                {error()}
              </p>
            </Show>
            <button class="primary" type="submit" disabled={busy()}>
              {busy() ? "Creating…" : "Create project"}
            </button>
          </form>
        }
      >
        {(result) => (
          <div class="stack-gap">
            <p>Your ingest key. Copy it now: it is shown only once.</p>
            <div class="secret" data-testid="new-api-key">
              {result().apiKey}
            </div>
            <Snippets ingestUrl={ingestUrl() ?? ""} apiKey={result().apiKey} sentryDsn={result().sentryDsn} />
            <WaitingForFirstEvent projectId={result().projectId} />
            <a class="button" href={`/projects/${result().projectId}`}>
              Skip to the dashboard
            </a>
          </div>
        )}
      </Show>
    </AuthCard>
  );
}
