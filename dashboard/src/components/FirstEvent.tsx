import { A, createAsync, revalidate } from "@solidjs/router";
import { onCleanup, onMount, Show } from "solid-js";
import { getFirstActivity } from "~/lib/api";

/** Polls until the project's first event or error has landed, then links to the overview. */
export function WaitingForFirstEvent(props: { projectId: string }) {
  const activity = createAsync(() => getFirstActivity(props.projectId));
  onMount(() => {
    const timer = setInterval(() => {
      if (!activity()?.received) void revalidate(getFirstActivity.keyFor(props.projectId));
    }, 2000);
    onCleanup(() => clearInterval(timer));
  });
  return (
    <section class="card" aria-live="polite" data-testid="first-event">
      <Show
        when={activity()?.received}
        fallback={
          <div class="row">
            <span class="live-dot" aria-hidden="true" />
            <div>
              <h2>Waiting for your first event…</h2>
              <p class="muted small">Run one of the snippets above. This panel updates by itself.</p>
            </div>
          </div>
        }
      >
        <div class="row">
          <span class="live-dot on" aria-hidden="true" />
          <div>
            <h2>Your first event arrived</h2>
            <p class="small">
              <Show when={activity()?.firstEventName}>
                <code>{activity()?.firstEventName}</code> was received.{" "}
              </Show>
              <A href={`/projects/${props.projectId}`}>Open the overview →</A>
            </p>
          </div>
        </div>
      </Show>
    </section>
  );
}
