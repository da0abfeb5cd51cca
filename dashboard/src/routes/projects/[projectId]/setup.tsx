import { Title } from "@solidjs/meta";
import { A, createAsync, useParams } from "@solidjs/router";
import { Show } from "solid-js";
import { WaitingForFirstEvent } from "~/components/FirstEvent";
import { Snippets } from "~/components/Snippets";
import { getIngestUrl, getKeys, getProjectContext, sentryDsn } from "~/lib/api";

/** Snippets for an existing project. Full keys are shown only once, so a placeholder stands in. */
export default function Setup() {
  const params = useParams<Record<string, string>>();
  const ingestUrl = createAsync(() => getIngestUrl());
  const context = createAsync(() => getProjectContext(params.projectId));
  const keys = createAsync(() => getKeys(params.projectId));
  // A DSN needs only the key's public id, so unlike the full key it can be shown any time.
  const dsn = () => {
    const key = keys()?.keys.find((k) => k.status === "active");
    const project = context()?.project;
    return key && project && ingestUrl()
      ? sentryDsn(ingestUrl() as string, key.publicId, project.numericId)
      : undefined;
  };
  return (
    <div class="stack-gap">
      <Title>Setup · Telemetry Tracker</Title>
      <h1>Send telemetry</h1>
      <p>
        Replace <code>tt_live_…</code> with a key of this project. Keys are shown once, when they are created:{" "}
        <A href={`/projects/${params.projectId}/settings/keys`}>create one in Settings → API keys</A>.
      </p>
      <section class="card">
        <Snippets ingestUrl={ingestUrl() ?? ""} apiKey="tt_live_…" sentryDsn={dsn()} />
      </section>
      <Show when={dsn()}>
        <section class="card">
          <h2>Coming from Sentry?</h2>
          <p>
            Keep your Sentry SDK and point its DSN here (see the "Sentry SDK" tab above; each key's DSN is in Settings →
            API keys):
          </p>
          <div class="secret" data-testid="sentry-dsn">
            {dsn()}
          </div>
        </section>
      </Show>
      <WaitingForFirstEvent projectId={params.projectId} />
    </div>
  );
}
