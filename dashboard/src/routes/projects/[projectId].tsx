import { type RouteSectionProps, useParams } from "@solidjs/router";
import { Shell } from "~/components/Shell";
import { Boundary, ShellBoundary } from "~/components/states";

export default function ProjectLayout(props: RouteSectionProps) {
  const params = useParams<Record<string, string>>();
  return (
    <ShellBoundary>
      <Shell projectId={params.projectId}>
        <Boundary>{props.children}</Boundary>
      </Shell>
    </ShellBoundary>
  );
}
