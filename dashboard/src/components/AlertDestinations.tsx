import { createAsync, useAction, useSubmission } from "@solidjs/router";
import { createSignal, For, Show } from "solid-js";
import { DataTable } from "~/components/DataTable";
import { Field, FormError } from "~/components/Form";
import { EmptyState } from "~/components/states";
import {
  createAlertDestination,
  deleteAlertDestination,
  getAlertDestinations,
  getMembers,
  sendAlertTest,
  updateAlertDestination,
} from "~/lib/api";
import type { Member } from "~/lib/types";

type Destination = NonNullable<Awaited<ReturnType<typeof getAlertDestinations>>>["destinations"][number];
type Format = "generic" | "slack" | "discord" | "teams";

const text = (form: FormData, name: string) => String(form.get(name) ?? "").trim();
const chosenMembers = (form: FormData) => form.getAll("userIds").map(String);

function FormatSelect(props: { value?: Format | null }) {
  return (
    <Field label="Format">
      <select name="format" value={props.value ?? "generic"}>
        <option value="generic">Generic JSON (signed)</option>
        <option value="slack">Slack</option>
        <option value="discord">Discord</option>
        <option value="teams">Microsoft Teams</option>
      </select>
    </Field>
  );
}

/** One checkbox per member of the organization; the checked ones are the recipients. */
function MemberPicker(props: { members: Member[] | undefined; chosen?: string[] | null }) {
  return (
    <fieldset class="plain choices" data-testid="member-picker">
      <legend>Recipients</legend>
      <For each={props.members} fallback={<span class="muted small">Loading members…</span>}>
        {(member) => (
          <label class="choice">
            <input
              type="checkbox"
              name="userIds"
              value={member.userId}
              checked={props.chosen?.includes(member.userId) ?? false}
            />
            <span>{member.displayName ? `${member.displayName} (${member.email})` : member.email}</span>
          </label>
        )}
      </For>
    </fieldset>
  );
}

/** Changes a destination in place: name, and its URL and format or its recipients. */
function DestinationEditor(props: {
  projectId: string;
  destination: Destination;
  members: Member[] | undefined;
  onDone: () => void;
}) {
  const update = useAction(updateAlertDestination);
  const updating = useSubmission(updateAlertDestination);
  return (
    <div data-testid="destination-editor">
      <h3>Edit {props.destination.name}</h3>
      <form
        class="stack-gap"
        onSubmit={async (event) => {
          event.preventDefault();
          const form = new FormData(event.currentTarget);
          const result = await update(
            props.projectId,
            props.destination.id,
            props.destination.kind === "email"
              ? { name: text(form, "name"), userIds: chosenMembers(form) }
              : { name: text(form, "name"), url: text(form, "url"), format: text(form, "format") as Format },
          );
          if (result.ok) props.onDone();
        }}
      >
        <div class="row">
          <Field label="Name">
            <input name="name" required maxLength={100} value={props.destination.name} />
          </Field>
          <Show when={props.destination.kind === "webhook"}>
            <Field label="URL">
              <input name="url" required maxLength={2048} value={props.destination.url ?? ""} />
            </Field>
            <FormatSelect value={props.destination.format} />
          </Show>
        </div>
        <Show when={props.destination.kind === "email"}>
          <MemberPicker members={props.members} chosen={props.destination.userIds} />
        </Show>
        <div class="row">
          <button class="primary" type="submit" disabled={updating.pending}>
            Save
          </button>
          <button type="button" onClick={() => props.onDone()}>
            Cancel
          </button>
        </div>
      </form>
      <FormError result={updating.result} />
    </div>
  );
}

/**
 * The Alerts page's destinations: the list with send-test, enable/disable, edit and delete, and
 * the forms that add a webhook or an email destination (recipients chosen among the members).
 */
