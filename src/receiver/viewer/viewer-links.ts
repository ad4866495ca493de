// The trace viewer's page addresses, in one place: the receiver serves them, the service links
// to them (trace_url), and the browser app routes on them.

/** Where the viewer lives on the receiver. */
export const VIEWER_BASE_PATH = "/ui";

export function traceListPath(): string {
  return `${VIEWER_BASE_PATH}/`;
}

export function tracePagePath(traceId: string): string {
  return `${VIEWER_BASE_PATH}/traces/${encodeURIComponent(traceId)}`;
}

export function sessionPagePath(sessionId: string): string {
  return `${VIEWER_BASE_PATH}/sessions/${encodeURIComponent(sessionId)}`;
}

export function promptListPath(): string {
  return `${VIEWER_BASE_PATH}/prompts`;
}

/** A prompt's versions; with `version`, that version is the one shown first (`#v3`). */
export function promptPagePath(name: string, version?: number | null): string {
  return `${VIEWER_BASE_PATH}/prompts/${encodeURIComponent(name)}${version ? `#v${version}` : ""}`;
}

/** Absolute link to a trace's page on the receiver at `receiverUrl` (e.g. http://127.0.0.1:3100). */
export function viewerTraceUrl(receiverUrl: string, traceId: string): string {
  return `${receiverUrl.replace(/\/+$/, "")}${tracePagePath(traceId)}`;
}
