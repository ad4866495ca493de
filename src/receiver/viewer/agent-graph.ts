// A trace's agent graph, built as Langfuse's trace page builds it (langfuse/langfuse, web/src/
// features/traces/contexts/TraceGraphDataContext.tsx for when to draw it, events getAgentGraphData
// for the rows, trace-graph-view/buildStepData.ts and buildGraphCanvasData.ts for the aggregated
// graph): every row but EVENTs is a candidate node, keyed by its LangGraph node name
// (`langgraph_node` metadata) and step (`langgraph_step`, 0 when absent). Langfuse draws it as an
// agent graph when any row has an agentic type (not SPAN, EVENT or GENERATION) or a LangGraph step
// other than 0; otherwise it is only offered (collapsed) when it would show more than one node.
// With LangGraph steps the nodes are the LangGraph nodes (their generations fold into them);
// without, steps come from timing: rows that overlap in time share a step, a child comes after
// its parent. Nodes of one step connect to every node of the next; __start__ and __end__ close it.

export const START_NODE = "__start__";
export const END_NODE = "__end__";
/** Langfuse draws no graph for traces this large. */
const MAX_NODES_FOR_GRAPH = 5000;
const MAX_STEP_ITERATIONS = 1500;

/** What the graph needs of a row: the fields Langfuse's getAgentGraphData selects. */
export interface GraphRow {
  id: string;
  parentObservationId: string | null;
  type: string;
  name: string;
  startTime: string;
  endTime: string | null;
  /** The row's metadata (observation metadata, trace metadata over it). */
  metadata: Record<string, unknown>;
}

interface GraphObservation {
  id: string;
  node: string | null;
  step: number | null;
  parentObservationId: string | null;
  name: string;
  startTime: string;
  endTime?: string;
  observationType: string;
}

export interface AgentGraphNode {
  id: string;
  label: string;
  /** The observation type of its first row, or LANGGRAPH_SYSTEM for __start__ / __end__. */
  type: string;
}

export interface AgentGraph {
  /** Langfuse shows it expanded: agentic types or LangGraph steps. */
  isAgentGraph: boolean;
  /** Langfuse offers it at all (an agent graph, or more than one meaningful node). */
  available: boolean;
  nodes: AgentGraphNode[];
  edges: Array<{ from: string; to: string }>;
  /** Node ids by step, in step order (a node repeated across steps sits at its first). */
  steps: string[][];
  /** The observations a click on a node selects (the top-most of each same-name chain). */
  nodeToObservations: Record<string, string[]>;
}

/** langgraph_node / langgraph_step as Langfuse reads them from the flattened metadata (text values). */
function toGraphObservation(row: GraphRow): GraphObservation | null {
  const rawNode = row.metadata["langgraph_node"];
  const rawStep = row.metadata["langgraph_step"];
  const node =
    rawNode === undefined || rawNode === null ? "" : typeof rawNode === "string" ? rawNode : JSON.stringify(rawNode);
  const stepText = rawStep === undefined || rawStep === null ? "" : String(rawStep);
  // z.coerce.number(): "" is 0, text that is not a number drops the row.
  const step = Number(stepText);
  if (Number.isNaN(step)) return null;
  return {
    id: row.id,
    node,
    step,
    parentObservationId: row.parentObservationId || null,
    name: row.name,
    startTime: row.startTime,
    endTime: row.endTime ?? undefined,
    observationType: row.type,
  };
}

function isAvailable(data: GraphObservation[]): { available: boolean; isAgentGraph: boolean } {
  if (data.length === 0 || data.length >= MAX_NODES_FOR_GRAPH) return { available: false, isAgentGraph: false };
  const agentic = data.some((observation) => !["SPAN", "EVENT", "GENERATION"].includes(observation.observationType));
  const langGraph = data.some((observation) => observation.step != null && observation.step !== 0);
  if (agentic || langGraph) return { available: true, isAgentGraph: true };
  const nonEvent = data.filter((observation) => observation.observationType !== "EVENT");
  const parentless = nonEvent.filter((observation) => !observation.parentObservationId);
  const counted =
    parentless.length === 1 ? nonEvent.filter((observation) => observation.parentObservationId) : nonEvent;
  return { available: new Set(counted.map((observation) => observation.name)).size > 1, isAgentGraph: false };
}

// ---- buildStepData.ts: steps from timing ----

