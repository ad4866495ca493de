// Which (profile, connections) cells load the service. A cell where the service is mostly idle
// says little about tracing's overhead: latency is the model's, and the per-second costs that
// do not grow with requests (timers, the exporter's flushes, /metrics scrapes) are spread over
// few requests, so CPU and memory per request say more about the idle time than about tracing.
// Judged on `off` of the cell (the service without tracing), so tracing cannot make a cell count.
import type { ProfileName } from "./scenarios.js";
import type { SummaryRow } from "./result-schema.js";

export interface CellLoad {
  profile: ProfileName;
  connections: number;
  /** Median over repetitions of `off`'s busy %: CPU time / window / the service's cores. Null: not recorded. */
  busyPct: number | null;
  /** null when the busy % was not recorded (results written before issue #11). */
  loaded: boolean | null;
}

/** One entry per cell that has an `off` row. */
export function cellLoads(summary: readonly SummaryRow[], minBusyPct: number): CellLoad[] {
  return summary
    .filter((row) => row.scenario === "off")
    .map((row) => {
      const busyPct = row.metrics.serviceBusyPct?.median ?? null;
      return {
        profile: row.profile,
        connections: row.connections,
        busyPct,
        loaded: busyPct === null ? null : busyPct >= minBusyPct,
      };
    });
}

export function loadOf(loads: readonly CellLoad[], profile: ProfileName, connections: number): CellLoad | undefined {
  return loads.find((l) => l.profile === profile && l.connections === connections);
}
