// How the trace-level facts that spans carry combine into one trace. Any span of a trace may
// carry them (the SDK propagates user, session, tags, metadata to every span), they arrive in any
// order (children usually end, and are exported, before their root), and a span may be re-sent.
import type { TraceUpdate } from "./langfuse-span-mapping.js";

/** The stored state of one trace, before the read-side fallbacks (name, input, output). */
export interface TraceState {
  id: string;
  /** The root span's start time once the root arrived; the earliest span start until then. */
  timestamp: string;
  hasRoot: boolean;
  explicitName: string | null;
  rootName: string | null;
  userId: string | null;
  sessionId: string | null;
  tags: string[];
  explicitInput: string | null;
  explicitOutput: string | null;
  rootInput: string | null;
  rootOutput: string | null;
  metadata: Record<string, unknown>;
  release: string | null;
  version: string | null;
  environment: string | null;
  public: boolean | null;
}

export function newTraceState(update: TraceUpdate): TraceState {
  return {
    id: update.id,
    timestamp: update.startTime,
    hasRoot: false,
    explicitName: null,
    rootName: null,
    userId: null,
    sessionId: null,
    tags: [],
    explicitInput: null,
    explicitOutput: null,
    rootInput: null,
    rootOutput: null,
    metadata: {},
    release: null,
    version: null,
    environment: null,
    public: null,
  };
}

/**
 * Applies one span's update in place. Like Langfuse's trace upsert: a value a span sets wins
 * over an earlier one, a value it leaves out keeps the earlier one, tags accumulate, metadata
 * keys merge.
 */
export function applyTraceUpdate(state: TraceState, update: TraceUpdate): void {
  if (update.isRoot) {
    state.timestamp = update.startTime;
    state.hasRoot = true;
  } else if (!state.hasRoot && update.startTime < state.timestamp) {
    state.timestamp = update.startTime;
  }
  state.explicitName = update.explicitName ?? state.explicitName;
  state.rootName = update.rootName ?? state.rootName;
  state.userId = update.userId ?? state.userId;
  state.sessionId = update.sessionId ?? state.sessionId;
  for (const tag of update.tags) if (!state.tags.includes(tag)) state.tags.push(tag);
  state.explicitInput = update.explicitInput ?? state.explicitInput;
  state.explicitOutput = update.explicitOutput ?? state.explicitOutput;
  state.rootInput = update.rootInput ?? state.rootInput;
  state.rootOutput = update.rootOutput ?? state.rootOutput;
  if (update.metadata) Object.assign(state.metadata, update.metadata);
  state.release = update.release ?? state.release;
  state.version = update.version ?? state.version;
  state.environment = update.environment ?? state.environment;
  state.public = update.public ?? state.public;
}
