import { Title } from "@solidjs/meta";
import { A, type RouteSectionProps, useParams } from "@solidjs/router";
import { For } from "solid-js";
import { Boundary } from "~/components/states";

export default function SettingsLayout(props: RouteSectionProps) {
  const params = useParams<Record<string, string>>();
  const base = () => `/projects/${params.projectId}/settings`;
  const tabs = () => [
    { href: base(), label: "Project", end: true },
    { href: `${base()}/keys`, label: "API keys" },
    { href: `${base()}/sourcemaps`, label: "Source maps" },
    { href: `${base()}/members`, label: "Members" },
    { href: `${base()}/usage`, label: "Usage" },
    { href: `${base()}/billing`, label: "Billing" },
    { href: `${base()}/audit`, label: "Audit log" },
    { href: `${base()}/account`, label: "Account" },
  ];
  return (
    <div class="stack-gap">
      <Title>Settings · Telemetry Tracker</Title>
      <h1>Settings</h1>
      <nav class="tabs" aria-label="Settings">
        <For each={tabs()}>
          {(tab) => (
            <A href={tab.href} end={tab.end} activeClass="active">
              {tab.label}
            </A>
          )}
        </For>
      </nav>
      <Boundary>{props.children}</Boundary>
    </div>
  );
}
