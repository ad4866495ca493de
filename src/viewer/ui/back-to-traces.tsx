// The way back to the trace list, on every page that is not the list (a trace that has not
// arrived, a session without traces, an error): the header's brand link is easy to miss.
import { Link } from "./router.js";
import { traceListPath } from "../../receiver/viewer/viewer-links.js";

export function BackToTraces(props: { here: string }) {
  return (
    <div class="crumbs back">
      <Link href={traceListPath()}>← Traces</Link> / <span class="mono">{props.here}</span>
    </div>
  );
}
