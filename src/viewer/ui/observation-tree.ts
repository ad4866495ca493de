// The observation rows of a trace as a tree in start order, flattened for rows that line up with
// the waterfall: each row knows its depth. A span sent more than once is several rows with one
// id: the copies sit side by side, and its children are listed once, under the first copy.
import type { Observation } from "./api.js";

export interface TreeRow {
  observation: Observation;
  depth: number;
  /** Offset from the trace's start and duration, in ms, for the waterfall. */
  offsetMs: number;
  durationMs: number;
}

export interface ObservationTree {
  rows: TreeRow[];
  /** From the earliest start to the latest end, in ms (at least 1). */
  spanMs: number;
}

export function buildTree(observations: Observation[]): ObservationTree {
  if (observations.length === 0) return { rows: [], spanMs: 1 };
  const start = Math.min(...observations.map((observation) => Date.parse(observation.startTime)));
  const end = Math.max(...observations.map((observation) => Date.parse(observation.endTime)));
  const ids = new Set(observations.map((observation) => observation.id));
  const children = new Map<string | null, Observation[]>();
  for (const observation of observations) {
    // A parent that never arrived (lost span) makes its children roots rather than hiding them.
    const parent =
      observation.parentObservationId && ids.has(observation.parentObservationId)
        ? observation.parentObservationId
        : null;
    const list = children.get(parent);
    if (list) list.push(observation);
    else children.set(parent, [observation]);
  }
  const rows: TreeRow[] = [];
  const expanded = new Set<string>();
  const visit = (parent: string | null, depth: number) => {
    const list = (children.get(parent) ?? [])
      .slice()
      .sort((a, b) => a.startTime.localeCompare(b.startTime) || a.id.localeCompare(b.id) || a.rowId - b.rowId);
    for (const observation of list) {
      const offsetMs = Date.parse(observation.startTime) - start;
      rows.push({
        observation: observation,
        depth,
        offsetMs,
        durationMs: Math.max(0, Date.parse(observation.endTime) - Date.parse(observation.startTime)),
      });
      if (expanded.has(observation.id)) continue;
      expanded.add(observation.id);
      visit(observation.id, depth + 1);
    }
  };
  visit(null, 0);
  return { rows, spanMs: Math.max(1, end - start) };
}
