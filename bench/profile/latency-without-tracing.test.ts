import { test } from "node:test";
import assert from "node:assert/strict";
import { latencyWithoutTracing } from "./latency-without-tracing.js";
import type { TimedCpuProfile } from "./tracing-attribution.js";

const frame = (url: string) => ({ functionName: "f", url, lineNumber: 0 });

/**
 * A profile from 1,000 µs on, one sample every 100 µs: `kinds[i]` says what sample i was ("t" for
 * a tracing frame, "o" for other service code, "i" idle).
 */
function profile(kinds: string): TimedCpuProfile {
  const ids = new Map([
    ["i", 2],
    ["o", 3],
    ["t", 4],
  ]);
  return {
    nodes: [
      { id: 1, callFrame: { ...frame(""), functionName: "(root)" }, children: [2, 3, 4] },
      { id: 2, callFrame: { ...frame(""), functionName: "(idle)" } },
      { id: 3, callFrame: frame("file:///app/dist/src/graph/route.js") },
      { id: 4, callFrame: frame("file:///app/dist/src/tracing/turn-trace.js") },
    ],
    samples: [...kinds].map((k) => ids.get(k)!),
    timeDeltas: [...kinds].map(() => 100),
    startTime: 1_000,
    endTime: 1_000 + kinds.length * 100,
  };
}

test("each request loses the tracing samples inside it, and the p99s are of the same requests", () => {
  // Samples at 1,100 ... 3,000 µs; tracing at 1,300, 1,400 and 2,500.
  const p = profile("oottooooooooootooooo");
  const spans = [
    { startUs: 1_050, endUs: 1_950 }, // holds the samples at 1,300 and 1,400: 900 -> 700 µs
    { startUs: 2_000, endUs: 2_300 }, // none: 300 µs
    { startUs: 2_400, endUs: 2_600 }, // the one at 2,500: 200 -> 100 µs
    { startUs: 500, endUs: 1_200 }, // began before the profile: not counted
    { startUs: 2_900, endUs: 3_100 }, // ended after it: not counted
  ];
  const tail = latencyWithoutTracing(p, spans)!;
  assert.equal(tail.requests, 3);
  assert.equal(tail.p99Ms, 0.9);
  assert.equal(tail.p99WithoutTracingMs, 0.7);
  assert.equal(tail.p99OverheadPct.toFixed(2), ((0.9 / 0.7 - 1) * 100).toFixed(2));
});

test("without tracing samples the p99 is unchanged, and with no request inside the profile there is no figure", () => {
  const p = profile("oooooooooo");
  const tail = latencyWithoutTracing(p, [{ startUs: 1_100, endUs: 1_900 }])!;
  assert.deepEqual([tail.p99Ms, tail.p99WithoutTracingMs, tail.p99OverheadPct], [0.8, 0.8, 0]);
  assert.equal(latencyWithoutTracing(p, [{ startUs: 0, endUs: 500 }]), null);
});
