import { createAsync, revalidate, useAction, useParams, useSearchParams, useSubmission } from "@solidjs/router";
import { createEffect, createSignal, For, on, onCleanup, onMount, Show } from "solid-js";
import { FormError } from "~/components/Form";
import { Boundary } from "~/components/states";
import { getBilling, getOrgs, getProjectContext, openBillingPortal, startCheckout } from "~/lib/api";
import { formatCount, formatDateTime } from "~/lib/format";
import type { Billing, Plan, PlanLimits, ProjectUsage } from "~/lib/types";

const PAID_PLANS = ["PRO", "BUSINESS"] as const;
const RANK: Record<Plan, number> = { FREE: 0, PRO: 1, BUSINESS: 2 };
/** How long the page keeps asking after Stripe's redirect before it says to come back later. */
const CONFIRM_POLL_MS = 2_000;
const CONFIRM_GIVE_UP_MS = 120_000;

const LIMIT_LABELS: Array<[keyof PlanLimits, string]> = [
  ["monthlyUnits", "Units per project per month"],
  ["requestsPerSecond", "Ingest requests per second per project"],
  ["projectsPerOrg", "Projects"],
  ["activeKeysPerProject", "Active API keys per project"],
  ["retentionDays", "Data retention (days)"],
];

/** Stripe's subscription states in words a customer understands. */
function describeStatus(status: string): string {
  switch (status) {
    case "active":
      return "active";
    case "trialing":
      return "in trial";
    case "past_due":
      return "payment overdue";
    case "canceled":
      return "canceled";
    case "unpaid":
      return "unpaid";
    case "incomplete":
      return "waiting for the first payment";
    case "incomplete_expired":
      return "expired before the first payment";
    default:
      return status.replaceAll("_", " ");
  }
}

/** The page the person is on, minus Stripe's checkout marker: where Stripe sends them back. */
function currentPageUrl(): string {
  const url = new URL(window.location.href);
  url.searchParams.delete("checkout");
  return url.toString();
}

export default function BillingPage() {
  const params = useParams<Record<string, string>>();
  const [search] = useSearchParams<{ checkout?: string }>();
  const context = createAsync(() => getProjectContext(params.projectId));
  return (
    <section class="card stack-gap" aria-labelledby="billing-heading">
      <h2 id="billing-heading">Billing</h2>
      <Show when={search.checkout === "canceled"}>
        <p class="notice" role="status" data-testid="checkout-canceled">
          Checkout was canceled. Nothing was charged and your plan is unchanged.
        </p>
      </Show>
      <Boundary>
        <Show when={context()}>
          {(ctx) => (
            <BillingPanel
              orgId={ctx().org.id}
              isOwner={ctx().role === "OWNER"}
              projectId={params.projectId}
              returnedFromCheckout={search.checkout === "success"}
            />
          )}
        </Show>
      </Boundary>
    </section>
  );
}

function BillingPanel(props: { orgId: string; isOwner: boolean; projectId: string; returnedFromCheckout: boolean }) {
  const billing = createAsync(() => getBilling(props.orgId));
  return (
    <Show when={billing()}>
      {(value) => (
        <BillingDetails
          billing={value()}
          orgId={props.orgId}
          isOwner={props.isOwner}
          projectId={props.projectId}
          returnedFromCheckout={props.returnedFromCheckout}
        />
      )}
    </Show>
  );
}

