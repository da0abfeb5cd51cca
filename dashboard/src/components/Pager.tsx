import { A } from "@solidjs/router";
import { Show } from "solid-js";

/**
 * Keyset paging under a list: back to the first page once off it, and on to the next while the
 * Worker answers a `nextCursor`. Either `href` (links, so the page is in the URL and history) or
 * `onPage` (a button that sets the cursor).
 */
export function CursorPager(props: {
  /** The cursor of the page shown; none on the first page. */
  current: string | undefined;
  next: string | null | undefined;
  href?: (cursor: string | undefined) => string;
  onPage?: (cursor: string | undefined) => void;
  firstLabel?: string;
  nextLabel?: string;
  /** A page is on its way (`onPage` lists that append): the button waits and says so. */
  busy?: boolean;
}) {
  // The cursor is read when used, not when the control is made: `Show` keeps the control while the
  // next cursor changes from one page's to the next, and a captured value would repeat a page.
  const control = (cursor: () => string | undefined, label: string) =>
    props.href ? (
      <A class="button" href={props.href(cursor())}>
        {label}
      </A>
    ) : (
      <button type="button" disabled={props.busy} onClick={() => props.onPage?.(cursor())}>
        {props.busy ? "Loading…" : label}
      </button>
    );
  return (
    <div class="row" style={{ "margin-top": "0.75rem" }}>
      <Show when={props.current}>{control(() => undefined, props.firstLabel ?? "First page")}</Show>
      <Show when={props.next}>{(cursor) => control(cursor, props.nextLabel ?? "Next page")}</Show>
    </div>
  );
}
