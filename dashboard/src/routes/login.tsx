import { Title } from "@solidjs/meta";
import { A, useSearchParams, useSubmission } from "@solidjs/router";
import { Show } from "solid-js";
import { AuthCard } from "~/components/AuthCard";
import { FormError } from "~/components/Form";
import { login } from "~/lib/api";

export default function Login() {
  const [params] = useSearchParams();
  const submission = useSubmission(login);
  return (
    <AuthCard title="Sign in">
      <Title>Sign in · Telemetry Tracker</Title>
      <Show when={params.signedOut}>
        <p class="ok-text" role="status">
          You are signed out.
        </p>
      </Show>
      <Show when={params.reset}>
        <p class="ok-text" role="status">
          Your password was changed. Sign in with the new one.
        </p>
      </Show>
      <form action={login} method="post" class="stack">
        <input type="hidden" name="next" value={String(params.next ?? "")} />
        <label>
          <span>Email</span>
          <input name="email" type="email" autocomplete="username" required />
        </label>
        <label>
          <span>Password</span>
          <input name="password" type="password" autocomplete="current-password" required />
        </label>
        <FormError result={submission.result} />
        <button class="primary" type="submit" disabled={submission.pending}>
          {submission.pending ? "Signing in…" : "Sign in"}
        </button>
      </form>
      <p class="small">
        <A href="/forgot">Forgot your password?</A> · <A href="/register">Create an account</A>
      </p>
    </AuthCard>
  );
}
