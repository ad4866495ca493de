// The trace viewer's browser app: a header and its pages (traces, a trace, a session, prompts),
// routed on the URL path.
import { render } from "preact";
import "./styles.css";
import { PromptListPage } from "./prompt-list-page.js";
import { PromptPage } from "./prompt-page.js";
import { Link, useLocation } from "./router.js";
import { SessionPage } from "./session-page.js";
import { TraceListPage } from "./trace-list-page.js";
import { TracePage } from "./trace-page.js";
import { promptListPath, traceListPath, VIEWER_BASE_PATH } from "../../receiver/viewer/viewer-links.js";

function Page() {
  const { path, query } = useLocation();
  const rest = path.startsWith(VIEWER_BASE_PATH) ? path.slice(VIEWER_BASE_PATH.length) : path;
  const trace = /^\/traces\/([^/]+)$/.exec(rest)?.[1];
  if (trace) return <TracePage key={trace} traceId={decodeURIComponent(trace)} />;
  const session = /^\/sessions\/([^/]+)$/.exec(rest)?.[1];
  if (session) return <SessionPage key={session} sessionId={decodeURIComponent(session)} />;
  if (rest === "/prompts") return <PromptListPage />;
  const prompt = /^\/prompts\/([^/]+)$/.exec(rest)?.[1];
  if (prompt) return <PromptPage key={prompt} name={decodeURIComponent(prompt)} />;
  return <TraceListPage query={query} />;
}

function App() {
  return (
    <>
      <header class="top">
        <Link href={traceListPath()} class="brand">
          <span class="logo">⌁</span> Switchboard <span class="muted">traces</span>
        </Link>
        <nav class="top-nav">
          <Link href={traceListPath()}>Traces</Link>
          <Link href={promptListPath()}>Prompts</Link>
        </nav>
        <span class="muted small">local receiver · Langfuse-compatible</span>
      </header>
      <Page />
    </>
  );
}

render(<App />, document.getElementById("app")!);
