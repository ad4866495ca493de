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
  const observation = props.observation;
  // Input keys first, then output keys, then the rest: how the cost was made up.
  const rank = (key: string) => (key.includes("input") ? 0 : key.includes("output") ? 1 : 2);
  const parts = Object.entries(observation.costDetails)
    .filter(([key]) => key !== "total")
    .sort(([a], [b]) => rank(a) - rank(b));
  return (
    <span class="cost-breakdown">
      <b>{formatCost(observation.costDetails["total"] ?? 0)}</b>
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
  const observation = props.observation;
  const hasUsage = observation.usage.total > 0 || observation.usage.input > 0 || observation.usage.output > 0;
  return (
    <div class="detail" data-observation-id={observation.id}>
      <div class="detail-head">
        <span class={`type type-${observation.type.toLowerCase()}`}>{observation.type}</span>
        <h2>{observation.name}</h2>
        {observation.level !== "DEFAULT" && (
          <span class={`badge ${observation.level === "ERROR" ? "badge-error" : "badge-warn"}`}>
            {observation.level}
          </span>
        )}
      </div>
      {observation.statusMessage && (
        <div class={observation.level === "ERROR" ? "error-box" : "note-box"}>{observation.statusMessage}</div>
      )}
      <div class="facts">
        <Fact label="Start">{formatPreciseTime(observation.startTime)}</Fact>
        <Fact label="Duration">{formatDuration(observation.latency)}</Fact>
        {observation.timeToFirstToken !== null && (
          <Fact label="First token">{formatDuration(observation.timeToFirstToken)}</Fact>
        )}
        {observation.model && <Fact label="Model">{observation.model}</Fact>}
        {observation.promptName && (
          <Fact label="Prompt">
            <PromptLink observation={observation} />
          </Fact>
        )}
        {hasUsage && (
          <Fact label="Tokens">
            {formatTokens(observation.usage.input)} in · {formatTokens(observation.usage.output)} out ·{" "}
            {formatTokens(observation.usage.total)} total
            {observation.providedUsageDetails === null && (
              <span
                class="badge badge-warn"
                title="No usage was sent: Langfuse counts the input and output with the model's tokenizer and bills them, failed calls included."
              >
                counted from input/output
              </span>
            )}
          </Fact>
        )}
        {observation.model && (
          <Fact label="Cost">
            {Object.keys(observation.costDetails).length > 0 ? (
              <CostBreakdown observation={observation} />
            ) : (
              <span class="muted">
                {observation.pricedAs ? "none (no usage)" : "no price for this model in Langfuse's default price table"}
              </span>
            )}
          </Fact>
        )}
        {observation.pricedAs && (
          <Fact label="Priced as">
            {observation.pricedAs}
            {observation.usagePricingTierName && <span class="muted"> · {observation.usagePricingTierName}</span>}
          </Fact>
        )}
        <Fact label="Level">{observation.level}</Fact>
        {observation.modelParameters && Object.keys(observation.modelParameters).length > 0 && (
          <Fact label="Parameters">
            {Object.entries(observation.modelParameters)
              .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
              .join(", ")}
          </Fact>
        )}
        <Fact label="Id">
          <span class="mono">{observation.id}</span>
        </Fact>
      </div>
      <div class="facts row-context" data-row-id={observation.rowId}>
        <Fact label="User">
          <OwnValue value={observation.userId} traceValue={props.traceUserId} />
        </Fact>
        <Fact label="Session">
          <OwnValue value={observation.sessionId} traceValue={props.traceSessionId} />
        </Fact>
        {observation.traceName && <Fact label="Trace name">{observation.traceName}</Fact>}
        {observation.tags.length > 0 && (
          <Fact label="Tags">
            {observation.tags.map((tag) => (
              <span class="chip">{tag}</span>
            ))}
          </Fact>
        )}
        <Fact label="Environment">{observation.environment}</Fact>
        {observation.release && <Fact label="Release">{observation.release}</Fact>}
        <Fact label="Stored">
          {formatTime(observation.receivedAt)}
          {observation.copies > 1 && (
            <span
              class="badge badge-dup"
              title="The span was sent more than once; Langfuse v4 keeps each copy as a row and counts it again."
            >
              copy {observation.copyIndex} of {observation.copies}
            </span>
          )}
        </Fact>
        <Fact label="Ingestion version">{observation.ingestionVersion ?? <span class="muted">none sent</span>}</Fact>
      </div>
      {props.scores.length > 0 && (
        <section class="observation-scores">
          <h3>Scores</h3>
          <ScoreList scores={props.scores} />
        </section>
      )}
      <div class="payloads">
        <Payload title="Input" value={observation.input} />
        <Payload title="Output" value={observation.output} />
      </div>
      {observation.metadata && Object.keys(observation.metadata).length > 0 && (
        <Payload title="Metadata" value={observation.metadata} />
      )}
    </div>
  );
}
