import { createAsync, useAction, useParams, useSubmission } from "@solidjs/router";
import { For, Show } from "solid-js";
import { DataTable } from "~/components/DataTable";
import { FormError } from "~/components/Form";
import { EmptyState } from "~/components/states";
import { deleteSourceMap, getProjectContext, getSourceMaps } from "~/lib/api";
import { formatDateTime, formatRelative } from "~/lib/format";
import type { SourceMapArtifact } from "~/lib/types";

const size = (bytes: number) =>
  bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MB` : `${(bytes / 1024).toFixed(1)} KB`;

/** Artifacts grouped by (app, release), releases in the order of their newest upload. */
function byRelease(artifacts: SourceMapArtifact[]) {
  const groups = new Map<string, { app: string; release: string; artifacts: SourceMapArtifact[] }>();
  for (const artifact of artifacts) {
    const key = `${artifact.app}\u0000${artifact.release}`;
    const group = groups.get(key) ?? { app: artifact.app, release: artifact.release, artifacts: [] };
    group.artifacts.push(artifact);
    groups.set(key, group);
  }
  return [...groups.values()];
}

export default function SourceMapsPage() {
  const params = useParams<Record<string, string>>();
  const maps = createAsync(() => getSourceMaps(params.projectId));
  const context = createAsync(() => getProjectContext(params.projectId));
  const remove = useAction(deleteSourceMap);
  const removing = useSubmission(deleteSourceMap);
  const canDelete = () => context()?.role === "OWNER" || context()?.role === "EDITOR";
  return (
    <div class="stack-gap">
      <section class="card" id="upload">
        <h2>Upload source maps</h2>
        <p>
          With each release's source maps, errors from minified bundles show their original file, line and function,
          with the source around them, and a rebuild of the same code stays one issue. Create an API key with the{" "}
          <strong>Source map upload</strong> scope (API keys tab), then after each build:
        </p>
        <pre class="mono small" data-testid="upload-command">
          {`TT_API_KEY=<upload key> TT_API_URL=<this service's API URL> TT_PROJECT_ID=${params.projectId} \\
  npx telemetry-tracker sourcemaps upload --release <release> --app <app> --url-prefix '~/assets' ./dist`}
        </pre>
        <p class="muted small">
          <code>--release</code> and <code>--app</code> must be what your SDK sends with errors; <code>~/</code> matches
          any origin. Vite: the <code>telemetryTrackerSourcemaps()</code> plugin from{" "}
          <code>@telemetry-tracker/cli/vite</code>. At most 10 MB per map; uploading the same bundle URL again replaces
          its map.
        </p>
      </section>
      <section class="card">
        <h2>Uploaded maps</h2>
        <Show when={maps()}>
          {(list) => (
            <p class="muted small" data-testid="sourcemap-usage">
              {list().usage.stored} of {list().usage.limit} maps on this plan. Maps unused for the plan's retention are
              deleted.
            </p>
          )}
        </Show>
        <FormError result={removing.result} />
        <Show
          when={(maps()?.artifacts.length ?? 0) > 0}
          fallback={
            <EmptyState title="No source maps yet">
              <p>Upload them from your build as shown above.</p>
            </EmptyState>
          }
        >
          <For each={byRelease(maps()?.artifacts ?? [])}>
            {(group) => (
              <div class="stack-gap" data-testid="sourcemap-release" data-release={group.release}>
                <h3>
                  {group.app} · release <span class="mono">{group.release}</span>{" "}
                  <span class="muted small">({group.artifacts.length} maps)</span>
                </h3>
                <DataTable<SourceMapArtifact>
                  rows={group.artifacts}
                  rowProps={(a) => ({ "data-testid": "sourcemap-row", "data-bundle": a.bundleUrl })}
                  columns={[
                    { header: "Bundle", cellClass: "mono small", cell: (a) => a.bundleUrl },
                    { header: "Size", cell: (a) => size(a.size) },
                    {
                      header: "SHA-256",
                      class: "hide-phone",
                      cellClass: "mono small",
                      cell: (a) => a.sha256.slice(0, 12),
                    },
                    { header: "Uploaded", class: "hide-phone", cell: (a) => formatDateTime(a.uploadedAt) },
                    { header: "Last used", cell: (a) => (a.lastUsedAt ? formatRelative(a.lastUsedAt) : "never") },
                    {
                      header: "",
                      cell: (a) => (
                        <Show when={canDelete()}>
                          <button
                            type="button"
                            class="danger"
                            disabled={removing.pending}
                            onClick={() => {
                              if (
                                confirm(`Delete the map of ${a.bundleUrl}? New errors of this release stay minified.`)
                              )
                                void remove(params.projectId, a.id);
                            }}
                          >
                            Delete
                          </button>
                        </Show>
                      ),
                    },
                  ]}
                />
              </div>
            )}
          </For>
        </Show>
      </section>
    </div>
  );
}
