import { A, revalidate } from "@solidjs/router";
import { ErrorBoundary, type JSX, Suspense } from "solid-js";

export function LoadingState(props: { label?: string }) {
  return (
    <div class="state" role="status" aria-live="polite">
      <div class="skeleton" style={{ width: "60%", margin: "0 auto 0.6rem" }} />
      <div class="skeleton" style={{ width: "40%", margin: "0 auto" }} />
      <span class="visually-hidden">{props.label ?? "Loading…"}</span>
    </div>
  );
}

export function EmptyState(props: { title: string; children?: JSX.Element }) {
  return (
    <div class="state">
      <h2>{props.title}</h2>
      {props.children}
    </div>
  );
}

export function ErrorState(props: { error: unknown; retry?: () => void }) {
  const message = () => (props.error instanceof Error ? props.error.message : String(props.error));
  return (
    <div class="state error" role="alert">
      <h2>Something went wrong</h2>
      <p>{message()}</p>
      <p class="muted small">If this keeps happening, check that the API is running and try again.</p>
      <div class="row" style={{ "justify-content": "center" }}>
        {props.retry && (
          <button type="button" onClick={props.retry}>
            Try again
          </button>
        )}
        <A href="/" class="button">
          Go to your projects
        </A>
      </div>
    </div>
  );
}

/** Loading and error handling for one region of a page: the rest of the page stays usable. */
export function Boundary(props: { children: JSX.Element; loading?: JSX.Element }) {
  return (
    <ErrorBoundary
      fallback={(error, reset) => (
        <ErrorState
          error={error}
          retry={() => {
            void revalidate().then(reset);
          }}
        />
      )}
    >
      <Suspense fallback={props.loading ?? <LoadingState />}>{props.children}</Suspense>
    </ErrorBoundary>
  );
}

/**
 * The frame's own guard: a read the shell makes (account, organizations, project context) that
 * fails shows its message with a way on, instead of an uncaught exception and a blank page.
 */
export function ShellBoundary(props: { children: JSX.Element }) {
  return (
    <ErrorBoundary
      fallback={(error, reset) => (
        <main id="main" class="content" data-testid="shell-error">
          <ErrorState
            error={error}
            retry={() => {
              void revalidate().then(reset);
            }}
          />
        </main>
      )}
    >
      {props.children}
    </ErrorBoundary>
  );
}
