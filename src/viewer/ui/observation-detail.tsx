// One observation in full: what it is, when, which model, usage, input, output, metadata, level.
import type { Observation } from "./api.js";
import { formatDuration, formatPreciseTime, formatTokens } from "./format.js";
import { containsTruncation, JsonView } from "./json-view.js";

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

export function ObservationDetail(props: { observation: Observation }) {
  const o = props.observation;
  const hasUsage = o.usage.total > 0 || o.usage.input > 0 || o.usage.output > 0;
  return (
    <div class="detail" data-observation-id={o.id}>
      <div class="detail-head">
        <span class={`type type-${o.type.toLowerCase()}`}>{o.type}</span>
        <h2>{o.name}</h2>
        {o.level !== "DEFAULT" && <span class={`badge ${o.level === "ERROR" ? "badge-error" : "badge-warn"}`}>{o.level}</span>}
      </div>
      {o.statusMessage && <div class={o.level === "ERROR" ? "error-box" : "note-box"}>{o.statusMessage}</div>}
      <div class="facts">
        <Fact label="Start">{formatPreciseTime(o.startTime)}</Fact>
        <Fact label="Duration">{formatDuration(o.latency)}</Fact>
        {o.timeToFirstToken !== null && <Fact label="First token">{formatDuration(o.timeToFirstToken)}</Fact>}
        {o.model && <Fact label="Model">{o.model}</Fact>}
        {hasUsage && (
          <Fact label="Tokens">
            {formatTokens(o.usage.input)} in · {formatTokens(o.usage.output)} out · {formatTokens(o.usage.total)} total
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
      <div class="payloads">
        <Payload title="Input" value={o.input} />
        <Payload title="Output" value={o.output} />
      </div>
      {o.metadata && Object.keys(o.metadata).length > 0 && <Payload title="Metadata" value={o.metadata} />}
    </div>
  );
}
