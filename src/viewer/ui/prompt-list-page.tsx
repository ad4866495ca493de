// The prompts stored in the receiver (created through Langfuse's prompts API, e.g. seeded from the
// agent catalog), read-only: each name with its type, versions, where its labels are, and tags.
import { fetchPrompts } from "./api.js";
import { BackToTraces } from "./back-to-traces.js";
import { formatTime } from "./format.js";
import { Link } from "./router.js";
import { useFetch } from "./use-fetch.js";
import { promptPagePath, traceListPath } from "../../receiver/viewer/viewer-links.js";

export function PromptListPage() {
  const { data, error } = useFetch(fetchPrompts, "prompts", 5000);
  if (error && !data) {
    return (
      <main>
        <BackToTraces here="prompts" />
        <div class="error-box">Could not load the prompts: {error.message}</div>
      </main>
    );
  }
  if (!data) return <main class="muted">loading…</main>;
  return (
    <main>
      <div class="card">
        <div class="crumbs">
          <Link href={traceListPath()}>Traces</Link> / prompts
        </div>
        <h1>Prompts</h1>
        <p class="muted small">
          Prompt versions stored here through Langfuse's prompts API (<code>/api/public/v2/prompts</code>). A new
          version takes the labels it is given (and <code>latest</code>) from the older ones; a generation that used a
          prompt links its version.
        </p>
      </div>
      {data.data.length === 0 ? (
        <div class="card empty">No prompts yet.</div>
      ) : (
        <div class="card">
          <table class="prompts">
            <thead>
              <tr>
                <th>Name</th>
                <th>Type</th>
                <th>Versions</th>
                <th>Labels</th>
                <th>Tags</th>
                <th>Updated</th>
              </tr>
            </thead>
            <tbody>
              {data.data.map((p) => (
                <tr data-prompt-name={p.name}>
                  <td>
                    <Link href={promptPagePath(p.name)} class="prompt-name">
                      {p.name}
                    </Link>
                  </td>
                  <td>{p.type}</td>
                  <td>{p.versions.length}</td>
                  <td>
                    {Object.entries(p.labels).map(([label, version]) => (
                      <Link href={promptPagePath(p.name, version)} class={`chip label-chip label-${label}`}>
                        {label} → v{version}
                      </Link>
                    ))}
                  </td>
                  <td>
                    {p.tags.map((tag) => (
                      <span class="chip">{tag}</span>
                    ))}
                  </td>
                  <td class="muted">{formatTime(p.lastUpdatedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </main>
  );
}
