import { MetaProvider, Title } from "@solidjs/meta";
import { Router } from "@solidjs/router";
import { FileRoutes } from "@solidjs/start/router";
import { Suspense } from "solid-js";
import { getRequestEvent, isServer } from "solid-js/web";
import "./app.css";

export default function App() {
  // Pages show private data: never keep them in a shared cache or the back/forward cache.
  if (isServer) getRequestEvent()?.response.headers.set("cache-control", "no-store");
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
