import { Title } from "@solidjs/meta";
import { A, useSubmission } from "@solidjs/router";
import { Show } from "solid-js";
import { AuthCard } from "~/components/AuthCard";
import { FormError } from "~/components/Form";
import { forgotPassword } from "~/lib/api";

export default function Forgot() {
  const submission = useSubmission(forgotPassword);
  const sent = () => (submission.result as { ok?: boolean } | undefined)?.ok === true;
  return (
    <AuthCard title="Reset your password">
      <Title>Forgot password · Telemetry Tracker</Title>
      <Show
        when={!sent()}
        fallback={
          <p role="status">
            If an account exists for that address, we sent a link to reset its password. It is valid for one hour.
          </p>
        }
      >
        <form action={forgotPassword} method="post" class="stack">
          <label>
            <span>Email</span>
            <input name="email" type="email" autocomplete="username" required />
          </label>
          <FormError result={submission.result} />
          <button class="primary" type="submit" disabled={submission.pending}>
            Send reset link
          </button>
        </form>
      </Show>
      <p class="small">
        <A href="/login">Back to sign in</A>
      </p>
    </AuthCard>
  );
}
