import { createHash } from "node:crypto";

/** What a score says, as Langfuse's score data types allow it. */
export type ScoreValue = boolean | number | string;

/** A score on a trace (or one of its observations): user feedback, an evaluation. */
export interface ScoreInput {
  traceId: string;
  /** The observation scored; absent: the whole trace. */
  observationId?: string;
  /** Langfuse's score name, e.g. `user_feedback`. */
  name: string;
  /** true/false (BOOLEAN), a number (NUMERIC) or a category (CATEGORICAL). */
  value: ScoreValue;
  comment?: string;
  /**
   * Who gives it (e.g. the tenant and user): one score per trace, name and author. The same
   * author scoring again replaces the score (its id is the same), never adds a second.
   */
  author: string;
}

/**
 * A score as Langfuse's `POST /api/public/scores` takes it. A score is on a trace (and maybe one
 * of its observations), a session or a dataset run, exactly one of them: Langfuse refuses a trace
 * score that also names a session (400), and shows a trace's scores on its session anyway.
 */
export interface ScoreBody {
  id: string;
  traceId: string;
  observationId?: string;
  name: string;
  value: number | string;
  dataType: "BOOLEAN" | "NUMERIC" | "CATEGORICAL";
  comment?: string;
  environment?: string;
}

/**
 * The score's id: the same for the same trace, observation, name and author. Langfuse upserts a
 * score by its id, so a delivery sent twice (a retry after an unknown outcome, a replay after a
 * restart) stores it once, and an author changing their mind replaces their score.
 */
export function scoreId(score: Pick<ScoreInput, "traceId" | "observationId" | "name" | "author">): string {
  const hex = createHash("sha256")
    .update(`${score.traceId}\u0000${score.observationId ?? ""}\u0000${score.name}\u0000${score.author}`)
    .digest("hex");
  // Shaped like a UUID (version nibble 5, RFC variant), as Langfuse's own ids are.
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** The score in Langfuse's API shape: booleans as BOOLEAN 1/0, numbers NUMERIC, strings CATEGORICAL. */
export function scoreBody(score: ScoreInput, environment: string | undefined): ScoreBody {
  const value = score.value;
  const typed =
    typeof value === "boolean"
      ? { value: value ? 1 : 0, dataType: "BOOLEAN" as const }
      : typeof value === "number"
        ? { value, dataType: "NUMERIC" as const }
        : { value, dataType: "CATEGORICAL" as const };
  return {
    id: scoreId(score),
    traceId: score.traceId,
    ...(score.observationId ? { observationId: score.observationId } : {}),
    name: score.name,
    ...typed,
    ...(score.comment ? { comment: score.comment } : {}),
    ...(environment ? { environment } : {}),
  };
}
