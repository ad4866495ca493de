// Scores as the viewer shows them: a chip with the name and the value (a boolean green or red, a
// number, a category or text), the comment beside it, and what the score is on.
import type { Score } from "./api.js";
import { formatTime } from "./format.js";

/** The value as Langfuse shows it: "True"/"False", the number, or the text. */
export function scoreValueText(score: Score): string {
  if (score.dataType === "NUMERIC") return String(Math.round((score.value ?? 0) * 1000) / 1000);
  return score.stringValue ?? String(score.value ?? "");
}

function tone(score: Score): string {
  if (score.dataType !== "BOOLEAN") return "score-neutral";
  return score.value === 1 ? "score-true" : "score-false";
}

export function ScoreChip(props: { score: Score }) {
  const s = props.score;
  const title = [`${s.dataType} score, source ${s.source}`, formatTime(s.timestamp), s.comment ? `“${s.comment}”` : ""]
    .filter(Boolean)
    .join(" · ");
  return (
    <span class={`score-chip ${tone(s)}`} title={title} data-score-name={s.name}>
      <span class="score-name">{s.name}</span>
      <span class="score-value">{scoreValueText(s)}</span>
    </span>
  );
}

/** Each score with its comment, and (with `targetOf`) what it is on. */
export function ScoreList(props: { scores: Score[]; targetOf?: (score: Score) => preact.ComponentChildren }) {
  return (
    <ul class="score-list">
      {props.scores.map((s) => (
        <li data-score-id={s.id}>
          <ScoreChip score={s} />
          {s.comment && <span class="score-comment">“{s.comment}”</span>}
          {props.targetOf && <span class="muted small score-target">{props.targetOf(s)}</span>}
          <span class="muted small">{formatTime(s.timestamp)}</span>
        </li>
      ))}
    </ul>
  );
}
