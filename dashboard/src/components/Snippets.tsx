import { createSignal, For } from "solid-js";

export interface SnippetInput {
  ingestUrl: string;
  apiKey: string;
  app?: string;
  /** The project's Sentry DSN for this key, when one is known: offered as the "Sentry SDK" tab. */
  sentryDsn?: string;
}

function snippets(input: SnippetInput): { id: string; label: string; code: string }[] {
  const { ingestUrl, apiKey } = input;
  const app = input.app || "web";
  const sentry = input.sentryDsn
    ? [
        {
          id: "sentry",
          label: "Sentry SDK",
          code: `// Already instrumented with Sentry (any official SDK)? Keep it; change only the DSN.
import * as Sentry from "@sentry/browser"; // or @sentry/node, @sentry/react, …

Sentry.init({
  dsn: "${input.sentryDsn}",
  release: "my-app@1.0.0",
  environment: "production",
});`,
        },
      ]
    : [];
  return [
    {
      id: "browser",
      label: "Browser",
      code: `npm install @telemetry-tracker/browser

import { init, trackEvent } from "@telemetry-tracker/browser";

init({
  ingestUrl: "${ingestUrl}",
  apiKey: "${apiKey}",
  app: "${app}",
  environment: "production",
});

trackEvent("signup", { plan: "pro" });`,
    },
    {
      id: "node",
      label: "Node",
      code: `npm install @telemetry-tracker/node

import { init, trackEvent } from "@telemetry-tracker/node";

init({
  ingestUrl: "${ingestUrl}",
  apiKey: process.env.TT_API_KEY, // ${apiKey}
  app: "api",
  environment: process.env.NODE_ENV,
});

trackEvent("server_started");`,
    },
    {
      id: "react",
      label: "React / Next.js",
      code: `npm install @telemetry-tracker/react

import { TelemetryProvider } from "@telemetry-tracker/react";

export default function App({ children }) {
  return (
    <TelemetryProvider
      options={{ ingestUrl: "${ingestUrl}", apiKey: "${apiKey}", app: "${app}" }}
    >
      {children}
    </TelemetryProvider>
  );
}`,
    },
    {
      id: "react-native",
      label: "React Native",
      code: `npm install @telemetry-tracker/react-native

import { init } from "@telemetry-tracker/react-native";

init({ ingestUrl: "${ingestUrl}", apiKey: "${apiKey}", app: "mobile" });`,
    },
    {
      id: "workers",
      label: "Workers",
      code: `npm install @telemetry-tracker/workers

import { withTelemetry } from "@telemetry-tracker/workers";

export default withTelemetry(
  (env) => ({ ingestUrl: "${ingestUrl}", apiKey: env.TT_API_KEY, app: "edge" }),
  { async fetch(request, env, ctx) { return new Response("ok"); } },
);`,
    },
    {
      id: "curl",
      label: "curl",
      code: `curl -X POST ${ingestUrl}/ingest/event \\
  -H 'Authorization: Bearer ${apiKey}' \\
  -H 'Content-Type: application/json' \\
  -d '{"name":"hello","app":"${app}"}'`,
    },
    ...sentry,
  ];
}

/** Copy-paste setup for every SDK and a curl line, with the project's key filled in. */
export function Snippets(props: SnippetInput) {
  const [active, setActive] = createSignal("browser");
  const [copied, setCopied] = createSignal(false);
  const list = () => snippets(props);
  const current = () => list().find((snippet) => snippet.id === active()) ?? list()[0];
  const copy = async () => {
    await navigator.clipboard?.writeText(current().code).catch(() => {});
    setCopied(true);
    setTimeout(() => setCopied(false), 1500);
  };
  return (
    <div>
      <div class="tabs" role="tablist" aria-label="SDK">
        <For each={list()}>
          {(snippet) => (
            <a
              href={`#${snippet.id}`}
              role="tab"
              aria-selected={active() === snippet.id}
              class={active() === snippet.id ? "active" : ""}
              onClick={(event) => {
                event.preventDefault();
                setActive(snippet.id);
              }}
            >
              {snippet.label}
            </a>
          )}
        </For>
      </div>
      <pre data-snippet={current().id}>
        <code>{current().code}</code>
      </pre>
      <div class="row" style={{ "margin-top": "0.5rem" }}>
        <button type="button" onClick={copy}>
          {copied() ? "Copied" : "Copy"}
        </button>
      </div>
    </div>
  );
}
