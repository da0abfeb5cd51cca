import { createAsync, Navigate } from "@solidjs/router";
import { Show } from "solid-js";
import { Boundary } from "~/components/states";
import { getHome } from "~/lib/api";

export default function Home() {
  const home = createAsync(() => getHome());
  return (
    <Boundary>
      <Show when={home()}>{(href) => <Navigate href={href()} />}</Show>
    </Boundary>
  );
}
