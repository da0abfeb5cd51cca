import { Title } from "@solidjs/meta";
import { A, createAsync, useParams } from "@solidjs/router";
import { For, Show } from "solid-js";
import { TimeChart } from "~/components/Chart";
import { DataTable } from "~/components/DataTable";
import { CursorPager } from "~/components/Pager";
import { Boundary, EmptyState } from "~/components/states";
import { getPerformanceSummary, getSlowPages, getSlowRoutes, VITALS, type VitalName } from "~/lib/api";
import { firstParam, useViewFilters } from "~/lib/filters";
import { formatCount } from "~/lib/format";

type Summary = NonNullable<Awaited<ReturnType<typeof getPerformanceSummary>>>;
type PageRow = NonNullable<Awaited<ReturnType<typeof getSlowPages>>>["pages"][number];
type RouteRow = NonNullable<Awaited<ReturnType<typeof getSlowRoutes>>>["routes"][number];
type Rating = "good" | "needs-improvement" | "poor";

const VITAL_LABELS: Record<VitalName, string> = {
  LCP: "Largest Contentful Paint",
  INP: "Interaction to Next Paint",
  CLS: "Cumulative Layout Shift",
  FCP: "First Contentful Paint",
  TTFB: "Time to First Byte",
};

/** Milliseconds as "850 ms" or "2.4 s"; CLS is unitless. */
function formatVital(name: VitalName, value: number | null | undefined): string {
  if (value === null || value === undefined) return "–";
  if (name === "CLS") return value.toFixed(2);
  return formatMs(value);
}

function formatMs(value: number | null | undefined): string {
  if (value === null || value === undefined) return "–";
  if (value >= 1000) return `${(value / 1000).toFixed(value >= 10_000 ? 0 : 1)} s`;
  return `${value >= 10 ? Math.round(value) : value.toFixed(1)} ms`;
}

const formatShare = (value: number | null | undefined) =>
  value === null || value === undefined ? "–" : `${Math.round(value)}%`;

/** The good / needs-improvement / poor split as a bar and its figures. */
function Shares(props: { good: number | null; needsImprovement: number | null; poor: number | null }) {
  return (
    <div class="shares" title="Good / needs improvement / poor">
      <div class="share-bar" aria-hidden="true">
        <span class="rating-good-bg" style={{ width: `${props.good ?? 0}%` }} />
        <span class="rating-needs-improvement-bg" style={{ width: `${props.needsImprovement ?? 0}%` }} />
        <span class="rating-poor-bg" style={{ width: `${props.poor ?? 0}%` }} />
      </div>
      <div class="small muted">
        good {formatShare(props.good)} · <abbr title="needs improvement">NI</abbr> {formatShare(props.needsImprovement)}{" "}
        · poor {formatShare(props.poor)}
      </div>
    </div>
  );
}

function VitalCard(props: { vital: Summary["vitals"][number] }) {
  return (
    <section class="card kpi" aria-label={props.vital.name} data-testid={`vital-${props.vital.name}`}>
      <div class="muted small" title={VITAL_LABELS[props.vital.name]}>
        {props.vital.name} · p75
      </div>
      <div
        class={`value ${props.vital.rating ? `rating-${props.vital.rating}` : "muted"}`}
        data-rating={props.vital.rating ?? ""}
      >
        {formatVital(props.vital.name, props.vital.p75)}
      </div>
      <Show when={props.vital.samples > 0} fallback={<div class="small muted">no samples</div>}>
        <Shares {...props.vital} />
        <div class="small muted">
          {formatCount(props.vital.samples)} {props.vital.samples === 1 ? "sample" : "samples"}
        </div>
      </Show>
    </section>
  );
}

const ratingClass = (rating: Rating | null) => (rating ? `rating-${rating}` : "muted");