function BillingDetails(props: {
  billing: Billing;
  orgId: string;
  isOwner: boolean;
  projectId: string;
  returnedFromCheckout: boolean;
}) {
  const checkout = useAction(startCheckout);
  const checkingOut = useSubmission(startCheckout);
  const portal = useAction(openBillingPortal);
  const opening = useSubmission(openBillingPortal);
  // Set while the browser is on its way to Stripe, so nothing can be clicked twice.
  const [leaving, setLeaving] = createSignal(false);
  const [gaveUp, setGaveUp] = createSignal(false);
  const busy = () => leaving() || checkingOut.pending || opening.pending;

  const b = () => props.billing;
  const lapsed = () => b().plan !== b().purchasedPlan;
  const upgrades = () => PAID_PLANS.filter((plan) => RANK[plan] > RANK[b().plan]);
  // Stripe's redirect proves nothing: the plan changes when the webhook lands, so keep asking.
  const waiting = () => props.returnedFromCheckout && !b().hasSubscription && !gaveUp();
  const confirmed = () => props.returnedFromCheckout && b().hasSubscription;

  onMount(() => {
    const started = Date.now();
    const timer = setInterval(() => {
      if (!waiting()) return;
      if (Date.now() - started > CONFIRM_GIVE_UP_MS) {
        setGaveUp(true);
        return;
      }
      void revalidate(getBilling.keyFor(props.orgId));
    }, CONFIRM_POLL_MS);
    onCleanup(() => clearInterval(timer));
  });
  // The shell and the other settings pages show the plan too.
  createEffect(
    on(
      () => b().plan,
      (plan, previous) => {
        if (previous !== undefined && plan !== previous) {
          void revalidate([getProjectContext.keyFor(props.projectId), getOrgs.key]);
        }
      },
    ),
  );

  async function leaveFor(answer: Promise<{ ok: true; data: { url: string } } | { ok: false }>) {
    setLeaving(true);
    const result = await answer;
    // Stripe's pages are another site: a full navigation, not the router.
    if (result.ok) window.location.assign(result.data.url);
    else setLeaving(false);
  }

  return (
    <div class="stack-gap">
      <Show when={waiting()}>
        <p class="notice" role="status" aria-live="polite" data-testid="checkout-waiting">
          <span class="live-dot" aria-hidden="true" /> Back from Stripe's checkout; waiting for Stripe to confirm the
          subscription. This page updates by itself.
        </p>
      </Show>
      <Show when={props.returnedFromCheckout && !b().hasSubscription && gaveUp()}>
        <p class="notice warn" role="status" data-testid="checkout-unconfirmed">
          Stripe has not confirmed the subscription yet. It can take a few minutes; reload this page later. If you left
          the checkout without paying, nothing was charged.
        </p>
      </Show>
      <Show when={confirmed()}>
        <p class="notice ok" role="status" data-testid="checkout-confirmed">
          Thank you: your subscription is confirmed and the {b().plan} plan is in effect.
        </p>
      </Show>
      <Show when={b().warning}>
        {(warning) => (
          <p class="notice warn" role="alert" data-testid="billing-warning">
            {warning().message}
          </p>
        )}
      </Show>

      <dl class="kv">
        <dt>Plan in effect</dt>
        <dd>
          <strong data-testid="billing-plan">{b().plan}</strong>
        </dd>
        <Show when={lapsed()}>
          <dt>Purchased plan</dt>
          <dd data-testid="billing-purchased-plan">
            {b().purchasedPlan}{" "}
            <span class="muted small">
              (the subscription is {describeStatus(b().status ?? "inactive")}, so the {b().plan} limits apply)
            </span>
          </dd>
        </Show>
        <Show when={b().billing.configured || b().status}>
          <dt>Subscription</dt>
          <dd data-testid="billing-status">
            <Show when={b().status} fallback={<span class="muted">none</span>}>
              {(status) => (
                <span class={`badge ${status() === "active" || status() === "trialing" ? "resolved" : "unresolved"}`}>
                  {describeStatus(status())}
                </span>
              )}
            </Show>
          </dd>
        </Show>
        <Show when={b().periodEnd}>
          <dt>{b().hasSubscription ? "Current period ends" : "Last billing period ends"}</dt>
          <dd data-testid="billing-period-end">{formatDateTime(b().periodEnd)}</dd>
        </Show>
      </dl>

      <Show
        when={b().billing.configured}
        fallback={
          <p class="notice" data-testid="billing-not-configured">
            Billing is not configured on this server, so there is no checkout or subscription to manage here. Every
            organization keeps the plan stored for it; an administrator can change it in the database or set up Stripe
            (see the README, "Billing").
          </p>
        }
      >
        <Show
          when={props.isOwner}
          fallback={
            <p class="muted small" data-testid="billing-read-only">
              Only an owner of this organization can change the plan or manage the subscription.
            </p>
          }
        >
          <div class="row">
            <Show when={!b().hasSubscription}>
              <For each={upgrades()}>
                {(plan) => (
                  <button
                    type="button"
                    class="primary"
                    disabled={busy()}
                    onClick={() => void leaveFor(checkout(props.orgId, plan, currentPageUrl()))}
                  >
                    Upgrade to {plan}
                  </button>
                )}
              </For>
            </Show>
            <Show when={b().hasSubscription && b().hasCustomer}>
              <button
                type="button"
                class="primary"
                disabled={busy()}
                onClick={() => void leaveFor(portal(props.orgId, currentPageUrl()))}
              >
                Change plan
              </button>
            </Show>
            <Show when={b().hasCustomer}>
              <button
                type="button"
                disabled={busy()}
                onClick={() => void leaveFor(portal(props.orgId, currentPageUrl()))}
              >
                Manage subscription
              </button>
            </Show>
          </div>
          <Show when={b().hasSubscription}>
            <p class="muted small">Plan changes, payment methods, invoices and cancellation are in Stripe's portal.</p>
          </Show>
          <Show when={leaving() && !checkingOut.result && !opening.result}>
            <p class="muted small" role="status">
              Taking you to Stripe…
            </p>
          </Show>
          <FormError result={checkingOut.result} />
          <FormError result={opening.result} />
        </Show>
      </Show>

      <h3>Usage in {b().month}</h3>
      <Show
        when={b().projects.length > 0}
        fallback={<p class="muted">No projects in this organization yet, so nothing is counted.</p>}
      >
        <ul class="usage-list">
          <For each={b().projects}>{(project) => <UsageBar project={project} />}</For>
        </ul>
        <p class="muted small">
          Quotas are per project: one unit per event, per error and per new session. Ingest answers 429 once a project's
          quota is used up.
        </p>
      </Show>

      <h3>Limits of the {b().plan} plan</h3>
      <dl class="kv" data-testid="billing-limits">
        <For each={LIMIT_LABELS.filter(([name]) => b().limits[name] !== undefined)}>
          {([name, label]) => (
            <>
              <dt>{label}</dt>
              <dd>{formatCount(b().limits[name])}</dd>
            </>
          )}
        </For>
      </dl>
    </div>
  );
}

function UsageBar(props: { project: ProjectUsage }) {
  const percent = () => props.project.fraction * 100;
  // A few events against millions of units would read as "0.0%", as if nothing had been counted.
  const percentText = () => (percent() > 0 && percent() < 0.1 ? "<0.1%" : `${percent().toFixed(1)}%`);
  const level = () => (props.project.fraction >= 1 ? "over" : props.project.fraction >= 0.8 ? "high" : "");
  return (
    <li data-testid="billing-project-usage" data-project-id={props.project.id} data-quota={props.project.quota}>
      <div class="spread small">
        <strong>{props.project.name}</strong>
        <span>
          {formatCount(props.project.units)} of {formatCount(props.project.quota)} units ({percentText()})
          <Show when={props.project.fraction >= 1}> · ingest is refusing new data</Show>
        </span>
      </div>
      <div
        class={`bar ${level()}`}
        role="progressbar"
        aria-label={`${props.project.name}: units used this month`}
        aria-valuemin={0}
        aria-valuemax={props.project.quota}
        aria-valuenow={props.project.units}
      >
        <div style={{ width: `${Math.min(100, percent())}%` }} />
      </div>
    </li>
  );
}
