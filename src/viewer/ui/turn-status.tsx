// How a turn ended, said the same way on every page: failed (errors), disconnected (the client
// went away: a warning, not a failure), warnings, or fine; plus the badges for a clarifying
// question and for rows stored more than once.
import type { TraceSummary } from "./api.js";

export type TurnOutcome = "error" | "disconnected" | "warning" | "ok";

export function outcomeOf(s: TraceSummary): TurnOutcome {
  // A disconnect can leave an aborted model call marked ERROR inside: the turn still did not fail.
  if (s.disconnected) return "disconnected";
  if (s.errorCount > 0) return "error";
  if (s.warningCount > 0) return "warning";
  return "ok";
}

/** The class that colours a list row or a turn card by its outcome. */
export function outcomeClass(s: TraceSummary): string | undefined {
  const outcome = outcomeOf(s);
  return outcome === "error" ? "row-error" : outcome === "ok" ? undefined : "row-warn";
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

export function OutcomeBadge(props: { summary: TraceSummary; quietOk?: boolean }) {
  const s = props.summary;
  switch (outcomeOf(s)) {
    case "error":
      return <span class="badge badge-error outcome">{plural(s.errorCount, "error")}</span>;
    case "disconnected":
      return (
        <span
          class="badge badge-warn outcome"
          title="The client went away before the reply was complete (level WARNING, not a failure)."
        >
          disconnected
        </span>
      );
    case "warning":
      return <span class="badge badge-warn outcome">{plural(s.warningCount, "warning")}</span>;
    default:
      return props.quietOk ? null : <span class="muted outcome">ok</span>;
  }
}

export function ClarificationBadge(props: { summary: TraceSummary }) {
  return props.summary.clarification ? (
    <span class="chip chip-clarify" title="The router was unsure and asked the user a question back (clarify_node).">
      clarifying question
    </span>
  ) : null;
}

export function DuplicatesBadge(props: { summary: TraceSummary }) {
  const n = props.summary.duplicateRows;
  return n > 0 ? (
    <span
      class="badge badge-dup"
      title="Spans of this trace were sent more than once. Langfuse v4 keeps every copy as its own row and counts it again (usage, cost)."
    >
      {plural(n, "duplicate row")}
    </span>
  ) : null;
}
