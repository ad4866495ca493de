// Readable payloads: chat message lists as messages, other JSON indented and coloured, long
// strings wrapped, and values our pipeline cut ("…[truncated by switchboard: N chars]") marked
// with how long they were.
import type { ComponentChildren } from "preact";

const TRUNCATION = /…\[truncated by switchboard: (\d+) chars\]$/;

/** The text before the marker and the original length, when `text` was cut by the pipeline. */
export function truncation(text: string): { kept: string; originalChars: number } | null {
  const match = TRUNCATION.exec(text);
  return match ? { kept: text.slice(0, match.index), originalChars: Number(match[1]) } : null;
}

/** True when any string inside `value` carries the truncation marker. */
export function containsTruncation(value: unknown): boolean {
  if (typeof value === "string") return TRUNCATION.test(value);
  if (Array.isArray(value)) return value.some(containsTruncation);
  if (value && typeof value === "object") return Object.values(value).some(containsTruncation);
  return false;
}

function TruncatedBadge(props: { kept: number; original: number }) {
  return (
    <span class="badge badge-warn" title="LANGFUSE_MAX_FIELD_CHARS cut this value before export">
      truncated: {props.kept.toLocaleString("en-US")} of {props.original.toLocaleString("en-US")} chars
    </span>
  );
}

function StringValue(props: { text: string; quoted: boolean }) {
  const cut = truncation(props.text);
  const text = cut ? cut.kept : props.text;
  return (
    <span class="json-string">
      {props.quoted ? `"${text}"` : text}
      {cut && (
        <>
          {" "}
          <TruncatedBadge kept={cut.kept.length} original={cut.originalChars} />
        </>
      )}
    </span>
  );
}

function Node(props: { value: unknown; indent: number }): ComponentChildren {
  const { value, indent } = props;
  if (value === null) return <span class="json-null">null</span>;
  if (typeof value === "string") return <StringValue text={value} quoted />;
  if (typeof value === "number") return <span class="json-number">{value}</span>;
  if (typeof value === "boolean") return <span class="json-bool">{String(value)}</span>;
  const pad = "  ".repeat(indent + 1);
  const end = "  ".repeat(indent);
  if (Array.isArray(value)) {
    if (value.length === 0) return "[]";
    return (
      <>
        {"[\n"}
        {value.map((item, i) => (
          <>
            {pad}
            <Node value={item} indent={indent + 1} />
            {i < value.length - 1 ? ",\n" : "\n"}
          </>
        ))}
        {end}]
      </>
    );
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 0) return "{}";
  return (
    <>
      {"{\n"}
      {entries.map(([key, item], i) => (
        <>
          {pad}
          <span class="json-key">"{key}"</span>: <Node value={item} indent={indent + 1} />
          {i < entries.length - 1 ? ",\n" : "\n"}
        </>
      ))}
      {end}
      {"}"}
    </>
  );
}

interface ChatMessage {
  role: string;
  content: string;
}

function isChatMessages(value: unknown): value is ChatMessage[] {
  return (
    Array.isArray(value) &&
    value.length > 0 &&
    value.every(
      (m) =>
        m &&
        typeof m === "object" &&
        typeof (m as ChatMessage).role === "string" &&
        typeof (m as ChatMessage).content === "string",
    )
  );
}

/** A payload: messages, plain text, truncated JSON text, or JSON. */
export function JsonView(props: { value: unknown; empty?: string }) {
  const { value } = props;
  if (value === null || value === undefined) return <div class="json-empty">{props.empty ?? "none"}</div>;
  if (isChatMessages(value)) {
    return (
      <div class="messages">
        {value.map((m) => (
          <div class={`message message-${m.role}`}>
            <div class="message-role">{m.role}</div>
            <div class="message-content">
              <StringValue text={m.content} quoted={false} />
            </div>
          </div>
        ))}
      </div>
    );
  }
  if (typeof value === "string") {
    const cut = truncation(value);
    // Structured values are cut as JSON text, so they arrive as unparseable strings.
    const note =
      cut && /^[[{]/.test(cut.kept) ? <div class="json-note">JSON cut before its end: shown as text</div> : null;
    return (
      <div>
        {note}
        <pre class="json text">
          <StringValue text={value} quoted={false} />
        </pre>
      </div>
    );
  }
  return (
    <pre class="json">
      <Node value={value} indent={0} />
    </pre>
  );
}
