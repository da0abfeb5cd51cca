import { createAsync, useAction, useParams, useSubmission } from "@solidjs/router";
import { For, Show } from "solid-js";
import { AlertDestinations } from "~/components/AlertDestinations";
import { DataTable } from "~/components/DataTable";
import { Field, FormError } from "~/components/Form";
import { EmptyState } from "~/components/states";
import {
  type CustomRuleInput,
  createAlertRule,
  deleteAlertRule,
  getAlertDeliveries,
  getAlertEvents,
  getAlertRules,
  getProjectContext,
  setAlertRuleEnabled,
} from "~/lib/api";
import { formatDateTime, formatRelative } from "~/lib/format";

type Rules = NonNullable<Awaited<ReturnType<typeof getAlertRules>>>["rules"];
type Events = NonNullable<Awaited<ReturnType<typeof getAlertEvents>>>["events"];
type Deliveries = NonNullable<Awaited<ReturnType<typeof getAlertDeliveries>>>["deliveries"];

/** One line saying what a rule watches, from its kind and params. */
function describeRule(rule: Rules[number]): string {
  const p = rule.params as Record<string, unknown>;
  switch (rule.kind) {
    case "new_issue":
      return "An error creates a new issue";
    case "regression":
      return "A resolved issue is seen again";
    case "error_spike":
      return `≥ ${p.multiplier}× the usual errors in ${p.windowMinutes} min (at least ${p.floor})`;
    case "quota_near":
      return `${p.percent}% of the monthly quota used`;
    case "quota_exceeded":
      return "The monthly quota is used up";
    default: {
      const conditions = Object.entries((p.conditions ?? {}) as Record<string, string>)
        .map(([key, value]) => `${key} = ${value}`)
        .join(", ");
      const count = p.count as { threshold: number; windowMinutes: number } | undefined;
      return `${p.target}${conditions ? ` where ${conditions}` : ""}${count ? `, ≥ ${count.threshold} in ${count.windowMinutes} min` : ""}`;
    }
  }
}

const text = (form: FormData, name: string) => String(form.get(name) ?? "").trim();

