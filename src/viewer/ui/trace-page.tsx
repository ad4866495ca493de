// One trace: its facts (cost included), its scores, its agent graph when Langfuse would draw one,
// then the observation tree and the waterfall side by side (one row per observation, so each bar
// sits next to its name), then the selected observation in full: the root until another is picked.
import { useRef, useState } from "preact/hooks";
import { AgentGraphView } from "./agent-graph.js";
import { BackToTraces } from "./back-to-traces.js";
import { fetchTrace, NotFound, NotLoggedIn, type Observation, type Score, type TraceDetails } from "./api.js";
import { formatCost, formatDuration, formatTime, formatTokens } from "./format.js";
import { containsTruncation, JsonView } from "./json-view.js";
import { ObservationDetail } from "./observation-detail.js";
import { buildTree, type ObservationTree } from "./observation-tree.js";
import { Link } from "./router.js";
import { ScoreList } from "./scores.js";
import { ClarificationBadge, DuplicatesBadge, OutcomeBadge } from "./turn-status.js";
import { useFetch } from "./use-fetch.js";
import { sessionPagePath, traceListPath } from "../../receiver/viewer/viewer-links.js";

/** Spans still arriving (children are exported before their root): refresh until it settles. */
const REFRESH_MS = 3000;
/**
 * A trace missing this long after the page opened is probably lost, not late: the service
 * exports within seconds, and retries and replays from its journal within about a minute.
 */
export const LOST_AFTER_MS = 3 * 60_000;

function ticks(spanMs: number): number[] {
  return [0, 0.25, 0.5, 0.75, 1].map((f) => f * spanMs);
}

/** The label goes after the bar, else before it, else (a bar across the whole track) inside it. */
function labelPosition(left: number, width: number): Record<string, string> {
  if (left + width <= 80) return { left: `${left + width}%` };
  if (left >= 22) return { right: `${100 - left}%`, marginRight: "6px" };
  return { right: `${Math.max(0, 100 - left - width)}%`, marginRight: "6px", color: "#fff" };
}

function Waterfall(props: {
  tree: ObservationTree;
  selected: number | null;
  onSelect: (rowId: number) => void;
  scoresOf: (observationId: string) => Score[];
}) {
  const { rows, spanMs } = props.tree;
  return (
    <div class="waterfall" role="tree">
      <div class="wf-head">
        <div class="wf-name">Observation</div>
        <div class="wf-axis">
          {ticks(spanMs).map((t, i) => (
            <span class="wf-tick" style={{ left: `${(i / 4) * 100}%` }}>
              {t === 0 ? "0 ms" : formatDuration(t / 1000)}
            </span>
          ))}
        </div>
      </div>
      {rows.map(({ observation: observation, depth, offsetMs, durationMs }) => {
        const left = (offsetMs / spanMs) * 100;
        const width = Math.max((durationMs / spanMs) * 100, 0.4);
        return (
          <div
            class={`wf-row${props.selected === observation.rowId ? " selected" : ""}${observation.level === "ERROR" ? " row-error" : ""}${observation.copies > 1 ? " row-dup" : ""}`}
            role="treeitem"
            data-observation-name={observation.name}
            data-depth={depth}
            data-copies={observation.copies}
            onClick={() => props.onSelect(observation.rowId)}
          >
            <div class="wf-name" style={{ paddingLeft: `${8 + depth * 18}px` }}>
              {depth > 0 && <span class="tree-elbow">└</span>}
              <span class={`type type-${observation.type.toLowerCase()}`}>
                {observation.type === "GENERATION" ? "GEN" : observation.type}
              </span>
              <span class="obs-name">{observation.name}</span>
              {observation.copies > 1 && (
                <span
                  class="badge badge-dup"
                  title={`This span was stored ${observation.copies} times (sent more than once): copy ${observation.copyIndex} of ${observation.copies}.`}
                >
                  dup {observation.copyIndex}/{observation.copies}
                </span>
              )}
              {observation.level === "WARNING" && <span class="badge badge-warn">WARN</span>}
              {props.scoresOf(observation.id).length > 0 && (
                <span
                  class="badge badge-score"
                  title={props
                    .scoresOf(observation.id)
                    .map((score) => `${score.name}: ${score.stringValue ?? score.value}`)
                    .join(", ")}
                >
                  {props.scoresOf(observation.id).length === 1
                    ? "1 score"
                    : `${props.scoresOf(observation.id).length} scores`}
                </span>
              )}
              {observation.model && <span class="muted small">{observation.model}</span>}
            </div>
            <div class="wf-track">
              <div
                class={`wf-bar bar-${observation.type.toLowerCase()}${observation.level === "ERROR" ? " bar-error" : ""}`}
                style={{ left: `${Math.min(left, 99.6)}%`, width: `${width}%` }}
              />
              <span class="wf-label" style={labelPosition(left, width)}>
                {formatDuration(durationMs / 1000)}
                {observation.usage.total > 0 ? ` · ${formatTokens(observation.usage.total)} tok` : ""}
                {observation.calculatedTotalCost ? ` · ${formatCost(observation.calculatedTotalCost)}` : ""}
              </span>
            </div>
          </div>
        );
      })}
    </div>
  );
}

