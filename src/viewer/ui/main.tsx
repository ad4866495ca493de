// The trace viewer's browser app: a header and three pages, routed on the URL path.
import { render } from "preact";
import "./styles.css";
import { Link, useLocation } from "./router.js";
import { SessionPage } from "./session-page.js";
import { TraceListPage } from "./trace-list-page.js";
import { TracePage } from "./trace-page.js";
import { traceListPath, VIEWER_BASE_PATH } from "../../receiver/viewer/viewer-links.js";

function Page() {
  const { path, query } = useLocation();
  const rest = path.startsWith(VIEWER_BASE_PATH) ? path.slice(VIEWER_BASE_PATH.length) : path;
  const trace = /^\/traces\/([^/]+)$/.exec(rest)?.[1];
  if (trace) return <TracePage key={trace} traceId={decodeURIComponent(trace)} />;
  const session = /^\/sessions\/([^/]+)$/.exec(rest)?.[1];
  if (session) return <SessionPage key={session} sessionId={decodeURIComponent(session)} />;
  return <TraceListPage query={query} />;
}

function App() {
  return (
    <>
      <header class="top">
        <Link href={traceListPath()} class="brand">
          <span class="logo">⌁</span> Switchboard <span class="muted">traces</span>
        </Link>
        <span class="muted small">local receiver · Langfuse-compatible</span>
      </header>
      <Page />
    </>
  );
}

render(<App />, document.getElementById("app")!);