type Times = Map<string, { start: number; end: number }>;

function buildStepGroups(observations: GraphObservation[], times: Times): GraphObservation[][] {
  const groups: GraphObservation[][] = [];
  let remaining = observations;
  // Langfuse recurses; a loop keeps the same order without the stack depth.
  while (remaining.length > 0) {
    const current = [remaining[0]!];
    let maxEnd = times.get(remaining[0]!.id)!.end;
    for (const obs of remaining.slice(1)) {
      const start = times.get(obs.id)!.start;
      if (start >= maxEnd) break;
      if (current.some((g) => start < times.get(g.id)!.end)) {
        current.push(obs);
        maxEnd = Math.max(maxEnd, times.get(obs.id)!.end);
      }
    }
    const processed = new Set<string>();
    const cleaned = current.filter((obs) => {
      const start = times.get(obs.id)!.start;
      const startsAfterOtherEnds = current.some((other) => other !== obs && start > times.get(other.id)!.end);
      if (!startsAfterOtherEnds) processed.add(obs.id);
      return !startsAfterOtherEnds;
    });
    if (cleaned.length === 0) {
      cleaned.push(...current);
      for (const observation of current) processed.add(observation.id);
    }
    groups.push(cleaned);
    remaining = remaining.filter((observation) => !processed.has(observation.id));
  }
  return groups;
}

function assignTimingSteps(data: GraphObservation[]): GraphObservation[] {
  const times: Times = new Map();
  const copies = data.map((observation) => {
    const start = new Date(observation.startTime).getTime();
    times.set(observation.id, { start, end: observation.endTime ? new Date(observation.endTime).getTime() : start });
    return { ...observation };
  });
  const sorted = [...copies].sort((a, b) => times.get(a.id)!.start - times.get(b.id)!.start);
  let result: GraphObservation[] = [];
  buildStepGroups(sorted, times).forEach((group, index) => {
    for (const obs of group) {
      obs.step = index + 1;
      obs.node = obs.name;
      result.push(obs);
    }
  });
  // A child is at least one step after its parent; later steps move down with it.
  for (let iteration = 0; iteration < MAX_STEP_ITERATIONS; iteration++) {
    const byId = new Map(result.map((observation) => [observation.id, observation]));
    const adjustments = new Map<string, number>();
    let violated = false;
    const ancestorsOf = (id: string): Set<string> => {
      const ancestors = new Set<string>();
      let current = byId.get(id);
      while (current?.parentObservationId) {
        const parentId = current.parentObservationId;
        if (ancestors.has(parentId)) break;
        ancestors.add(parentId);
        current = byId.get(parentId);
      }
      return ancestors;
    };
    for (const obs of result) {
      if (!obs.parentObservationId || obs.step === null) continue;
      const parent = byId.get(obs.parentObservationId);
      if (!parent || parent.step === null) continue;
      const required = parent.step + 1;
      if (obs.step >= required) continue;
      violated = true;
      const ancestors = ancestorsOf(obs.id);
      for (const target of result) {
        if (target.step === null) continue;
        if (target.id === obs.id) adjustments.set(target.id, (adjustments.get(target.id) ?? 0) + (required - obs.step));
        else if (target.step >= required && !ancestors.has(target.id))
          adjustments.set(target.id, (adjustments.get(target.id) ?? 0) + 1);
      }
    }
    if (!violated) break;
    result = result.map((observation) => ({
      ...observation,
      step: observation.step === null ? null : observation.step + (adjustments.get(observation.id) ?? 0),
    }));
  }
  return result;
}

function systemNode(id: string, step: number, parentObservationId: string | null): GraphObservation {
  const at = "2024-01-01T00:00:00.000Z";
  return {
    id,
    name: id,
    node: id,
    step,
    parentObservationId,
    startTime: at,
    endTime: at,
    observationType: "LANGGRAPH_SYSTEM",
  };
}

function buildStepData(data: GraphObservation[]): GraphObservation[] {
  const stepped = assignTimingSteps(data.filter((observation) => observation.observationType !== "EVENT"));
  const top = stepped.find((observation) => !observation.parentObservationId);
  const maxStep = Math.max(...stepped.map((observation) => observation.step || 0));
  return [
    ...stepped,
    systemNode(START_NODE, 0, top?.parentObservationId || null),
    systemNode(END_NODE, maxStep + 1, top?.parentObservationId || null),
  ];
}