function TraceHeader(props: { trace: TraceDetails }) {
  const t = props.trace;
  const s = t.summary;
  return (
    <div class="card trace-head">
      <div class="crumbs">
        <Link href={traceListPath()}>Traces</Link> / <span class="mono">{t.id}</span>
      </div>
      <h1>
        {t.name ?? "(unnamed)"}
        <OutcomeBadge summary={s} quietOk />
        <ClarificationBadge summary={s} />
        <DuplicatesBadge summary={s} />
      </h1>
      <div class="facts">
        <div class="fact">
          <div class="fact-label">Time</div>
          <div class="fact-value">{formatTime(t.timestamp)}</div>
        </div>
        <div class="fact">
          <div class="fact-label">User</div>
          <div class="fact-value">
            {t.userId ? (
              <Link href={`${traceListPath()}?userId=${encodeURIComponent(t.userId)}`}>{t.userId}</Link>
            ) : (
              "–"
            )}
          </div>
        </div>
        <div class="fact">
          <div class="fact-label">Session</div>
          <div class="fact-value mono">
            {t.sessionId ? <Link href={sessionPagePath(t.sessionId)}>{t.sessionId}</Link> : "–"}
          </div>
        </div>
        <div class="fact">
          <div class="fact-label">Duration</div>
          <div class="fact-value">{formatDuration(s.latency)}</div>
        </div>
        <div class="fact">
          <div class="fact-label">Observations</div>
          <div class="fact-value">
            {s.observationCount}
            {s.rowCount !== s.observationCount && <span class="muted"> ({s.rowCount} rows)</span>}
          </div>
        </div>
        <div class="fact">
          <div class="fact-label">Tokens</div>
          <div class="fact-value">
            {formatTokens(s.usage.input)} in · {formatTokens(s.usage.output)} out
          </div>
        </div>
        <div class="fact trace-cost">
          <div class="fact-label">Cost</div>
          <div
            class="fact-value"
            title={
              t.unpricedModels.length > 0
                ? `No price for ${t.unpricedModels.join(", ")} in Langfuse's default price table`
                : "Langfuse's default model prices x each generation's usage"
            }
          >
            {formatCost(s.totalCost)}
            {t.unpricedModels.length > 0 && <span class="muted small"> ({t.unpricedModels.join(", ")}: no price)</span>}
          </div>
        </div>
        {Object.entries(t.metadata).map(([k, v]) => (
          <div class="fact">
            <div class="fact-label">{k}</div>
            <div class="fact-value">{typeof v === "string" ? v : JSON.stringify(v)}</div>
          </div>
        ))}
        {t.tags.length > 0 && (
          <div class="fact">
            <div class="fact-label">Tags</div>
            <div class="fact-value">
              {t.tags.map((tag) => (
                <span class="chip">{tag}</span>
              ))}
            </div>
          </div>
        )}
      </div>
      <div class="payloads">
        <section class="payload">
          <h3>Input{containsTruncation(t.input) && <span class="badge badge-warn">truncated</span>}</h3>
          <JsonView value={t.input} />
        </section>
        <section class="payload">
          <h3>Output{containsTruncation(t.output) && <span class="badge badge-warn">truncated</span>}</h3>
          <JsonView value={t.output} empty="no output (the turn failed or is still running)" />
        </section>
      </div>
    </div>
  );
}

