// The trace's agent graph, as Langfuse's trace page shows it: the receiver builds the nodes and
// edges with Langfuse's rules (src/receiver/viewer/agent-graph.ts); this draws them top to bottom,
// one row per step (Langfuse lays the same graph out with ELK, direction DOWN), coloured by
// observation type. A click on a node shows its observation; clicking again cycles through the
// node's observations (one per turn of a loop).
import type { AgentGraph } from "./api.js";

const NODE_HEIGHT = 34;
const ROW_GAP = 40;
const NODE_GAP = 28;
const CHAR_WIDTH = 7.4;
const MARGIN = 16;

/** Langfuse's per-type accents (GraphNode.tsx, ItemBadge's palette). */
const TYPE_COLOURS: Record<string, string> = {
  AGENT: "#9333ea",
  TOOL: "#ea580c",
  GENERATION: "#9b5de5",
  SPAN: "#5b8def",
  CHAIN: "#db2777",
  RETRIEVER: "#0d9488",
  EVALUATOR: "#3056d3",
  EVENT: "#2bb3a3",
  EMBEDDING: "#d97706",
  GUARDRAIL: "#dc2626",
};

interface Placed {
  id: string;
  label: string;
  type: string;
  x: number;
  y: number;
  width: number;
  row: number;
}

function layout(graph: AgentGraph): { nodes: Map<string, Placed>; width: number; height: number } {
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const rows = graph.steps.map((ids) =>
    ids.flatMap((id) => {
      const node = byId.get(id);
      return node ? [{ ...node, width: Math.max(84, Math.ceil(node.label.length * CHAR_WIDTH) + 44) }] : [];
    }),
  );
  const rowWidth = (row: Array<{ width: number }>) =>
    row.reduce((sum, n) => sum + n.width, 0) + NODE_GAP * Math.max(0, row.length - 1);
  const width = Math.max(240, ...rows.map(rowWidth)) + 2 * MARGIN + 40;
  const placed = new Map<string, Placed>();
  rows.forEach((row, r) => {
    let x = (width - rowWidth(row)) / 2;
    for (const node of row) {
      placed.set(node.id, { ...node, x, y: MARGIN + r * (NODE_HEIGHT + ROW_GAP), row: r });
      x += node.width + NODE_GAP;
    }
  });
  return { nodes: placed, width, height: MARGIN * 2 + rows.length * NODE_HEIGHT + (rows.length - 1) * ROW_GAP };
}

function edgePath(from: Placed, to: Placed): string {
  const x1 = from.x + from.width / 2;
  const x2 = to.x + to.width / 2;
  if (to.row > from.row) {
    const y1 = from.y + NODE_HEIGHT;
    const y2 = to.y - 2;
    const mid = (y1 + y2) / 2;
    return `M${x1},${y1} C${x1},${mid} ${x2},${mid} ${x2},${y2}`;
  }
  // Back to an earlier step (a loop): around the right-hand side.
  const xr = Math.max(from.x + from.width, to.x + to.width) + 24;
  const y1 = from.y + NODE_HEIGHT / 2;
  const y2 = to.y + NODE_HEIGHT / 2;
  return `M${from.x + from.width},${y1} C${xr},${y1} ${xr},${y2} ${to.x + to.width + 2},${y2}`;
}

export function AgentGraphView(props: {
  graph: AgentGraph;
  /** Observation ids whose node is highlighted (the selected row). */
  selectedIds: ReadonlySet<string>;
  onSelectObservation: (observationId: string) => void;
}) {
  const { graph } = props;
  const { nodes, width, height } = layout(graph);
  const selectedNodes = new Set(
    Object.entries(graph.nodeToObservations)
      .filter(([, ids]) => ids.some((id) => props.selectedIds.has(id)))
      .map(([node]) => node),
  );
  const choose = (nodeId: string) => {
    const ids = graph.nodeToObservations[nodeId] ?? [];
    if (ids.length === 0) return;
    const current = ids.findIndex((id) => props.selectedIds.has(id));
    props.onSelectObservation(ids[(current + 1) % ids.length]!);
  };
  return (
    <svg
      class="agent-graph"
      width={width}
      height={height}
      viewBox={`0 0 ${width} ${height}`}
      role="img"
      aria-label={`Agent graph: ${graph.nodes.map((n) => n.label).join(", ")}`}
    >
      <defs>
        <marker id="graph-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto">
          <path d="M0,0 L10,5 L0,10 z" fill="#8a93a3" />
        </marker>
      </defs>
      {graph.edges.map((edge) => {
        const from = nodes.get(edge.from);
        const to = nodes.get(edge.to);
        return from && to ? (
          <path
            class="graph-edge"
            data-from={edge.from}
            data-to={edge.to}
            d={edgePath(from, to)}
            marker-end="url(#graph-arrow)"
          />
        ) : null;
      })}
      {[...nodes.values()].map((node) => {
        const system = node.type === "LANGGRAPH_SYSTEM";
        const colour = TYPE_COLOURS[node.type] ?? TYPE_COLOURS["SPAN"]!;
        const clickable = (graph.nodeToObservations[node.id] ?? []).length > 0;
        const count = (graph.nodeToObservations[node.id] ?? []).length;
        return (
          <g
            class={`graph-node${selectedNodes.has(node.id) ? " selected" : ""}${clickable ? " clickable" : ""}`}
            data-node={node.id}
            data-type={node.type}
            transform={`translate(${node.x},${node.y})`}
            onClick={() => choose(node.id)}
          >
            <title>
              {system ? node.label : `${node.label} (${node.type.toLowerCase()})`}
              {count > 1 ? `: ${count} observations, click to go through them` : ""}
            </title>
            <rect
              width={node.width}
              height={NODE_HEIGHT}
              rx={system ? NODE_HEIGHT / 2 : 6}
              fill={system ? "#f1f3f6" : "#fff"}
              stroke={system ? "#b8bfcb" : colour}
              stroke-width={selectedNodes.has(node.id) ? 3 : 1.6}
            />
            {!system && <circle cx={14} cy={NODE_HEIGHT / 2} r={4.5} fill={colour} />}
            <text x={system ? node.width / 2 : 26} y={NODE_HEIGHT / 2 + 4} text-anchor={system ? "middle" : "start"}>
              {node.label}
              {count > 1 && <tspan class="graph-count"> ×{count}</tspan>}
            </text>
          </g>
        );
      })}
    </svg>
  );
}
