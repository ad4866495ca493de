// The table of error codes in docs/api.md, generated from the catalog (npm run docs:errors), so
// the page lists every code the API answers, with its status, and no other.
import { ERROR_CATALOG, type ErrorEntry } from "./error-catalog.js";

export const ERROR_TABLE_BEGIN =
  "<!-- error-codes: generated from src/chat/error-catalog.ts by npm run docs:errors -->";
export const ERROR_TABLE_END = "<!-- /error-codes -->";

const API_NAMES: Record<ErrorEntry["api"], string> = {
  native: "native",
  openai: "OpenAI",
  both: "both",
};

/** Every code, by status (in the catalog's order within one), as a Markdown table. */
export function renderErrorTable(): string {
  const entries: [string, ErrorEntry][] = Object.entries(ERROR_CATALOG);
  const rows = entries
    .map(([code, entry], index) => ({ code, entry, index }))
    .sort((a, b) => a.entry.status - b.entry.status || a.index - b.index)
    .map(({ code, entry }) => `| ${entry.status} | \`${code}\` | ${API_NAMES[entry.api]} | ${entry.when} |`);
  return ["| status | code | API | when |", "|---|---|---|---|", ...rows].join("\n");
}

/** `page` with the text between the markers replaced by the current table; throws without the markers. */
export function withErrorTable(page: string): string {
  const begin = page.indexOf(ERROR_TABLE_BEGIN);
  const end = page.indexOf(ERROR_TABLE_END);
  if (begin < 0 || end < begin) throw new Error(`the page has no ${ERROR_TABLE_BEGIN} ... ${ERROR_TABLE_END} section`);
  return `${page.slice(0, begin + ERROR_TABLE_BEGIN.length)}\n${renderErrorTable()}\n${page.slice(end)}`;
}
