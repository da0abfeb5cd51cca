import { A, createAsync, useAction, useLocation, useNavigate } from "@solidjs/router";
import { createSignal, ErrorBoundary, For, type JSX, onCleanup, onMount, Show } from "solid-js";
import { getFilterOptions, getMe, getOrgs, getProjectContext, getProjects, logout } from "~/lib/api";
import { firstParam, RANGES, useViewFilters } from "~/lib/filters";
import { ThemeToggle } from "./Theme";

function toInputValue(iso: string | undefined): string {
  if (!iso) return "";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  const offset = date.getTimezoneOffset() * 60_000;
  return new Date(date.getTime() - offset).toISOString().slice(0, 16);
}

function FilterBar(props: { projectId: string }) {
  const { filters, setParams } = useViewFilters();
  const options = createAsync(() =>
    getFilterOptions(props.projectId).catch(() => ({ apps: [], environments: [], releases: [] })),
  );
  const custom = () => filters().range === "custom" || Boolean(filters().from && filters().to);
  return (
    <form class="filters" aria-label="View filters" onSubmit={(event) => event.preventDefault()}>
      <label>
        Time range
        <select
          name="range"
          value={custom() ? "custom" : filters().range}
          onChange={(event) => {
            const range = event.currentTarget.value;
            if (range === "custom") {
              const to = new Date();
              const from = new Date(to.getTime() - 24 * 3600_000);
              setParams({ range: "custom", from: from.toISOString(), to: to.toISOString() });
            } else setParams({ range, from: undefined, to: undefined, cursor: undefined });
          }}
        >
          <For each={RANGES}>
            {(range) => (
              <option value={range.value} selected={(custom() ? "custom" : filters().range) === range.value}>
                {range.label}
              </option>
            )}
          </For>
        </select>
      </label>
      <Show when={custom()}>
        <label>
          From
          <input
            type="datetime-local"
            value={toInputValue(filters().from)}
            onChange={(event) =>
              setParams({ from: new Date(event.currentTarget.value).toISOString(), cursor: undefined })
            }
          />
        </label>
        <label>
          To
          <input
            type="datetime-local"
            value={toInputValue(filters().to)}
            onChange={(event) =>
              setParams({ to: new Date(event.currentTarget.value).toISOString(), cursor: undefined })
            }
          />
        </label>
      </Show>
      <label>
        App
        <select
          name="app"
          value={filters().app ?? ""}
          onChange={(event) => setParams({ app: event.currentTarget.value || undefined, cursor: undefined })}
        >
          <option value="">All apps</option>
          <For each={options()?.apps ?? []}>
            {(app) => (
              <option value={app} selected={filters().app === app}>
                {app}
              </option>
            )}
          </For>
        </select>
      </label>
      <label>
        Environment
        <select
          name="env"
          value={filters().env ?? ""}
          onChange={(event) => setParams({ env: event.currentTarget.value || undefined, cursor: undefined })}
        >
          <option value="">All environments</option>
          <For each={options()?.environments ?? []}>
            {(env) => (
              <option value={env} selected={filters().env === env}>
                {env}
              </option>
            )}
          </For>
        </select>
      </label>
    </form>
  );
}

/** Where typing a `/` belongs to the field, not to the shortcut. */
function isTypingTarget(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName);
}

/** The global search box: submits to the results page; `/` anywhere else on the page focuses it. */
function SearchBox(props: { projectId: string }) {
  const navigate = useNavigate();
  const location = useLocation();
  const { params } = useViewFilters();
  let input: HTMLInputElement | undefined;
  // On the results page the box shows the query being looked at.
  const current = () => (location.pathname.endsWith("/search") ? (firstParam(params.q) ?? "") : "");
  onMount(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey || isTypingTarget(event.target)) return;
      event.preventDefault();
      input?.focus();
      input?.select();
    };
    document.addEventListener("keydown", onKey);
    onCleanup(() => document.removeEventListener("keydown", onKey));
  });
  return (
    <search class="search-box">
      <form
        onSubmit={(event) => {
          event.preventDefault();
          const q = input?.value.trim() ?? "";
          if (q) navigate(`/projects/${props.projectId}/search?${new URLSearchParams({ q })}`);
        }}
      >
        <input
          ref={input}
          type="search"
          name="q"
          aria-label="Search this project"
          aria-keyshortcuts="/"
          placeholder="Search  /"
          maxLength={200}
          value={current()}
          data-testid="global-search"
        />
      </form>
    </search>
  );
}

