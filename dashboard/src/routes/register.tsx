import { Title } from "@solidjs/meta";
import { A, useSubmission } from "@solidjs/router";
import { AuthCard } from "~/components/AuthCard";
import { FormError } from "~/components/Form";
import { register } from "~/lib/api";

export default function Register() {
  const submission = useSubmission(register);
  return (
    <AuthCard title="Create your account">
      <Title>Create account · Telemetry Tracker</Title>
      <form action={register} method="post" class="stack">
        <label>
          <span>Name</span>
          <input name="displayName" autocomplete="name" required maxLength={100} />
        </label>
        <label>
          <span>Email</span>
          <input name="email" type="email" autocomplete="username" required />
        </label>
        <label>
          <span>Password</span>
          <input name="password" type="password" autocomplete="new-password" minLength={8} maxLength={256} required />
          <span class="muted small">At least 8 characters.</span>
        </label>
        <FormError result={submission.result} />
        <button class="primary" type="submit" disabled={submission.pending}>
          {submission.pending ? "Creating…" : "Create account"}
        </button>
      </form>
      <p class="small">
        Already have an account? <A href="/login">Sign in</A>
      </p>
    </AuthCard>
  );
}
