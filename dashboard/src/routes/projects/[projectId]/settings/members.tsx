import { createAsync, useAction, useParams, useSubmission } from "@solidjs/router";
import { For, Show } from "solid-js";
import { DataTable } from "~/components/DataTable";
import { Field, FormError, FormSuccess } from "~/components/Form";
import {
  changeMemberRole,
  createInvite,
  getInvites,
  getMe,
  getMembers,
  getProjectContext,
  removeMember,
  revokeInvite,
} from "~/lib/api";
import { formatDateTime } from "~/lib/format";
import type { Invite, Member, Role } from "~/lib/types";

const ROLES: Role[] = ["OWNER", "EDITOR", "VIEWER"];

export default function Members() {
  const params = useParams<Record<string, string>>();
  const context = createAsync(() => getProjectContext(params.projectId));
  const me = createAsync(() => getMe());
  const orgId = () => context()?.org.id;
  const members = createAsync(async () => (orgId() ? (await getMembers(orgId()!)).members : []));
  const isOwner = () => context()?.role === "OWNER";
  const invites = createAsync(async () => (orgId() && isOwner() ? (await getInvites(orgId()!)).invites : []));
  const invite = useAction(createInvite);
  const inviting = useSubmission(createInvite);
  const setRole = useAction(changeMemberRole);
  const roleChange = useSubmission(changeMemberRole);
  const remove = useAction(removeMember);
  const removing = useSubmission(removeMember);
  const revoke = useAction(revokeInvite);
  /** Outside production the Worker answers the invite link itself (no mail goes out there). */
  const devAcceptUrl = () => {
    const result = inviting.result;
    return result?.ok ? result.data.devAcceptUrl : undefined;
  };
  return (
    <div class="stack-gap">
      <section class="card">
        <h2>Members</h2>
        <FormError result={roleChange.result} />
        <FormError result={removing.result} />
        <DataTable<Member>
          rows={members()}
          rowProps={() => ({ "data-testid": "member-row" })}
          columns={[
            {
              header: "Name",
              cell: (member) => (
                <>
                  {member.displayName}
                  <Show when={member.userId === me()?.user.id}>
                    <span class="muted small"> (you)</span>
                  </Show>
                </>
              ),
            },
            { header: "Email", cell: (member) => member.email },
            {
              header: "Role",
              cell: (member) => (
                <Show when={isOwner()} fallback={<span class="badge">{member.role}</span>}>
                  <select
                    aria-label={`Role of ${member.email}`}
                    value={member.role}
                    onChange={(event) => void setRole(orgId()!, member.userId, event.currentTarget.value as Role)}
                  >
                    <For each={ROLES}>{(role) => <option value={role}>{role}</option>}</For>
                  </select>
                </Show>
              ),
            },
            {
              header: "",
              cell: (member) => (
                <Show when={isOwner()}>
                  <button
                    type="button"
                    class="danger"
                    onClick={() => {
                      if (confirm(`Remove ${member.email} from the organization?`))
                        void remove(orgId()!, member.userId);
                    }}
                  >
                    Remove
                  </button>
                </Show>
              ),
            },
          ]}
        />
        <p class="muted small">
          An organization always keeps at least one owner: the last one cannot be demoted or removed.
        </p>
      </section>
      <Show when={isOwner()}>
        <section class="card">
          <h2>Invite someone</h2>
          <form
            class="row"
            onSubmit={async (event) => {
              event.preventDefault();
              const formElement = event.currentTarget;
              const form = new FormData(formElement);
              const result = await invite(
                orgId()!,
                String(form.get("email") ?? ""),
                String(form.get("role") ?? "VIEWER") as Role,
              );
              if (result.ok) formElement.reset();
            }}
          >
            <Field label="Email">
              <input name="email" type="email" required />
            </Field>
            <Field label="Role">
              <select name="role">
                <option value="VIEWER">Viewer — reads everything</option>
                <option value="EDITOR">Editor — also resolves issues, creates keys</option>
                <option value="OWNER">Owner — also manages members, keys, billing</option>
              </select>
            </Field>
            <button class="primary" type="submit" disabled={inviting.pending} style={{ "align-self": "end" }}>
              Send invite
            </button>
          </form>
          <FormError result={inviting.result} />
          <FormSuccess result={inviting.result}>Invitation sent by mail. The link is valid for 7 days.</FormSuccess>
          <Show when={devAcceptUrl()}>
            {(link) => (
              <p class="small" data-testid="dev-invite-link">
                <span class="badge">development only</span> In development the mail is only logged, not delivered; the
                link it holds is{" "}
                <a href={link()} class="mono">
                  {link()}
                </a>
                . Production never shows it.
              </p>
            )}
          </Show>

          <h3 style={{ "margin-top": "1rem" }}>Pending invites</h3>
          <Show when={(invites()?.length ?? 0) > 0} fallback={<p class="muted">No pending invites.</p>}>
            <DataTable<Invite>
              bare
              rows={invites()}
              columns={[
                { header: "Email", cell: (pending) => pending.email },
                { header: "Role", cell: (pending) => pending.role },
                { header: "Expires", cell: (pending) => formatDateTime(pending.expiresAt) },
                {
                  header: "",
                  cell: (pending) => (
                    <button type="button" class="danger" onClick={() => void revoke(orgId()!, pending.id)}>
                      Revoke
                    </button>
                  ),
                },
              ]}
            />
          </Show>
        </section>
      </Show>
    </div>
  );
}