/** The signed-in frame around every project page: switchers, navigation, filters, theme, account. */
export function Shell(props: { projectId: string; children: JSX.Element }) {
  const navigate = useNavigate();
  const location = useLocation();
  const { withFilters } = useViewFilters();
  const me = createAsync(() => getMe());
  const context = createAsync(() => getProjectContext(props.projectId));
  const orgs = createAsync(() => getOrgs());
  const projects = createAsync(async () => {
    const ctx = context();
    return ctx ? (await getProjects(ctx.org.id)).projects : [];
  });
  const signOut = useAction(logout);
  const [switching, setSwitching] = createSignal(false);
  const base = () => `/projects/${props.projectId}`;
  const links = () => [
    { href: base(), label: "Overview", end: true },
    { href: `${base()}/issues`, label: "Issues" },
    { href: `${base()}/events`, label: "Events" },
    { href: `${base()}/sessions`, label: "Sessions" },
    { href: `${base()}/performance`, label: "Performance" },
    { href: `${base()}/releases`, label: "Releases" },
    { href: `${base()}/alerts`, label: "Alerts" },
    { href: `${base()}/setup`, label: "Setup" },
    { href: `${base()}/settings`, label: "Settings" },
  ];
  const showFilters = () => !/\/(settings|setup|alerts|search)(\/|$)/.test(location.pathname);

  const switchOrg = async (orgId: string) => {
    setSwitching(true);
    try {
      const { projects: list } = await getProjects(orgId);
      navigate(list.length > 0 ? `/projects/${list[0].id}` : `/onboarding?org=${orgId}`);
    } finally {
      setSwitching(false);
    }
  };

  return (
    <div class="shell">
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="topbar">
        <A href="/" class="brand" style={{ "text-decoration": "none", color: "inherit" }}>
          <span class="brand-mark" aria-hidden="true" />
          <span class="hide-phone">Telemetry Tracker</span>
        </A>
        <ErrorBoundary
          fallback={(error) => (
            <span class="error-text small" role="alert" data-testid="switcher-error">
              {error instanceof Error ? error.message : String(error)} · <A href="/">Your projects</A>
            </span>
          )}
        >
          <label class="visually-hidden" for="org-switcher">
            Organization
          </label>
          <select
            id="org-switcher"
            aria-label="Organization"
            disabled={switching()}
            value={context()?.org.id ?? ""}
            onChange={(event) => {
              const value = event.currentTarget.value;
              if (value === "__new") navigate("/onboarding?new=org");
              else void switchOrg(value);
            }}
          >
            <For each={orgs()?.orgs ?? []}>
              {(org) => (
                <option value={org.id} selected={org.id === context()?.org.id}>
                  {org.name}
                </option>
              )}
            </For>
            <option value="__new">+ New organization</option>
          </select>
          <select
            id="project-switcher"
            aria-label="Project"
            value={props.projectId}
            onChange={(event) => {
              const value = event.currentTarget.value;
              if (value === "__new") navigate(`/onboarding?org=${context()?.org.id ?? ""}&new=project`);
              else navigate(withFilters(`/projects/${value}`));
            }}
          >
            <For each={projects() ?? []}>
              {(project) => (
                <option value={project.id} selected={project.id === props.projectId}>
                  {project.name}
                </option>
              )}
            </For>
            <Show when={context()?.can?.manageProjects ?? context()?.role === "OWNER"}>
              <option value="__new">+ New project</option>
            </Show>
          </select>
        </ErrorBoundary>
        <SearchBox projectId={props.projectId} />
        <span class="grow" />
        {/* The page's own boundary already says what failed; the header just leaves these out. */}
        <ErrorBoundary fallback={null}>
          <Show when={context()}>
            {(ctx) => (
              <span class="badge" title="Your role in this organization">
                {ctx().role}
              </span>
            )}
          </Show>
        </ErrorBoundary>
        <ThemeToggle />
        <ErrorBoundary fallback={null}>
          <A href={`${base()}/settings/account`} class="hide-phone muted small">
            {me()?.user.displayName ?? me()?.user.email ?? ""}
          </A>
        </ErrorBoundary>
        <button
          type="button"
          onClick={async () => {
            await signOut();
            window.location.replace("/login?signedOut=1");
          }}
        >
          Sign out
        </button>
      </header>
      <nav class="nav" aria-label="Main">
        <For each={links()}>
          {(link) => (
            <A href={withFilters(link.href)} end={link.end} activeClass="active">
              {link.label}
            </A>
          )}
        </For>
      </nav>
      <div>
        <Show when={showFilters()}>
          <FilterBar projectId={props.projectId} />
        </Show>
        <main id="main" class="content">
          {props.children}
        </main>
      </div>
    </div>
  );
}
