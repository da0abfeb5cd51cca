import { createAsync, useAction, useParams, useSubmission } from "@solidjs/router";
import { For, Show } from "solid-js";
import { FormError } from "~/components/AuthCard";
import { getBilling, getProjectContext, openBillingPortal, startCheckout } from "~/lib/api";
import { formatDateTime } from "~/lib/format";

export default function BillingPage() {
  const params = useParams<Record<string, string>>();
  const context = createAsync(() => getProjectContext(params.projectId));
  const billing = createAsync(async () => (context() ? await getBilling(context()!.org.id) : undefined));
  const checkout = useAction(startCheckout);
  const checkingOut = useSubmission(startCheckout);
  const portal = useAction(openBillingPortal);
  const opening = useSubmission(openBillingPortal);
  const isOwner = () => context()?.role === "OWNER";
  return (
    <section class="card stack-gap">
      <h2>Billing</h2>
      <Show when={billing()}>
        {(data) => (
          <Show
            when={data().configured}
            fallback={
              <div data-testid="billing-not-configured">
                <p>
                  Current plan: <strong>{context()?.org.plan ?? "FREE"}</strong>.
                </p>
                <p class="muted">
                  Billing is not configured on this server, so plans cannot be changed here. ({data().message})
                </p>
              </div>
            }
          >
            <p>
              Current plan: <strong>{data().plan}</strong>
              <Show when={data().status}> · subscription {data().status}</Show>
              <Show when={data().periodEnd}> · renews {formatDateTime(data().periodEnd)}</Show>
            </p>
            <Show when={isOwner()} fallback={<p class="muted small">Only owners can change the plan.</p>}>
              <div class="row">
                <For each={["PRO", "BUSINESS"].filter((plan) => plan !== data().plan)}>
                  {(plan) => (
                    <button
                      type="button"
                      class="primary"
                      disabled={checkingOut.pending}
                      onClick={() => void checkout(context()!.org.id, plan)}
                    >
                      Upgrade to {plan}
                    </button>
                  )}
                </For>
                <button type="button" disabled={opening.pending} onClick={() => void portal(context()!.org.id)}>
                  Manage subscription
                </button>
              </div>
              <FormError result={checkingOut.result} />
              <FormError result={opening.result} />
            </Show>
          </Show>
        )}
      </Show>
    </section>
  );
}
