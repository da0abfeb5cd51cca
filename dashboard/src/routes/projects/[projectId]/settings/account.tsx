import { createAsync, useAction, useSubmission } from "@solidjs/router";
import { For, Show } from "solid-js";
import { FormError } from "~/components/AuthCard";
import {
  changePassword,
  getAuthSessions,
  getMe,
  revokeAuthSession,
  revokeOtherAuthSessions,
  updateProfile,
} from "~/lib/api";
import { formatDateTime, formatRelative } from "~/lib/format";

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
            <label>
              <span>Email</span>
              <input value={me()?.user.email ?? ""} disabled />
            </label>
            <label>
              <span>Name</span>
              <input name="displayName" value={me()?.user.displayName ?? ""} required maxLength={100} />
            </label>
            <FormError result={savingProfile.result} />
            <Show when={(savingProfile.result as { ok?: boolean } | undefined)?.ok}>
              <p class="ok-text" role="status">
                Saved.
              </p>
            </Show>
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
            <label>
              <span>Current password</span>
              <input name="currentPassword" type="password" autocomplete="current-password" required />
            </label>
            <label>
              <span>New password</span>
              <input
                name="newPassword"
                type="password"
                autocomplete="new-password"
                minLength={8}
                maxLength={256}
                required
              />
            </label>
            <FormError result={settingPassword.result} />
            <Show when={(settingPassword.result as { ok?: boolean } | undefined)?.ok}>
              <p class="ok-text" role="status">
                Password changed. Your other sessions were signed out.
              </p>
            </Show>
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
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th>Device</th>
                <th class="hide-phone">IP</th>
                <th>Signed in</th>
                <th>Last active</th>
                <th />
              </tr>
            </thead>
            <tbody>
              <For each={sessions()?.sessions}>
                {(session) => (
                  <tr>
                    <td class="small">
                      {session.userAgent ?? "unknown"}
                      <Show when={session.current}>
                        {" "}
                        <span class="badge resolved">this device</span>
                      </Show>
                    </td>
                    <td class="hide-phone">{session.ip ?? "–"}</td>
                    <td>{formatDateTime(session.createdAt)}</td>
                    <td>{formatRelative(session.lastSeenAt)}</td>
                    <td>
                      <Show when={!session.current}>
                        <button type="button" class="danger" onClick={() => void revoke(session.id)}>
                          Sign out
                        </button>
                      </Show>
                    </td>
                  </tr>
                )}
              </For>
            </tbody>
          </table>
        </div>
      </section>
    </div>
  );
}
