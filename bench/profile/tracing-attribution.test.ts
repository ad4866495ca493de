import { test } from "node:test";
import assert from "node:assert/strict";
import {
  allocationShare,
  cpuShare,
  tracingCost,
  tracingStretches,
  STRETCH_THRESHOLDS_MS,
  type CpuProfile,
  type SamplingHeapProfile,
} from "./tracing-attribution.js";

const frame = (functionName: string, url = "") => ({ functionName, url, lineNumber: 0 });
const SRC = "file:///repo/dist/src";

/**
 * root -> handler (chat) -> startNode (tracing) -> stringify (native)
 *                        -> run (tracing wrapper) -> generate (llm, own code) -> invoke (LangChain)
 *      -> flush (tracing export timer) -> write (better-sqlite3)
 *      -> (idle), (garbage collector)
 */
const cpu: CpuProfile = {
  nodes: [
    { id: 1, callFrame: frame("(root)"), children: [2, 8, 10, 11] },
    { id: 2, callFrame: frame("handler", `${SRC}/chat/chat-service.js`), children: [3, 5] },
    { id: 3, callFrame: frame("startNode", `${SRC}/tracing/switchboard-tracing.js`), children: [4] },
    { id: 4, callFrame: frame("stringify") },
    { id: 5, callFrame: frame("run", `${SRC}/tracing/shed-turn.js`), children: [6] },
    { id: 6, callFrame: frame("generate", `${SRC}/llm/simulated-chat-model.js`), children: [7] },
    { id: 7, callFrame: frame("invoke", "file:///repo/node_modules/@langchain/core/dist/runnables/base.js") },
    { id: 8, callFrame: frame("flush", `${SRC}/tracing/export/span-batcher.js`), children: [9] },
    { id: 9, callFrame: frame("run", "file:///repo/node_modules/better-sqlite3/lib/methods/transaction.js") },
    { id: 10, callFrame: frame("(idle)") },
    { id: 11, callFrame: frame("(garbage collector)") },
  ],
  // 1 ms each: stringify 2, invoke 5, sqlite 1, handler 1, idle 3, gc 1.
  samples: [4, 4, 7, 7, 7, 7, 7, 9, 2, 10, 10, 10, 11],
  timeDeltas: Array(13).fill(1000),
};

test("a sample is its nearest own frame's: tracing's natives and libraries are tracing's, the model under a tracing wrapper is not", () => {
  const share = cpuShare(cpu);
  assert.equal(share.busyMs, 10);
  // stringify under startNode (2) and better-sqlite3 under the export timer (1); LangChain under
  // the model (5) is not tracing's although a tracing `run` is further up its stack.
  assert.equal(share.tracingMs, 3);
  assert.equal(share.gcMs, 1);
  assert.equal(share.samples, 10);
});

test("a stretch is tracing holding the loop: its samples in a row, through a collection between them", () => {
  // In the profile above: stringify 2 ms, then other work; the journal's 1 ms, then other work.
  assert.deepEqual(tracingStretches(cpu), { longestMs: 2, atLeast: [2, 1, 0, 0] });
  assert.deepEqual(STRETCH_THRESHOLDS_MS, [1, 2, 5, 10]);
  const stretchy: CpuProfile = {
    ...cpu,
    // journal 1, gc 2, stringify 3 (one stretch of 6 ms); idle; stringify 1, gc 1 then other work
    // (the trailing collection is not counted); a collection with no tracing before it starts
    // nothing, and the last stringify is a stretch of its own.
    samples: [9, 11, 11, 4, 4, 4, 10, 4, 11, 2, 11, 4],
    timeDeltas: Array(12).fill(1000),
  };
  assert.deepEqual(tracingStretches(stretchy), { longestMs: 6, atLeast: [3, 1, 1, 0] });
  assert.deepEqual(tracingStretches({ ...cpu, samples: [], timeDeltas: [] }), { longestMs: 0, atLeast: [0, 0, 0, 0] });
  // A sample that came late (the sampler held up) counts as one interval: the gap before it is not
  // known to be tracing's. Two samples in a row at the median 1 ms: 2 ms, whatever the 9 ms gap.
  const late: CpuProfile = { ...cpu, samples: [2, 4, 4, 2, 2], timeDeltas: [1000, 9000, 1000, 1000, 1000] };
  assert.deepEqual(tracingStretches(late), { longestMs: 2, atLeast: [1, 1, 0, 0] });
});

test("allocated bytes are attributed by the same rule", () => {
  const heap: SamplingHeapProfile = {
    head: {
      callFrame: frame("(root)"),
      selfSize: 0,
      children: [
        {
          callFrame: frame("encode", `${SRC}/tracing/observation-encoder.js`),
          selfSize: 100,
          children: [{ callFrame: frame("slice"), selfSize: 300, children: [] }],
        },
        {
          callFrame: frame("node", `${SRC}/graph/route-node.js`),
          selfSize: 400,
          children: [
            {
              callFrame: frame("run", `${SRC}/tracing/turn-trace.js`),
              selfSize: 0,
              children: [
                { callFrame: frame("model", `${SRC}/llm/simulated-chat-model.js`), selfSize: 200, children: [] },
              ],
            },
          ],
        },
      ],
    },
  };
  assert.deepEqual(allocationShare(heap), { totalBytes: 1000, tracingBytes: 400 });
});

test("the collector's time, here and in the helper threads, is charged in proportion to tracing's allocations", () => {
  // Main thread: 10 ms busy, 3 of tracing, 1 of GC; tracing allocated 40 %. The process used 20 ms
  // of CPU over the window, 10 of them on the main thread.
  const cost = tracingCost(cpuShare(cpu), { totalBytes: 1000, tracingBytes: 400 }, 10, 20);
  assert.ok(Math.abs(cost.mainThreadShare - 0.34) < 1e-12);
  // (0.34 * 10 + 10 * 0.4) / 20.
  assert.ok(Math.abs(cost.processShare - 0.37) < 1e-12);
  assert.ok(Math.abs(cost.overheadOfUntraced - 0.37 / 0.63) < 1e-12);
});

test("a profile of untraced work gives tracing nothing", () => {
  const untraced: CpuProfile = { ...cpu, samples: [7, 7, 2, 10], timeDeltas: [1000, 1000, 1000, 1000] };
  const cost = tracingCost(cpuShare(untraced), { totalBytes: 500, tracingBytes: 0 }, 3, 4);
  assert.equal(cost.processShare, 0);
  assert.equal(cost.overheadOfUntraced, 0);
});