/** The trace's scores (user feedback, evaluations); one on an observation names it and selects it on a click. */
function ScoresCard(props: { trace: TraceDetails; onSelect: (observationId: string) => void }) {
  const { scores, observations } = props.trace;
  if (scores.length === 0) return null;
  const nameOf = (id: string) => observations.find((observation) => observation.id === id)?.name ?? id;
  return (
    <div class="card scores-card">
      <h2 class="section-title">Scores</h2>
      <ScoreList
        scores={scores}
        targetOf={(score) =>
          score.observationId ? (
            <>
              on{" "}
              <a
                href="#"
                class="score-observation"
                onClick={(event) => {
                  event.preventDefault();
                  props.onSelect(score.observationId!);
                }}
              >
                {nameOf(score.observationId)}
              </a>
            </>
          ) : (
            "on the trace"
          )
        }
      />
    </div>
  );
}

function NotArrived(props: { traceId: string; waitedMs: number }) {
  if (props.waitedMs < LOST_AFTER_MS) {
    return (
      <main>
        <BackToTraces here={props.traceId} />
        <div class="error-box not-arrived">
          Trace {props.traceId} has not arrived (yet). This page retries every few seconds.
        </div>
      </main>
    );
  }
  return (
    <main>
      <BackToTraces here={props.traceId} />
      <div class="error-box not-arrived lost">
        <p>
          Trace {props.traceId} has still not arrived after {Math.floor(props.waitedMs / 60_000)} minutes: it may have
          been lost. This page keeps retrying.
        </p>
        <p>Where to look:</p>
        <ul>
          <li>
            the service's <code>/metrics</code>: <code>switchboard_tracing_spans_dropped_total</code> (by{" "}
            <code>reason</code>) counts spans the pipeline gave up on, and{" "}
            <code>switchboard_tracing_export_failures_total</code> failed exports;
          </li>
          <li>the service log: every kind of tracing error is logged once, with its reason;</li>
          <li>that the service exports here at all: its start-up log line says where traces go.</li>
        </ul>
      </div>
    </main>
  );
}

function GraphCard(props: {
  trace: TraceDetails;
  selected: Observation | undefined;
  onSelect: (observationId: string) => void;
}) {
  const { graph } = props.trace;
  if (!graph.available) return null;
  const selectedIds = new Set(props.selected ? [props.selected.id] : []);
  const view = <AgentGraphView graph={graph} selectedIds={selectedIds} onSelectObservation={props.onSelect} />;
  // Langfuse opens an agent graph (agentic types, LangGraph steps) and offers any other graph closed.
  return (
    <div class="card graph-card">
      {graph.isAgentGraph ? (
        <>
          <h2 class="section-title">Agent graph</h2>
          <div class="graph-scroll">{view}</div>
        </>
      ) : (
        <details>
          <summary class="section-title">Graph (from timing: no agent types or LangGraph steps in this trace)</summary>
          <div class="graph-scroll">{view}</div>
        </details>
      )}
    </div>
  );
}

export function TracePage(props: { traceId: string }) {
  const { data, error } = useFetch(() => fetchTrace(props.traceId), props.traceId, REFRESH_MS);
  const [selected, setSelected] = useState<number | null>(null);
  const openedAt = useRef(Date.now());
  if (error && !data) {
    if (error instanceof NotFound)
      return <NotArrived traceId={props.traceId} waitedMs={Date.now() - openedAt.current} />;
    return (
      <main>
        <BackToTraces here={props.traceId} />
        <div class={`error-box${error instanceof NotLoggedIn ? " not-logged-in" : ""}`}>
          Could not load the trace: {error.message}
        </div>
      </main>
    );
  }
  if (!data) return <main class="muted">loading…</main>;
  const tree = buildTree(data.observations);
  // Until the user picks one, show the root: the turn's input and output, as Langfuse opens a trace.
  const shown =
    data.observations.find((observation) => observation.rowId === selected) ??
    data.observations.find((observation) => observation.parentObservationId === null) ??
    data.observations[0];
  const selectObservation = (id: string) => {
    const row = data.observations.find((observation) => observation.id === id);
    if (row) setSelected(row.rowId);
  };
  const scoresOf = (observationId: string) => data.scores.filter((score) => score.observationId === observationId);
  return (
    <main>
      <TraceHeader trace={data} />
      <ScoresCard trace={data} onSelect={selectObservation} />
      <GraphCard trace={data} selected={shown} onSelect={selectObservation} />
      <div class="card">
        <h2 class="section-title">Observations</h2>
        <Waterfall tree={tree} selected={shown?.rowId ?? null} onSelect={setSelected} scoresOf={scoresOf} />
      </div>
      {shown && (
        <div class="card">
          <ObservationDetail
            observation={shown}
            traceUserId={data.userId}
            traceSessionId={data.sessionId}
            scores={scoresOf(shown.id)}
          />
        </div>
      )}
    </main>
  );
}
