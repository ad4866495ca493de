// The viewer's data: the receiver's /_receiver/viewer/* endpoints (src/viewer/viewer-api.ts),
// typed as the browser reads them.

export interface Usage {
  input: number;
  output: number;
  total: number;
}

export interface TraceSummary {
  id: string;
  timestamp: string;
  name: string | null;
  userId: string | null;
  sessionId: string | null;
  tags: string[];
  metadata: Record<string, unknown>;
  latency: number;
  /** Distinct observation ids. */
  observationCount: number;
  /** Stored rows, duplicates included. */
  rowCount: number;
  /** Rows beyond the first of their id: spans sent more than once (Langfuse v4 keeps and counts each). */
  duplicateRows: number;
  usage: Usage;
  /** USD: the rows' costs summed, priced as Langfuse prices them. */
  totalCost: number;
  errorCount: number;
  warningCount: number;
  /** The turn asked a clarifying question. */
  clarification: boolean;
  /** The client went away mid-turn: a warning, not a failure. */
  disconnected: boolean;
  inputPreview: string | null;
  outputPreview: string | null;
}

export interface TraceList {
  data: TraceSummary[];
  meta: { page: number; limit: number; totalItems: number; totalPages: number };
  names: string[];
}

export interface Observation {
  id: string;
  type: string;
  name: string;
  startTime: string;
  endTime: string;
  completionStartTime: string | null;
  model: string | null;
  modelParameters: Record<string, unknown> | null;
  input: unknown;
  output: unknown;
  metadata: Record<string, unknown> | null;
  usage: Usage;
  level: string;
  statusMessage: string | null;
  parentObservationId: string | null;
  latency: number;
  timeToFirstToken: number | null;
  environment: string;
  /** This row's own trace context (v4: every row carries its own). */
  userId: string | null;
  sessionId: string | null;
  traceName: string | null;
  tags: string[];
  release: string | null;
  /** The stored row's key: ids repeat when a span was sent more than once. */
  rowId: number;
  /** Rows stored under this observation id. */
  copies: number;
  /** Which of them this row is, in storage order (1-based). */
  copyIndex: number;
  receivedAt: string;
  ingestionVersion: string | null;
  usageDetails: Record<string, number>;
  /** USD per usage key and `total`, as Langfuse computes them from the price table. */
  costDetails: Record<string, number>;
  calculatedTotalCost: number | null;
  /** The matched model of Langfuse's price table (its id), null when none matched. */
  modelId: string | null;
  /** That model's name in the price table. */
  pricedAs: string | null;
  usagePricingTierName: string | null;
  /** Usage as sent; null when none was (then the usage was counted from the input and output). */
  providedUsageDetails: Record<string, number> | null;
  /** The prompt a generation used, as it sent it (`langfuse.observation.prompt.name` / `.version`). */
  promptName: string | null;
  promptVersion: number | null;
  /** The id of that prompt version among the receiver's prompts: null when it had none to link. */
  promptId: string | null;
}

/** A score (user feedback, an evaluation) on a trace, one of its observations, or a session. */
export interface Score {
  id: string;
  name: string;
  /** NUMERIC, BOOLEAN, CATEGORICAL, TEXT or CORRECTION. */
  dataType: string;
  /** The number of a NUMERIC or BOOLEAN (0/1) score; null for the others. */
  value: number | null;
  /** "True"/"False", the category, or the text; null for NUMERIC. */
  stringValue: string | null;
  comment: string | null;
  source: string;
  timestamp: string;
  traceId: string | null;
  observationId: string | null;
  sessionId: string | null;
}

/** The agent graph as Langfuse draws it (src/receiver/viewer/agent-graph.ts). */
export interface AgentGraph {
  isAgentGraph: boolean;
  available: boolean;
  nodes: Array<{ id: string; label: string; type: string }>;
  edges: Array<{ from: string; to: string }>;
  steps: string[][];
  nodeToObservations: Record<string, string[]>;
}

export interface TraceDetails {
  id: string;
  timestamp: string;
  name: string | null;
  input: unknown;
  output: unknown;
  userId: string | null;
  sessionId: string | null;
  tags: string[];
  metadata: Record<string, unknown>;
  environment: string;
  release: string | null;
  version: string | null;
  observations: Observation[];
  summary: TraceSummary;
  graph: AgentGraph;
  /** Models of generations that no price of the table matched (Langfuse would not price them either). */
  unpricedModels: string[];
  /** Scores on the trace and on its observations, oldest first. */
  scores: Score[];
}

export interface SessionTurn extends TraceSummary {
  input: unknown;
  output: unknown;
  scores: Score[];
}

export interface SessionDetails {
  sessionId: string;
  userId: string | null;
  /** USD over all turns. */
  totalCost: number;
  usage: Usage;
  /** Scores on the session itself (not on one of its turns). */
  scores: Score[];
  turns: SessionTurn[];
}

export interface PromptSummary {
  name: string;
  type: string;
  tags: string[];
  /** Newest first. */
  versions: number[];
  /** Each label and the version that carries it. */
  labels: Record<string, number>;
  lastUpdatedAt: string;
}

/** One stored prompt version, as Langfuse's prompts API returns it. */
export interface PromptVersion {
  id: string;
  name: string;
  version: number;
  type: string;
  prompt: unknown;
  config: unknown;
  labels: string[];
  tags: string[];
  commitMessage: string | null;
  createdAt: string;
  updatedAt: string;
}

/** Filters of the trace list; empty strings are "no filter". */
export interface TraceFilters {
  userId: string;
  sessionId: string;
  name: string;
  /** datetime-local values (the browser's local time). */
  from: string;
  to: string;
}

export class NotFound extends Error {}

/** The browser has no session (the login link was not opened, or the receiver's key pair changed). */
export class NotLoggedIn extends Error {}

async function getJson<T>(path: string): Promise<T> {
  const res = await fetch(path, { headers: { accept: "application/json" } });
  if (res.status === 404) throw new NotFound(path);
  if (res.status === 401) {
    throw new NotLoggedIn("Not logged in: open the login link the receiver printed at start-up, then reload.");
  }
  if (!res.ok) {
    const body = (await res.json().catch(() => null)) as { message?: string } | null;
    throw new Error(body?.message ?? `HTTP ${res.status}`);
  }
  return (await res.json()) as T;
}

export function fetchTraces(filters: TraceFilters, page: number, limit: number): Promise<TraceList> {
  const q = new URLSearchParams({ page: String(page), limit: String(limit) });
  if (filters.userId) q.set("userId", filters.userId);
  if (filters.sessionId) q.set("sessionId", filters.sessionId);
  if (filters.name) q.set("name", filters.name);
  if (filters.from) q.set("fromTimestamp", new Date(filters.from).toISOString());
  if (filters.to) q.set("toTimestamp", new Date(filters.to).toISOString());
  return getJson(`/_receiver/viewer/traces?${q}`);
}

export function fetchTrace(id: string): Promise<TraceDetails> {
  return getJson(`/_receiver/viewer/traces/${encodeURIComponent(id)}`);
}

export function fetchSession(id: string): Promise<SessionDetails> {
  return getJson(`/_receiver/viewer/sessions/${encodeURIComponent(id)}`);
}

export function fetchPrompts(): Promise<{ data: PromptSummary[] }> {
  return getJson("/_receiver/viewer/prompts");
}

export function fetchPrompt(name: string): Promise<{ name: string; versions: PromptVersion[] }> {
  return getJson(`/_receiver/viewer/prompts/${encodeURIComponent(name)}`);
}
