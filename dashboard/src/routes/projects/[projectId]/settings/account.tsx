import { createAsync, useAction, useSubmission } from "@solidjs/router";
import { Show } from "solid-js";
import { DataTable } from "~/components/DataTable";
import { Field, FormStatus } from "~/components/Form";
import {
  changePassword,
  getAuthSessions,
  getMe,
  revokeAuthSession,
  revokeOtherAuthSessions,
  updateProfile,
} from "~/lib/api";
import { formatDateTime, formatRelative } from "~/lib/format";
import type { AuthSession } from "~/lib/types";

export default function AccountPage() {
  const me = createAsync(() => getMe());
  const sessions = createAsync(() => getAuthSessions());
  const saveProfile = useAction(updateProfile);
  const savingProfile = useSubmission(updateProfile);
  const setPassword = useAction(changePassword);
  const settingPassword = useSubmission(changePassword);
  const revoke = useAction(revokeAuthSession);
  const revokeOthers = useAction(revokeOtherAuthSessions);
  return (
    <div class="stack-gap">
      <div class="grid two">
        <section class="card">
          <h2>Profile</h2>
          <form
            class="stack"
            onSubmit={(event) => {
              event.preventDefault();
              void saveProfile(new FormData(event.currentTarget));
            }}
          >
            <Field label="Email">
              <input value={me()?.user.email ?? ""} disabled />
            </Field>
            <Field label="Name">
              <input name="displayName" value={me()?.user.displayName ?? ""} required maxLength={100} />
            </Field>
            <FormStatus result={savingProfile.result} success="Saved." />
            <button type="submit" class="primary" disabled={savingProfile.pending}>
              Save
            </button>
          </form>
        </section>
        <section class="card">
          <h2>Change password</h2>
          <form
            class="stack"
            onSubmit={async (event) => {
              event.preventDefault();
              const formElement = event.currentTarget;
              const result = await setPassword(new FormData(formElement));
              if (result.ok) formElement.reset();
            }}
          >
            <Field label="Current password">
              <input name="currentPassword" type="password" autocomplete="current-password" required />
            </Field>
            <Field label="New password">
              <input
                name="newPassword"
                type="password"
                autocomplete="new-password"
                minLength={8}
                maxLength={256}
                required
              />
            </Field>
            <FormStatus
              result={settingPassword.result}
              success="Password changed. Your other sessions were signed out."
            />
            <button type="submit" disabled={settingPassword.pending}>
              Change password
            </button>
          </form>
        </section>
      </div>
      <section class="card">
        <div class="spread">
          <h2>Active sessions</h2>
          <button type="button" onClick={() => void revokeOthers()}>
            Sign out everywhere else
          </button>
        </div>
        <DataTable<AuthSession>
          rows={sessions()?.sessions}
          columns={[
            {
              header: "Device",
              cellClass: "small",
              cell: (session) => (
                <>
                  {session.userAgent ?? "unknown"}
                  <Show when={session.current}>
                    {" "}
                    <span class="badge resolved">this device</span>
                  </Show>
                </>
              ),
            },
            { header: "IP", class: "hide-phone", cell: (session) => session.ip ?? "–" },
            { header: "Signed in", cell: (session) => formatDateTime(session.createdAt) },
            { header: "Last active", cell: (session) => formatRelative(session.lastSeenAt) },
            {
              header: "",
              cell: (session) => (
                <Show when={!session.current}>
                  <button type="button" class="danger" onClick={() => void revoke(session.id)}>
                    Sign out
                  </button>
                </Show>
              ),
            },
          ]}
        />
      </section>
    </div>
  );
}
