import type { TurnStart } from "../turn-trace.js";

const AGENT_PREFIX = "agent_";

/**
 * The seed's "before" (当前实现): user_id / session_id repeated in every span's input and
 * metadata although they already live on the trace, and agent_key both in the agent span's input
 * and its metadata. Kept deliberately so the benchmark measures what that redundancy costs.
 */
export function naiveNodeAttributes(
  name: string,
  input: Record<string, unknown>,
  metadata: Record<string, unknown> | undefined,
  turn: TurnStart,
): { input: Record<string, unknown>; metadata: Record<string, unknown> } {
  const ids = { user_id: turn.userId, session_id: turn.sessionId };
  if (!name.startsWith(AGENT_PREFIX)) {
    return { input: { ...input, ...ids }, metadata: { ...metadata, ...ids } };
  }
  const agentKey = input["agent_key"] ?? name.slice(AGENT_PREFIX.length);
  return {
    input: { ...input, agent_key: agentKey, ...ids },
    metadata: { agent_key: agentKey, ...ids, ...metadata },
  };
}
