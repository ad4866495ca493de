export const ROUTE_NODE = "route_node";
export const CLARIFY_NODE = "clarify_node";

/** Graph node (and span) name of a catalog agent. */
export function agentNodeName(key: string): string {
  return `agent_${key}`;
}