export default function Performance() {
  const params = useParams<Record<string, string>>();
  const { filters, params: search, setParams, withFilters } = useViewFilters();
  const vital = (): VitalName => {
    const asked = firstParam(search.vital);
    return VITALS.find((name) => name === asked) ?? "LCP";
  };
  const summary = createAsync(() => getPerformanceSummary(params.projectId, filters()));
  const pages = createAsync(() => getSlowPages(params.projectId, filters(), vital(), firstParam(search.pages)));
  const routes = createAsync(() => getSlowRoutes(params.projectId, filters(), firstParam(search.routes)));
  const base = () => `/projects/${params.projectId}`;
  const keep = (extra: Record<string, string | undefined>) =>
    withFilters(`${base()}/performance`, {
      vital: firstParam(search.vital),
      pages: firstParam(search.pages),
      routes: firstParam(search.routes),
      ...extra,
    });
  const times = () => summary()?.series.map((point) => new Date(point.t).getTime() / 1000) ?? [];
  const empty = () => {
    const data = summary();
    return data && data.requests.count === 0 && data.vitals.every((v) => v.samples === 0);
  };
  return (
    <div class="stack-gap">
      <Title>Performance · Telemetry Tracker</Title>
      <h1>Performance</h1>
      <Boundary>
        <Show when={summary()}>
          {(data) => (
            <>
              <Show when={empty()}>
                <div class="card">
                  <EmptyState title="No Web Vitals or requests in this time range">
                    <p>
                      Turn on <code>webVitals: true</code> in the browser SDK, or add the request middleware of the node
                      or workers SDK (<A href={`${base()}/setup`}>setup</A>).
                    </p>
                  </EmptyState>
                </div>
              </Show>
              <div class="grid kpis">
                <For each={data().vitals}>{(v) => <VitalCard vital={v} />}</For>
                <section class="card kpi" aria-label="Requests" data-testid="requests-card">
                  <div class="muted small">Requests · p50 / p95</div>
                  <div class="value">
                    {formatMs(data().requests.p50)} / {formatMs(data().requests.p95)}
                  </div>
                  <div class="small muted">
                    {formatCount(data().requests.count)} requests ·{" "}
                    <span class={(data().requests.errorRate ?? 0) > 0 ? "error-text" : undefined}>
                      {formatShare(data().requests.errorRate)} failed (5xx)
                    </span>
                  </div>
                </section>
              </div>
              <section class="card">
                <h2>Over time</h2>
                <TimeChart
                  label="Request p95, LCP p75 and INP p75 over time"
                  times={times()}
                  series={[
                    {
                      label: "Request p95 (ms)",
                      values: data().series.map((p) => p.p95),
                      color: "--series-1",
                      points: true,
                    },
                    {
                      label: "LCP p75 (ms)",
                      values: data().series.map((p) => p.vitals.LCP),
                      color: "--series-4",
                      points: true,
                    },
                    {
                      label: "INP p75 (ms)",
                      values: data().series.map((p) => p.vitals.INP),
                      color: "--series-3",
                      points: true,
                    },
                  ]}
                />
              </section>
            </>
          )}
        </Show>
      </Boundary>
      <section class="card">
        <div class="spread">
          <h2>Slow pages</h2>
          <label class="row">
            <span class="muted small">by p75 of</span>
            <select
              aria-label="Vital"
              value={vital()}
              onChange={(event) => setParams({ vital: event.currentTarget.value, pages: undefined })}
            >
              <For each={VITALS}>{(name) => <option value={name}>{name}</option>}</For>
            </select>
          </label>
        </div>
        <Boundary>
          <Show
            when={(pages()?.pages.length ?? 0) > 0}
            fallback={<p class="muted">No {vital()} samples in this range.</p>}
          >
            <DataTable<PageRow>
              rows={pages()?.pages}
              rowProps={(row) => ({ "data-testid": "page-row", "data-page": row.page })}
              columns={[
                { header: "Page", cellClass: "mono", cell: (row) => row.page },
                {
                  header: `${vital()} p75`,
                  class: "num",
                  cell: (row) => <span class={ratingClass(row.rating)}>{formatVital(vital(), row.p75)}</span>,
                },
                { header: "Samples", class: "num", cell: (row) => formatCount(row.samples) },
                { header: "Good / NI / poor", class: "hide-phone", cell: (row) => <Shares {...row} /> },
                ...VITALS.filter((name) => name !== vital()).map((name) => ({
                  header: name,
                  class: "num hide-phone",
                  cell: (row: PageRow) => formatVital(name, row.vitals[name]),
                })),
              ]}
            />
            <CursorPager
              current={firstParam(search.pages)}
              next={pages()?.nextCursor}
              href={(cursor) => keep({ pages: cursor })}
            />
          </Show>
        </Boundary>
      </section>
      <section class="card">
        <h2>Slow routes</h2>
        <Boundary>
          <Show when={(routes()?.routes.length ?? 0) > 0} fallback={<p class="muted">No requests in this range.</p>}>
            <DataTable<RouteRow>
              rows={routes()?.routes}
              rowProps={(row) => ({ "data-testid": "route-row", "data-route": `${row.method} ${row.route}` })}
              columns={[
                {
                  header: "Route",
                  cellClass: "mono",
                  cell: (row) => (
                    <>
                      <span class="muted">{row.method}</span> {row.route}
                    </>
                  ),
                },
                { header: "p95", class: "num", cell: (row) => formatMs(row.p95) },
                { header: "p50", class: "num", cell: (row) => formatMs(row.p50) },
                { header: "Requests", class: "num", cell: (row) => formatCount(row.count) },
                {
                  header: "Failed (5xx)",
                  class: "num",
                  cell: (row) => (
                    <span class={row.errors > 0 ? "error-text" : undefined}>{formatShare(row.errorRate)}</span>
                  ),
                },
              ]}
            />
            <CursorPager
              current={firstParam(search.routes)}
              next={routes()?.nextCursor}
              href={(cursor) => keep({ routes: cursor })}
            />
          </Show>
        </Boundary>
      </section>
    </div>
  );
}
