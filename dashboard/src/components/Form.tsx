import { For, type JSX, Show } from "solid-js";

/** What an action answers (see `Outcome` in lib/server/worker.ts), as far as a form cares. */
type Result = { ok?: boolean; message?: string; issues?: Array<{ path: string; message: string }> } | undefined;

/** A labelled control with an optional hint under it. */
export function Field(props: { label: string; hint?: JSX.Element; children: JSX.Element }) {
  return (
    // biome-ignore lint/a11y/noLabelWithoutControl: the control is `children`, which the rule cannot see.
    <label>
      <span>{props.label}</span>
      {props.children}
      <Show when={props.hint}>
        <span class="muted small">{props.hint}</span>
      </Show>
    </label>
  );
}

/** Shows an action's failure (an Outcome with ok: false) as an alert, with each field the API named. */
export function FormError(props: { result: unknown }) {
  const failed = () => {
    const result = props.result as Result;
    return result && result.ok === false ? result : undefined;
  };
  return (
    <Show when={failed()?.message}>
      <div class="error-text" role="alert">
        <p>{failed()?.message}</p>
        <Show when={(failed()?.issues?.length ?? 0) > 0}>
          <ul>
            <For each={failed()?.issues}>
              {(issue) => (
                <li>
                  <code>{issue.path}</code>: {issue.message}
                </li>
              )}
            </For>
          </ul>
        </Show>
      </div>
    </Show>
  );
}

/** The confirmation once an action succeeded ("Saved."). */
export function FormSuccess(props: { result: unknown; children: JSX.Element }) {
  return (
    <Show when={(props.result as Result)?.ok}>
      <p class="ok-text" role="status">
        {props.children}
      </p>
    </Show>
  );
}

/** The failure or the confirmation of the form's last submission. */
export function FormStatus(props: { result: unknown; success: JSX.Element }) {
  return (
    <>
      <FormError result={props.result} />
      <FormSuccess result={props.result}>{props.success}</FormSuccess>
    </>
  );
}