// ---- buildGraphCanvasData.ts ----

function transformLanggraph(data: GraphObservation[]): GraphObservation[] {
  const transformed = data
    .filter((observation) => observation.node && observation.node.trim().length > 0)
    .map((observation) => {
      const t = { ...observation, name: observation.node || observation.name };
      if (observation.node === START_NODE || observation.node === END_NODE) {
        t.name = observation.node;
        t.id = observation.node;
      }
      return t;
    });
  const top = transformed.find((observation) => !observation.parentObservationId);
  const system: GraphObservation[] = [];
  if (!transformed.some((observation) => observation.name === START_NODE))
    system.push(systemNode(START_NODE, 0, top?.parentObservationId || null));
  if (!transformed.some((observation) => observation.name === END_NODE)) {
    const maxStep = Math.max(...transformed.map((observation) => observation.step || 0));
    system.push(systemNode(END_NODE, maxStep + 1, top?.parentObservationId || null));
  }
  return [...transformed, ...system];
}

function buildGraphFromSteps(
  data: GraphObservation[],
): Pick<AgentGraph, "nodes" | "edges" | "steps" | "nodeToObservations"> {
  if (data.length === 0) return { nodes: [], edges: [], steps: [], nodeToObservations: {} };
  const stepToNodes = new Map<number, Set<string>>();
  const nodeToObservations = new Map<string, string[]>();
  const add = (node: string, id: string) => {
    const list = nodeToObservations.get(node);
    if (list) list.push(id);
    else nodeToObservations.set(node, [id]);
  };
  const byId = new Map(data.map((observation) => [observation.id, observation]));
  for (const obs of data) {
    const { node, step } = obs;
    if (step !== null && node !== null) {
      if (!stepToNodes.has(step)) stepToNodes.set(step, new Set());
      stepToNodes.get(step)!.add(node);
    }
    if (obs.parentObservationId) {
      const parent = byId.get(obs.parentObservationId);
      if (!parent && node === null) add(END_NODE, obs.id);
      if (obs.name !== parent?.name && node !== null) add(node, obs.id);
    } else if (node !== null && node !== START_NODE && node !== END_NODE) {
      add(node, obs.id);
    }
  }
  const sortedSteps = [...stepToNodes.entries()].sort(([a], [b]) => a - b);
  const names = [...new Set([...sortedSteps.flatMap(([, set]) => [...set]), END_NODE])];
  const nodes: AgentGraphNode[] = names.map((name) =>
    name === START_NODE || name === END_NODE
      ? { id: name, label: name, type: "LANGGRAPH_SYSTEM" }
      : {
          id: name,
          label: name,
          type: data.find((observation) => observation.node === name)?.observationType || "UNKNOWN",
        },
  );
  const edges: Array<{ from: string; to: string }> = [];
  sortedSteps.forEach(([, current], i) => {
    const targets = i === sortedSteps.length - 1 ? [END_NODE] : [...sortedSteps[i + 1]![1]];
    for (const from of current) {
      if (from === END_NODE) continue;
      for (const to of targets) edges.push({ from, to });
    }
  });
  const placed = new Set<string>();
  const steps: string[][] = [];
  for (const [, set] of sortedSteps) {
    const layer = [...set].filter((n) => !placed.has(n));
    for (const n of layer) placed.add(n);
    if (layer.length > 0) steps.push(layer);
  }
  if (!placed.has(END_NODE)) steps.push([END_NODE]);
  return { nodes, edges, steps, nodeToObservations: Object.fromEntries(nodeToObservations) };
}

/** The agent graph of a trace's rows (any order), as Langfuse's aggregated graph view builds it. */
export function buildAgentGraph(rows: GraphRow[]): AgentGraph {
  const data = rows
    .map(toGraphObservation)
    .filter((observation): observation is GraphObservation => observation !== null);
  const { available, isAgentGraph } = isAvailable(data);
  if (!available) return { isAgentGraph, available, nodes: [], edges: [], steps: [], nodeToObservations: {} };
  const hasSteps = data.some(
    (observation) => observation.step != null && observation.step !== 0 && observation.node != null,
  );
  const normalized = !hasSteps
    ? buildStepData(data)
    : data.some((observation) => observation.node && observation.node.trim().length > 0)
      ? transformLanggraph(data)
      : data;
  return { isAgentGraph, available, ...buildGraphFromSteps(normalized) };
}
