import { test } from "node:test";
import assert from "node:assert/strict";
import { aaControlOf, aaControls, aaMetricOf } from "./aa-control.js";
import type { RunResult } from "./result-schema.js";
import { fixtureResult } from "./test-fixture.js";

/** An `off` window of instant@16 in `group`, round `repetition`, at `cpu` ms per request and `rps` turns/s. */
function offWindow(group: "ours" | "peers", repetition: number, cpu: number, rps: number, ok = true): RunResult {
  const base = fixtureResult().runs.find((r) => r.scenario === "off" && r.profile === "instant")!;
  return {
    ...base,
    ok,
    connections: 16,
    repetition,
    group,
    method: "paired-window",
    throughputRps: rps,
    service: { ...base.service!, cpuMsPerRequest: cpu },
  };
}

test("the A/A control is the peers' off against ours, round by round", () => {
  const runs = [
    offWindow("ours", 1, 2.0, 400),
    offWindow("peers", 1, 2.2, 380),
    offWindow("ours", 2, 2.5, 300),
    offWindow("peers", 2, 2.0, 330),
    offWindow("ours", 3, 2.0, 400),
    offWindow("peers", 3, 2.1, 400),
  ];
  const [control, ...rest] = aaControls(runs);
  assert.equal(rest.length, 0);
  assert.equal(control!.profile, "instant");
  assert.equal(control!.connections, 16);
  assert.equal(control!.rounds, 3);
  const cpu = control!.overheads.cpuPerRequestPct;
  // +10 %, -20 %, +5 %.
  assert.ok(Math.abs(cpu.median! - 5) < 1e-9);
  assert.ok(Math.abs(cpu.min! - -20) < 1e-9);
  assert.ok(Math.abs(cpu.max! - 10) < 1e-9);
  // Throughput loss: 5 %, -10 %, 0 %.
  const loss = control!.overheads.throughputLossPct;
  assert.ok(Math.abs(loss.median! - 0) < 1e-9);
  assert.ok(Math.abs(loss.min! - -10) < 1e-9);
});

test("a round missing either off, or with a failed one, is left out; a cell without the peers' off has no control", () => {
  const runs = [
    offWindow("ours", 1, 2.0, 400),
    offWindow("peers", 1, 2.2, 380),
    offWindow("ours", 2, 2.0, 400),
    offWindow("peers", 2, 9.9, 100, false),
    offWindow("peers", 3, 9.9, 100),
    { ...offWindow("ours", 1, 2.0, 400), connections: 64 },
  ];
  const controls = aaControls(runs);
  assert.equal(controls.length, 1);
  assert.equal(controls[0]!.rounds, 1);
  assert.ok(Math.abs(controls[0]!.overheads.cpuPerRequestPct.median! - 10) < 1e-9);
  assert.equal(aaControlOf(controls, "instant", 64), undefined);
  assert.equal(aaControlOf(controls, "instant", 16), controls[0]);
});

test("fresh-process off runs never make a control", () => {
  const runs = [
    { ...offWindow("ours", 1, 2.0, 400), method: "fresh-process" as const },
    { ...offWindow("peers", 1, 3.0, 400), method: "fresh-process" as const },
  ];
  assert.deepEqual(aaControls(runs), []);
});

test("only the round-by-round overheads are priced by the control", () => {
  assert.equal(aaMetricOf("overhead.cpuPerRequestPct"), "cpuPerRequestPct");
  assert.equal(aaMetricOf("overhead.throughputLossPct"), "throughputLossPct");
  assert.equal(aaMetricOf("overhead.latencyP99Pct"), "latencyP99Pct");
  assert.equal(aaMetricOf("overhead.rssPeakOverOffMB"), null);
  assert.equal(aaMetricOf("metric.failedRequests"), null);
});
