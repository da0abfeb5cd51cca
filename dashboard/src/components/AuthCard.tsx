import type { JSX } from "solid-js";
import { ThemeToggle } from "./Theme";

export function AuthCard(props: { title: string; children: JSX.Element; wide?: boolean }) {
  return (
    <main class="auth">
      <div class="card stack-gap" style={props.wide ? { "max-width": "760px" } : undefined}>
        <div class="spread">
          <span class="brand">
            <span class="brand-mark" aria-hidden="true" /> Telemetry Tracker
          </span>
          <ThemeToggle />
        </div>
        <h1>{props.title}</h1>
        {props.children}
      </div>
    </main>
  );
}
