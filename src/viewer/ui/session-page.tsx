// A session's turns in order: what the user said, who answered and what, with each turn's
// timing, tokens, scores (the user's feedback) and a link to its trace; the session's own scores
// at the top.
import { fetchSession, NotFound } from "./api.js";
import { formatCost, formatDuration, formatTime, formatTokens } from "./format.js";
import { JsonView } from "./json-view.js";
import { Link } from "./router.js";
import { ScoreList } from "./scores.js";
import { BackToTraces } from "./back-to-traces.js";
import { ClarificationBadge, DuplicatesBadge, OutcomeBadge, outcomeClass } from "./turn-status.js";
import { useFetch } from "./use-fetch.js";
import { tracePagePath, traceListPath } from "../../receiver/viewer/viewer-links.js";

export function SessionPage(props: { sessionId: string }) {
  const { data, error } = useFetch(() => fetchSession(props.sessionId), props.sessionId, 3000);
  if (error && !data) {
    return (
      <main>
        <BackToTraces here={props.sessionId} />
        <div class="error-box">
          {error instanceof NotFound
            ? `No traces of session ${props.sessionId} yet.`
            : `Could not load the session: ${error.message}`}
        </div>
      </main>
    );
  }
  if (!data) return <main class="muted">loading…</main>;
  return (
    <main>
      <div class="card">
        <div class="crumbs">
          <Link href={traceListPath()}>Traces</Link> / session
        </div>
        <h1 class="mono wrap">{data.sessionId}</h1>
        <div class="muted session-totals">
          {data.turns.length} turn{data.turns.length === 1 ? "" : "s"}
          {data.userId ? ` · user ${data.userId}` : ""} · {formatTokens(data.usage.total)} tokens ·{" "}
          <span class="session-cost">{formatCost(data.totalCost)}</span> ·{" "}
          <Link href={`${traceListPath()}?sessionId=${encodeURIComponent(data.sessionId)}`}>as a trace list</Link>
        </div>
        {data.scores.length > 0 && (
          <div class="session-scores">
            <ScoreList scores={data.scores} targetOf={() => "on the session"} />
          </div>
        )}
      </div>
      <ol class="turns">
        {data.turns.map((turn, i) => {
          const agent = typeof turn.metadata["agent"] === "string" ? turn.metadata["agent"] : null;
          const intent = typeof turn.metadata["intent"] === "string" ? turn.metadata["intent"] : null;
          return (
            <li class={`card turn ${outcomeClass(turn) ?? ""}`} data-trace-id={turn.id}>
              <div class="turn-head">
                <span class="turn-number">#{i + 1}</span>
                <span>{formatTime(turn.timestamp)}</span>
                {agent && <span class="chip">{intent ? `${intent} → ${agent}` : agent}</span>}
                <ClarificationBadge summary={turn} />
                <span class="muted">
                  {formatDuration(turn.latency)} · {formatTokens(turn.usage.total)} tokens ·{" "}
                  {formatCost(turn.totalCost)} · {turn.observationCount} observations
                </span>
                <OutcomeBadge summary={turn} quietOk />
                <DuplicatesBadge summary={turn} />
                <Link href={tracePagePath(turn.id)} class="turn-trace">
                  trace →
                </Link>
              </div>
              <div class="bubble bubble-user">
                <JsonView value={turn.input} />
              </div>
              <div class="bubble bubble-assistant">
                <JsonView value={turn.output} empty="no reply" />
              </div>
              {turn.scores.length > 0 && (
                <div class="turn-scores">
                  <ScoreList
                    scores={turn.scores}
                    targetOf={(score) => (score.observationId ? "on an observation" : "on the turn")}
                  />
                </div>
              )}
            </li>
          );
        })}
      </ol>
    </main>
  );
}