export default function Alerts() {
  const params = useParams<Record<string, string>>();
  const context = createAsync(() => getProjectContext(params.projectId));
  const rules = createAsync(() => getAlertRules(params.projectId));
  const events = createAsync(() => getAlertEvents(params.projectId));
  const deliveries = createAsync(() => getAlertDeliveries(params.projectId));
  const toggleRule = useAction(setAlertRuleEnabled);
  const toggling = useSubmission(setAlertRuleEnabled);
  const addRule = useAction(createAlertRule);
  const addingRule = useSubmission(createAlertRule);
  const removeRule = useAction(deleteAlertRule);
  const canEdit = () => context()?.role === "OWNER" || context()?.role === "EDITOR";

  return (
    <div class="stack-gap">
      <h1>Alerts</h1>
      <section class="card">
        <h2>Rules</h2>
        <FormError result={toggling.result} />
        <DataTable<Rules[number]>
          rows={rules()?.rules}
          rowProps={(rule) => ({ "data-testid": "rule-row", "data-rule-kind": rule.kind, "data-rule-name": rule.name })}
          columns={[
            {
              header: "On",
              cell: (rule) => (
                <input
                  type="checkbox"
                  aria-label={`Enable ${rule.name}`}
                  checked={rule.enabled}
                  disabled={!canEdit() || toggling.pending}
                  onChange={(event) => void toggleRule(params.projectId, rule.id, event.currentTarget.checked)}
                />
              ),
            },
            { header: "Rule", cell: (rule) => rule.name },
            { header: "Fires when", cell: (rule) => describeRule(rule), class: "hide-phone" },
            {
              header: "Cooldown",
              cell: (rule) => (rule.cooldownSeconds ? `${Math.round(rule.cooldownSeconds / 60)} min` : "—"),
              class: "hide-phone",
            },
            {
              header: "",
              cell: (rule) => (
                <Show when={canEdit() && !rule.builtin}>
                  <button
                    type="button"
                    class="danger"
                    onClick={() => {
                      if (confirm(`Delete the rule "${rule.name}"?`)) void removeRule(params.projectId, rule.id);
                    }}
                  >
                    Delete
                  </button>
                </Show>
              ),
            },
          ]}
        />
      </section>

      <Show when={canEdit()}>
        <section class="card">
          <h2>New rule</h2>
          <p class="muted small">All conditions must hold. Leave a field empty to ignore it.</p>
          <form
            class="stack-gap"
            data-testid="rule-editor"
            onSubmit={async (event) => {
              event.preventDefault();
              const formElement = event.currentTarget;
              const form = new FormData(formElement);
              const threshold = Number(text(form, "threshold"));
              const input: CustomRuleInput = {
                name: text(form, "name"),
                target: text(form, "target") === "events" ? "events" : "errors",
                conditions: {
                  eventName: text(form, "eventName"),
                  errorType: text(form, "errorType"),
                  messageContains: text(form, "messageContains"),
                  level: text(form, "level"),
                  app: text(form, "app"),
                  environment: text(form, "environment"),
                  release: text(form, "release"),
                },
                count:
                  threshold > 0 ? { threshold, windowMinutes: Number(text(form, "windowMinutes")) || 5 } : undefined,
                cooldownMinutes: Number(text(form, "cooldownMinutes") || 15),
              };
              const result = await addRule(params.projectId, input);
              if (result.ok) formElement.reset();
            }}
          >
            <div class="row">
              <Field label="Name">
                <input name="name" required maxLength={100} placeholder="Checkout errors" />
              </Field>
              <Field label="Watch">
                <select name="target">
                  <option value="errors">Errors</option>
                  <option value="events">Events</option>
                </select>
              </Field>
              <Field label="Cooldown (min)">
                <input name="cooldownMinutes" type="number" min="0" value="15" />
              </Field>
            </div>
            <div class="row">
              <Field label="Event name (events)">
                <input name="eventName" maxLength={200} />
              </Field>
              <Field label="Error type (errors)">
                <input name="errorType" maxLength={200} />
              </Field>
              <Field label="Message contains (errors)">
                <input name="messageContains" maxLength={200} />
              </Field>
              <Field label="Level (errors)">
                <select name="level">
                  <option value="">any</option>
                  <For each={["fatal", "error", "warning", "info", "debug"]}>
                    {(level) => <option value={level}>{level}</option>}
                  </For>
                </select>
              </Field>
            </div>
            <div class="row">
              <Field label="App">
                <input name="app" maxLength={200} />
              </Field>
              <Field label="Environment">
                <input name="environment" maxLength={200} />
              </Field>
              <Field label="Release">
                <input name="release" maxLength={200} />
              </Field>
              <Field label="At least (count)" hint="empty: fire on the first match">
                <input name="threshold" type="number" min="1" />
              </Field>
              <Field label="Within (min)">
                <input name="windowMinutes" type="number" min="1" max="1440" value="5" />
              </Field>
            </div>
            <button class="primary" type="submit" disabled={addingRule.pending}>
              Create rule
            </button>
          </form>
          <FormError result={addingRule.result} />
        </section>
      </Show>

      <AlertDestinations projectId={params.projectId} orgId={context()?.org.id} canEdit={canEdit()} />

      <section class="card">
        <h2>Recent alerts</h2>
        <Show
          when={(events()?.events.length ?? 0) > 0}
          fallback={<EmptyState title="Nothing has fired yet">{""}</EmptyState>}
        >
          <DataTable<Events[number]>
            rows={events()?.events}
            rowProps={(e) => ({ "data-testid": "alert-row", "data-alert-kind": e.kind })}
            columns={[
              { header: "Alert", cell: (e) => e.title },
              {
                header: "Fired",
                cell: (e) => <span title={formatDateTime(e.firedAt)}>{formatRelative(e.firedAt)}</span>,
              },
              {
                header: "Deliveries",
                cell: (e) =>
                  `${e.deliveries.delivered} sent · ${e.deliveries.pending} pending · ${e.deliveries.dead} failed`,
                class: "hide-phone",
              },
            ]}
          />
        </Show>
      </section>

      <section class="card">
        <h2>Delivery log</h2>
        <Show
          when={(deliveries()?.deliveries.length ?? 0) > 0}
          fallback={<EmptyState title="No deliveries yet">{""}</EmptyState>}
        >
          <DataTable<Deliveries[number]>
            rows={deliveries()?.deliveries}
            rowProps={(d) => ({
              "data-testid": "delivery-row",
              "data-delivery-status": d.status,
              "data-destination-name": d.destinationName,
            })}
            columns={[
              { header: "Alert", cell: (d) => d.alertTitle },
              { header: "Destination", cell: (d) => d.destinationName },
              { header: "Status", cell: (d) => d.status },
              { header: "Attempts", cell: (d) => String(d.attempts), class: "num" },
              {
                header: "Last answer",
                cell: (d) => (d.lastStatusCode ? `HTTP ${d.lastStatusCode}` : (d.lastError ?? "—")),
                class: "hide-phone",
              },
              {
                header: "Next try",
                cell: (d) => (d.nextAttemptAt ? formatRelative(d.nextAttemptAt) : "—"),
                class: "hide-phone",
              },
            ]}
          />
        </Show>
      </section>
    </div>
  );
}
