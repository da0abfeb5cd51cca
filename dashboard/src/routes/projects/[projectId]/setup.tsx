import { Title } from "@solidjs/meta";
import { A, createAsync, useParams } from "@solidjs/router";
import { WaitingForFirstEvent } from "~/components/FirstEvent";
import { Snippets } from "~/components/Snippets";
import { getIngestUrl } from "~/lib/api";

/** Snippets for an existing project. Full keys are shown only once, so a placeholder stands in. */
export default function Setup() {
  const params = useParams<Record<string, string>>();
  const ingestUrl = createAsync(() => getIngestUrl());
  return (
    <div class="stack-gap">
      <Title>Setup · Telemetry Tracker</Title>
      <h1>Send telemetry</h1>
      <p>
        Replace <code>tt_live_…</code> with a key of this project. Keys are shown once, when they are created:{" "}
        <A href={`/projects/${params.projectId}/settings/keys`}>create one in Settings → API keys</A>.
      </p>
      <section class="card">
        <Snippets ingestUrl={ingestUrl() ?? ""} apiKey="tt_live_…" />
      </section>
      <WaitingForFirstEvent projectId={params.projectId} />
    </div>
  );
}