export function AlertDestinations(props: { projectId: string; orgId: string | undefined; canEdit: boolean }) {
  const destinations = createAsync(() => getAlertDestinations(props.projectId));
  const members = createAsync(async () => (props.orgId ? (await getMembers(props.orgId)).members : undefined));
  const add = useAction(createAlertDestination);
  const addingWebhook = useSubmission(createAlertDestination, ([, body]) => body.kind === "webhook");
  const addingEmail = useSubmission(createAlertDestination, ([, body]) => body.kind === "email");
  const update = useAction(updateAlertDestination);
  const toggling = useSubmission(updateAlertDestination, ([, , patch]) => patch.enabled !== undefined);
  const remove = useAction(deleteAlertDestination);
  const removing = useSubmission(deleteAlertDestination);
  const test = useAction(sendAlertTest);
  const testing = useSubmission(sendAlertTest);
  const [secret, setSecret] = createSignal<string>();
  const [testResult, setTestResult] = createSignal<string>();
  const [editing, setEditing] = createSignal<string>();
  const editedDestination = () => destinations()?.destinations.find((d) => d.id === editing());
  const recipients = (d: Destination) =>
    (d.userIds ?? []).map((id) => members()?.find((m) => m.userId === id)?.email ?? "a former member").join(", ");

  return (
    <section class="card">
      <h2>Destinations</h2>
      <Show when={testResult()}>
        <p class="small" role="status" data-testid="test-result">
          {testResult()}
        </p>
      </Show>
      <FormError result={testing.result} />
      <FormError result={toggling.result} />
      <FormError result={removing.result} />
      <Show
        when={(destinations()?.destinations.length ?? 0) > 0}
        fallback={
          <EmptyState title="No destinations yet">
            <p>Alerts are recorded below; add a webhook or an email destination to be told.</p>
          </EmptyState>
        }
      >
        <DataTable<Destination>
          rows={destinations()?.destinations}
          rowProps={(d) => ({ "data-testid": "destination-row", "data-destination-name": d.name })}
          columns={[
            { header: "Name", cell: (d) => d.name },
            { header: "Kind", cell: (d) => (d.kind === "email" ? "email" : `webhook (${d.format})`) },
            {
              header: "Target",
              cell: (d) => (d.kind === "email" ? recipients(d) : d.url),
              cellClass: "mono small",
              class: "hide-phone",
            },
            {
              header: "Status",
              cell: (d) => (
                <span class={`badge ${d.enabled ? "resolved" : "unresolved"}`} title={d.disabledReason ?? ""}>
                  {d.enabled ? "enabled" : "disabled"}
                </span>
              ),
            },
            {
              header: "",
              cell: (d) => (
                <Show when={props.canEdit}>
                  <div class="row">
                    <button
                      type="button"
                      disabled={testing.pending}
                      onClick={async () => {
                        const result = await test(props.projectId, d.id);
                        if (!result.ok) return;
                        const delivery = result.data.delivery;
                        setTestResult(
                          delivery.status === "delivered"
                            ? `Test delivered to ${d.name}${delivery.lastStatusCode ? ` (HTTP ${delivery.lastStatusCode})` : ""}.`
                            : `Test to ${d.name} failed: ${delivery.lastError ?? "unknown error"}.`,
                        );
                      }}
                    >
                      Send test
                    </button>
                    <button type="button" onClick={() => void update(props.projectId, d.id, { enabled: !d.enabled })}>
                      {d.enabled ? "Disable" : "Enable"}
                    </button>
                    <button type="button" onClick={() => setEditing(d.id)}>
                      Edit
                    </button>
                    <button
                      type="button"
                      class="danger"
                      onClick={() => {
                        if (!confirm(`Delete the destination "${d.name}" and its queued deliveries?`)) return;
                        if (editing() === d.id) setEditing(undefined);
                        void remove(props.projectId, d.id);
                      }}
                    >
                      Delete
                    </button>
                  </div>
                </Show>
              ),
            },
          ]}
        />
      </Show>
      <Show when={props.canEdit && editedDestination()} keyed>
        {(destination) => (
          <DestinationEditor
            projectId={props.projectId}
            destination={destination}
            members={members()}
            onDone={() => setEditing(undefined)}
          />
        )}
      </Show>
      <Show when={props.canEdit}>
        <div data-testid="webhook-destination">
          <h3>Add a webhook</h3>
          <form
            class="row"
            data-testid="destination-form"
            onSubmit={async (event) => {
              event.preventDefault();
              const formElement = event.currentTarget;
              const form = new FormData(formElement);
              setSecret(undefined);
              const result = await add(props.projectId, {
                kind: "webhook",
                name: text(form, "name"),
                url: text(form, "url"),
                format: text(form, "format") as Format,
              });
              if (result.ok) {
                setSecret(result.data.secret);
                formElement.reset();
              }
            }}
          >
            <Field label="Name">
              <input name="name" required maxLength={100} placeholder="On-call" />
            </Field>
            <Field label="URL">
              <input name="url" required maxLength={2048} placeholder="https://hooks.slack.com/services/…" />
            </Field>
            <FormatSelect />
            <button class="primary" type="submit" disabled={addingWebhook.pending} style={{ "align-self": "end" }}>
              Add webhook
            </button>
          </form>
          <FormError result={addingWebhook.result} />
          <Show when={secret()}>
            <p>
              <strong>Signing secret, shown once:</strong> verify <code>Telemetry-Signature</code> with it.
            </p>
            <div class="secret" data-testid="destination-secret">
              {secret()}
            </div>
          </Show>
        </div>
        <div data-testid="email-destination">
          <h3>Add an email destination</h3>
          <form
            class="stack-gap"
            data-testid="email-destination-form"
            onSubmit={async (event) => {
              event.preventDefault();
              const formElement = event.currentTarget;
              const form = new FormData(formElement);
              const result = await add(props.projectId, {
                kind: "email",
                name: text(form, "name"),
                userIds: chosenMembers(form),
              });
              if (result.ok) formElement.reset();
            }}
          >
            <div class="row">
              <Field label="Name">
                <input name="name" required maxLength={100} placeholder="Team inbox" />
              </Field>
            </div>
            <MemberPicker members={members()} />
            <button class="primary" type="submit" disabled={addingEmail.pending} style={{ "justify-self": "start" }}>
              Add email destination
            </button>
          </form>
          <FormError result={addingEmail.result} />
        </div>
      </Show>
    </section>
  );
}
