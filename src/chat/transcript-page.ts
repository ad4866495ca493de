import { apiError } from "./chat-errors.js";

/** Turns a session page holds when the client names no limit, and at most. */
export const DEFAULT_PAGE_TURNS = 50;
export const MAX_PAGE_TURNS = 500;

/** Which turns of a session's transcript to answer: up to `limit` turns numbered below `before` (the latest when absent). */
export interface TranscriptPageQuery {
  before?: number;
  limit: number;
}

/**
 * Reads `limit` and `before` of GET /api/v1/sessions/:id. Each is optional, given at most once, a
 * whole number: `limit` 1..MAX_PAGE_TURNS, `before` from 1 (a turn number, as `next_before`
 * gives it). Anything else is a 400 naming the parameter.
 */
export function parseTranscriptPage(query: { limit?: unknown; before?: unknown }): TranscriptPageQuery {
  const limit = wholeNumber("limit", query.limit, 1, MAX_PAGE_TURNS);
  const before = wholeNumber("before", query.before, 1, Number.MAX_SAFE_INTEGER);
  return { limit: limit ?? DEFAULT_PAGE_TURNS, ...(before !== undefined ? { before } : {}) };
}

function wholeNumber(field: string, raw: unknown, min: number, max: number): number | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== "string") throw apiError("invalid_request", `${field} query parameter must be given once`, field);
  const value = /^\d{1,16}$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max)
    throw apiError("invalid_request", `${field} must be a whole number from ${min} to ${max}`, field);
  return value;
}
