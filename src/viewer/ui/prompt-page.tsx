// One prompt's versions, newest first: labels, when and why each was made, its text or chat
// messages, its config. The version in the address (`#v3`, as a generation links it) is marked.
import { useEffect } from "preact/hooks";
import { fetchPrompt, NotFound, type PromptVersion } from "./api.js";
import { BackToTraces } from "./back-to-traces.js";
import { formatTime } from "./format.js";
import { JsonView } from "./json-view.js";
import { Link } from "./router.js";
import { useFetch } from "./use-fetch.js";
import { promptListPath, traceListPath } from "../../receiver/viewer/viewer-links.js";

function VersionCard(props: { version: PromptVersion; linked: boolean }) {
  const v = props.version;
  const hasConfig = v.config !== null && typeof v.config === "object" && Object.keys(v.config).length > 0;
  return (
    <section
      id={`v${v.version}`}
      class={`card prompt-version${props.linked ? " linked" : ""}`}
      data-version={v.version}
    >
      <div class="turn-head">
        <span class="turn-number">v{v.version}</span>
        {v.labels.map((label) => (
          <span class={`chip label-chip label-${label}`}>{label}</span>
        ))}
        <span class="muted">{formatTime(v.createdAt)}</span>
        {v.commitMessage && <span class="muted">· {v.commitMessage}</span>}
      </div>
      {typeof v.prompt === "string" ? (
        <pre class="json text prompt-text">{v.prompt}</pre>
      ) : (
        <JsonView value={v.prompt} />
      )}
      {hasConfig && (
        <details class="prompt-config">
          <summary class="muted small">config</summary>
          <JsonView value={v.config} />
        </details>
      )}
    </section>
  );
}

export function PromptPage(props: { name: string }) {
  const { data, error } = useFetch(() => fetchPrompt(props.name), props.name, 5000);
  const linked = Number(/^#v(\d+)$/.exec(location.hash)?.[1] ?? 0);
  useEffect(() => {
    if (data && linked) document.getElementById(`v${linked}`)?.scrollIntoView({ block: "start" });
  }, [data !== null, linked]);
  if (error && !data) {
    return (
      <main>
        <BackToTraces here={props.name} />
        <div class="error-box">
          {error instanceof NotFound
            ? `No prompt ${props.name} is stored here.`
            : `Could not load it: ${error.message}`}
        </div>
      </main>
    );
  }
  if (!data) return <main class="muted">loading…</main>;
  const first = data.versions[0];
  return (
    <main>
      <div class="card">
        <div class="crumbs">
          <Link href={traceListPath()}>Traces</Link> / <Link href={promptListPath()}>prompts</Link> /{" "}
          <span class="mono">{data.name}</span>
        </div>
        <h1 class="wrap">{data.name}</h1>
        <div class="muted">
          {first?.type} prompt · {data.versions.length} version{data.versions.length === 1 ? "" : "s"}
          {first && first.tags.length > 0 && (
            <>
              {" · "}
              {first.tags.map((tag) => (
                <span class="chip">{tag}</span>
              ))}
            </>
          )}
        </div>
      </div>
      {data.versions.map((v) => (
        <VersionCard version={v} linked={v.version === linked} />
      ))}
    </main>
  );
}
