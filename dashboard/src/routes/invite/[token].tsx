import { Title } from "@solidjs/meta";
import { A, createAsync, useAction, useParams, useSubmission } from "@solidjs/router";
import { Show } from "solid-js";
import { AuthCard } from "~/components/AuthCard";
import { FormError } from "~/components/Form";
import { Boundary } from "~/components/states";
import { acceptInvite, getInvitePreview, getMaybeMe, register } from "~/lib/api";
import { formatDateTime } from "~/lib/format";
import type { InvitePreview } from "~/lib/types";

/** Shows which organization and role an invite grants before anyone accepts it. */
export default function AcceptInvite() {
  const params = useParams<Record<string, string>>();
  const preview = createAsync(() => getInvitePreview(params.token));
  const me = createAsync(() => getMaybeMe());
  const accept = useAction(acceptInvite);
  const accepting = useSubmission(acceptInvite);
  const registering = useSubmission(register);
  return (
    <AuthCard title="Join an organization">
      <Title>Invitation · Telemetry Tracker</Title>
      <Boundary>
        <Show when={preview()}>
          {(result) => (
            <Show
              when={result().ok && result()}
              fallback={
                <p class="error-text" role="alert">
                  {(result() as { message?: string }).message ?? "This invite is not valid."} Ask whoever invited you
                  for a new link.
                </p>
              }
            >
              {(ok) => {
                const invite = () => (ok() as { invite: InvitePreview }).invite;
                return (
                  <div class="stack-gap">
                    <dl class="kv">
                      <dt>Organization</dt>
                      <dd data-testid="invite-org">{invite().orgName}</dd>
                      <dt>Role</dt>
                      <dd data-testid="invite-role">{invite().role}</dd>
                      <dt>For</dt>
                      <dd>{invite().email}</dd>
                      <dt>Expires</dt>
                      <dd>{formatDateTime(invite().expiresAt)}</dd>
                    </dl>
                    <Show
                      when={me()}
                      fallback={
                        <form action={register} method="post" class="stack">
                          <input type="hidden" name="inviteToken" value={params.token} />
                          <input type="hidden" name="email" value={invite().email} />
                          <p class="muted small">
                            Create your account to join. Already have one?{" "}
                            <A href={`/login?next=/invite/${params.token}`}>Sign in</A> first.
                          </p>
                          <label>
                            <span>Name</span>
                            <input name="displayName" autocomplete="name" required />
                          </label>
                          <label>
                            <span>Password</span>
                            <input name="password" type="password" autocomplete="new-password" minLength={8} required />
                          </label>
                          <FormError result={registering.result} />
                          <button class="primary" type="submit" disabled={registering.pending}>
                            Create account and join
                          </button>
                        </form>
                      }
                    >
                      <p>
                        Signed in as <strong>{me()?.user.email}</strong>.
                      </p>
                      <FormError result={accepting.result} />
                      <button
                        class="primary"
                        type="button"
                        disabled={accepting.pending}
                        onClick={() => void accept(params.token)}
                      >
                        Accept invitation
                      </button>
                    </Show>
                  </div>
                );
              }}
            </Show>
          )}
        </Show>
      </Boundary>
    </AuthCard>
  );
}
