import { Title } from "@solidjs/meta";
import { A, useSearchParams, useSubmission } from "@solidjs/router";
import { Show } from "solid-js";
import { AuthCard } from "~/components/AuthCard";
import { FormError } from "~/components/Form";
import { resetPassword } from "~/lib/api";

export default function Reset() {
  const [params] = useSearchParams();
  const submission = useSubmission(resetPassword);
  const token = () => String(params.token ?? "");
  return (
    <AuthCard title="Choose a new password">
      <Title>Reset password · Telemetry Tracker</Title>
      <Show
        when={token()}
        fallback={
          <p class="error-text" role="alert">
            This link has no reset token. <A href="/forgot">Ask for a new link</A>.
          </p>
        }
      >
        <form action={resetPassword} method="post" class="stack">
          <input type="hidden" name="token" value={token()} />
          <label>
            <span>New password</span>
            <input name="password" type="password" autocomplete="new-password" minLength={8} maxLength={256} required />
          </label>
          <FormError result={submission.result} />
          <button class="primary" type="submit" disabled={submission.pending}>
            Set password
          </button>
        </form>
      </Show>
    </AuthCard>
  );
}
