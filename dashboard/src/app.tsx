import { MetaProvider, Title } from "@solidjs/meta";
import { Router } from "@solidjs/router";
import { FileRoutes } from "@solidjs/start/router";
import { onMount, Suspense } from "solid-js";
import { getRequestEvent, isServer } from "solid-js/web";
import "./app.css";

export default function App() {
  // Pages show private data: never keep them in a shared cache or the back/forward cache.
  if (isServer) getRequestEvent()?.response.headers.set("cache-control", "no-store");
  // A click on server-rendered HTML before hydration does nothing (or submits a form natively):
  // browser tests wait for this mark before they interact.
  onMount(() => document.documentElement.setAttribute("data-hydrated", ""));
  return (
    <Router
      root={(props) => (
        <MetaProvider>
          <Title>Telemetry Tracker</Title>
          <Suspense>{props.children}</Suspense>
        </MetaProvider>
      )}
    >
      <FileRoutes />
    </Router>
  );
}
