// One observation row in full: what it is, when, which model and prompt version, usage and cost
// (priced as Langfuse prices it), its scores, input, output, metadata, level, and the trace
// context this row carries itself (Langfuse v4 filters rows by it).
import type { Observation, Score } from "./api.js";
import { formatCost, formatDuration, formatPreciseTime, formatTime, formatTokens } from "./format.js";
import { containsTruncation, JsonView } from "./json-view.js";
import { Link } from "./router.js";
import { ScoreList } from "./scores.js";
import { promptPagePath } from "../../receiver/viewer/viewer-links.js";

function Fact(props: { label: string; children: preact.ComponentChildren }) {
  return (
    <div class="fact">
      <div class="fact-label">{props.label}</div>
      <div class="fact-value">{props.children}</div>
    </div>
  );
}

function Payload(props: { title: string; value: unknown }) {
  return (
    <section class="payload">
      <h3>
        {props.title}
        {containsTruncation(props.value) && <span class="badge badge-warn">truncated</span>}
      </h3>
      <JsonView value={props.value} />
    </section>
  );
}

/** A row's own user or session, flagged when missing or not the trace's. */
function OwnValue(props: { value: string | null; traceValue: string | null }) {
  if (props.value === null) {
    return props.traceValue === null ? (
      <span class="muted">–</span>
    ) : (
      <span
        class="badge badge-warn"
        title="Langfuse v4 filters rows by their own user and session: this row is not found under the trace's."
      >
        missing on this row
      </span>
    );
  }
  return (
    <span class="mono">
      {props.value}
      {props.traceValue !== null && props.value !== props.traceValue && (
        <span class="badge badge-warn" title={`The trace's is ${props.traceValue}`}>
          not the trace's
        </span>
      )}
    </span>
  );
}

/** Cost per usage key, e.g. "input $0.00015 · input_cache_read $0.000015 · output $0.00003". */
function CostBreakdown(props: { observation: Observation }) {
  const o = props.observation;
  // Input keys first, then output keys, then the rest: how the cost was made up.
  const rank = (key: string) => (key.includes("input") ? 0 : key.includes("output") ? 1 : 2);
  const parts = Object.entries(o.costDetails)
    .filter(([key]) => key !== "total")
    .sort(([a], [b]) => rank(a) - rank(b));
  return (
    <span class="cost-breakdown">
      <b>{formatCost(o.costDetails["total"] ?? 0)}</b>
      {parts.length > 0 && (
        <span class="muted small"> ({parts.map(([key, usd]) => `${key} ${formatCost(usd)}`).join(" · ")})</span>
      )}
    </span>
  );
}

/** The prompt version a generation used; flagged when the receiver holds no such version (Langfuse would link none). */
function PromptLink(props: { observation: Observation }) {
  const { promptName, promptVersion, promptId } = props.observation;
  if (!promptName) return null;
  return (
    <span class="prompt-link">
      <Link href={promptPagePath(promptName, promptVersion)}>
        {promptName}
        {promptVersion !== null ? ` v${promptVersion}` : ""}
      </Link>
      {!promptId && (
        <span
          class="badge badge-warn"
          title="No such prompt version is stored here: Langfuse links a generation only to a prompt version it holds."
        >
          not linked
        </span>
      )}
    </span>
  );
}

export function ObservationDetail(props: {
  observation: Observation;
  traceUserId: string | null;
  traceSessionId: string | null;
  /** Scores on this observation. */
  scores: Score[];
}) {
  const o = props.observation;
  const hasUsage = o.usage.total > 0 || o.usage.input > 0 || o.usage.output > 0;
  return (
    <div class="detail" data-observation-id={o.id}>
      <div class="detail-head">
        <span class={`type type-${o.type.toLowerCase()}`}>{o.type}</span>
        <h2>{o.name}</h2>
        {o.level !== "DEFAULT" && (
          <span class={`badge ${o.level === "ERROR" ? "badge-error" : "badge-warn"}`}>{o.level}</span>
        )}
      </div>
      {o.statusMessage && <div class={o.level === "ERROR" ? "error-box" : "note-box"}>{o.statusMessage}</div>}
      <div class="facts">
        <Fact label="Start">{formatPreciseTime(o.startTime)}</Fact>
        <Fact label="Duration">{formatDuration(o.latency)}</Fact>
        {o.timeToFirstToken !== null && <Fact label="First token">{formatDuration(o.timeToFirstToken)}</Fact>}
        {o.model && <Fact label="Model">{o.model}</Fact>}
        {o.promptName && (
          <Fact label="Prompt">
            <PromptLink observation={o} />
          </Fact>
        )}
        {hasUsage && (
          <Fact label="Tokens">
            {formatTokens(o.usage.input)} in · {formatTokens(o.usage.output)} out · {formatTokens(o.usage.total)} total
            {o.providedUsageDetails === null && (
              <span
                class="badge badge-warn"
                title="No usage was sent: Langfuse counts the input and output with the model's tokenizer and bills them, failed calls included."
              >
                counted from input/output
              </span>
            )}
          </Fact>
        )}
        {o.model && (
          <Fact label="Cost">
            {Object.keys(o.costDetails).length > 0 ? (
              <CostBreakdown observation={o} />
            ) : (
              <span class="muted">
                {o.pricedAs ? "none (no usage)" : "no price for this model in Langfuse's default price table"}
              </span>
            )}
          </Fact>
        )}
        {o.pricedAs && (
          <Fact label="Priced as">
            {o.pricedAs}
            {o.usagePricingTierName && <span class="muted"> · {o.usagePricingTierName}</span>}
          </Fact>
        )}
        <Fact label="Level">{o.level}</Fact>
        {o.modelParameters && Object.keys(o.modelParameters).length > 0 && (
          <Fact label="Parameters">
            {Object.entries(o.modelParameters)
              .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
              .join(", ")}
          </Fact>
        )}
        <Fact label="Id">
          <span class="mono">{o.id}</span>
        </Fact>
      </div>
      <div class="facts row-context" data-row-id={o.rowId}>
        <Fact label="User">
          <OwnValue value={o.userId} traceValue={props.traceUserId} />
        </Fact>
        <Fact label="Session">
          <OwnValue value={o.sessionId} traceValue={props.traceSessionId} />
        </Fact>
        {o.traceName && <Fact label="Trace name">{o.traceName}</Fact>}
        {o.tags.length > 0 && (
          <Fact label="Tags">
            {o.tags.map((tag) => (
              <span class="chip">{tag}</span>
            ))}
          </Fact>
        )}
        <Fact label="Environment">{o.environment}</Fact>
        {o.release && <Fact label="Release">{o.release}</Fact>}
        <Fact label="Stored">
          {formatTime(o.receivedAt)}
          {o.copies > 1 && (
            <span
              class="badge badge-dup"
              title="The span was sent more than once; Langfuse v4 keeps each copy as a row and counts it again."
            >
              copy {o.copyIndex} of {o.copies}
            </span>
          )}
        </Fact>
        <Fact label="Ingestion version">{o.ingestionVersion ?? <span class="muted">none sent</span>}</Fact>
      </div>
      {props.scores.length > 0 && (
        <section class="observation-scores">
          <h3>Scores</h3>
          <ScoreList scores={props.scores} />
        </section>
      )}
      <div class="payloads">
        <Payload title="Input" value={o.input} />
        <Payload title="Output" value={o.output} />
      </div>
      {o.metadata && Object.keys(o.metadata).length > 0 && <Payload title="Metadata" value={o.metadata} />}
    </div>
  );
}
