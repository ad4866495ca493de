import { test } from "node:test";
import assert from "node:assert/strict";
import { MetricsSnapshot, parsePrometheusText } from "./prometheus.js";

const TEXT = `# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.
# TYPE process_cpu_seconds_total counter
process_cpu_seconds_total 1.25
# HELP nodejs_eventloop_lag_p99_seconds The 99th percentile of the recorded event loop delays.
# TYPE nodejs_eventloop_lag_p99_seconds gauge
nodejs_eventloop_lag_p99_seconds 0.010412031
# TYPE switchboard_tracing_observations_created_total counter
switchboard_tracing_observations_created_total{type="trace"} 10
switchboard_tracing_observations_created_total{type="span"} 20
switchboard_tracing_observations_created_total{type="generation"} 20
# TYPE switchboard_tracing_spans_dropped_total counter
# TYPE http_request_duration_seconds histogram
http_request_duration_seconds_bucket{le="+Inf",route="/api/v1/chat",method="POST",status="200"} 7
weird_metric{path="a \\"quoted\\" \\\\ value",x="1"} 3 1700000000000
not a metric line
`;

test("parses samples, labels, escapes, +Inf and timestamps", () => {
  const samples = parsePrometheusText(TEXT);
  assert.equal(samples.find((s) => s.name === "process_cpu_seconds_total")?.value, 1.25);
  const bucket = samples.find((s) => s.name === "http_request_duration_seconds_bucket");
  assert.deepEqual(bucket?.labels, { le: "+Inf", route: "/api/v1/chat", method: "POST", status: "200" });
  const weird = samples.find((s) => s.name === "weird_metric");
  assert.equal(weird?.labels["path"], 'a "quoted" \\ value');
  assert.equal(weird?.value, 3);
  assert.equal(samples.length, 7);
});

test("sums series, filters by label, splits by label", () => {
  const m = MetricsSnapshot.parse(TEXT);
  assert.equal(m.sum("switchboard_tracing_observations_created_total"), 50);
  assert.equal(m.sum("switchboard_tracing_observations_created_total", { type: "span" }), 20);
  assert.deepEqual(m.byLabel("switchboard_tracing_observations_created_total", "type"), {
    trace: 10,
    span: 20,
    generation: 20,
  });
});

test("a declared metric without samples is 0, an unknown one is null", () => {
  const m = MetricsSnapshot.parse(TEXT);
  assert.equal(m.sum("switchboard_tracing_spans_dropped_total"), 0);
  assert.equal(m.has("switchboard_tracing_spans_dropped_total"), true);
  assert.equal(m.sum("no_such_metric"), null);
});
