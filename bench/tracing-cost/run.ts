// The tracing-cost benchmark: main-thread time per traced request and event-loop delay, for
// every tracing setup side by side in one process, against a real receiver in a child process.
//
//   node dist/bench/tracing-cost/run.js [--quick] [--reference] [--check] [--rounds N] [--variants a,b]
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { loadBudgets } from "../budgets.js";
import { machineInfo as sharedMachineInfo } from "../machine-info.js";
import { BUDGETS_FILE } from "../paths.js";
import { readSourceState, referenceRefusal } from "../source-state.js";
import { evaluateTargets, formatTargets } from "./budgets.js";
import {
  MAIN_THREAD_CLOCK,
  measureCallsOnly,
  measureConcurrent,
  measureSequential,
  type CallsOnlyMeasurement,
  type ConcurrentMeasurement,
  type SequentialMeasurement,
} from "./measure.js";
import { makePayload, type Payload } from "./payload.js";
import { ReceiverClient } from "./receiver-client.js";
import { renderDoc, renderStdout } from "./report.js";
import {
  overheadAgainst,
  summarizeCallsOnly,
  summarizeCell,
  RESULT_SCHEMA,
  type CallsOnlyResult,
  type CellResult,
  type MachineInfo,
  type PayloadSpec,
  type RoundResult,
  type TracingCostResult,
} from "./result.js";
import { rotated } from "./stats.js";
import { tracingWarnings, VARIANTS, type VariantName } from "./variants.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const REFERENCE_PATH = join(ROOT, "bench", "tracing-cost", "reference.json");
const DOC_PATH = join(ROOT, "docs", "tracing-cost.md");
const CONCURRENCY = 16;

const { values: args } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    reference: { type: "boolean", default: false },
    check: { type: "boolean", default: false },
    rounds: { type: "string" },
    variants: { type: "string" },
  },
});
if (args.reference && (args.quick || args.rounds || args.variants)) {
  console.error("--reference needs a full default run: drop --quick/--rounds/--variants");
  process.exit(2);
}
// The modules measured are the ones loaded now: their commit and clean state are read now too.
const source = readSourceState(ROOT);
if (args.reference) {
  const refusal = referenceRefusal(source);
  if (refusal) {
    console.error(refusal);
    process.exit(2);
  }
}
const budgets = loadBudgets(BUDGETS_FILE).tracingCost ?? [];

const mode: TracingCostResult["mode"] = args.quick ? "quick" : args.rounds || args.variants ? "custom" : "default";
const rounds = Math.max(1, Math.min(50, Number(args.rounds ?? (args.quick ? 2 : 5))));
const payloadSpecs: PayloadSpec[] = args.quick
  ? [
      { name: "2KB", inputChars: 2048, outputChars: 1024, sequentialRequests: 300, concurrentRequests: 150 },
      { name: "100KB", inputChars: 102_400, outputChars: 51_200, sequentialRequests: 40, concurrentRequests: 40 },
    ]
  : [
      { name: "2KB", inputChars: 2048, outputChars: 1024, sequentialRequests: 2000, concurrentRequests: 1000 },
      { name: "100KB", inputChars: 102_400, outputChars: 51_200, sequentialRequests: 300, concurrentRequests: 150 },
      // Shaped like the service's own turns: a short message, the classifier's long system prompt
      // (two-byte, as its Chinese examples make it) and 8 earlier messages in both model calls.
      {
        name: "turn",
        inputChars: 80,
        outputChars: 320,
        context: { systemChars: 1500, cjkChars: 100, historyMessages: 8, historyChars: 200 },
        sequentialRequests: 2000,
        concurrentRequests: 1000,
      },
    ];
const allNames = VARIANTS.map((v) => v.name);
const variantNames: VariantName[] = args.variants
  ? (() => {
      const picked = args.variants.split(",").map((s) => s.trim()) as VariantName[];
      const unknown = picked.filter((n) => !allNames.includes(n));
      if (unknown.length) {
        console.error(`unknown variant(s): ${unknown.join(", ")}; known: ${allNames.join(", ")}`);
        process.exit(2);
      }
      // The baseline is always measured: every overhead is against it.
      return picked.includes("none") ? picked : (["none", ...picked] as VariantName[]);
    })()
  : allNames;

function machineInfo(loadAverageStart: number): MachineInfo {
  return {
    ...sharedMachineInfo(ROOT, source),
    sourceReadAtStart: true,
    loadAverageStart,
    loadAverageEnd: loadavg()[0] ?? Number.NaN,
  };
}

const fmt = (n: number) => (n < 10 ? n.toFixed(2) : n < 1000 ? n.toFixed(1) : n.toFixed(0));
function progress(line: string): void {
  process.stdout.write(`${line}\n`);
}

async function main(): Promise<void> {
  const started = performance.now();
  const loadAtStart = loadavg()[0] ?? Number.NaN;
  if (loadAtStart > cpus().length / 2) {
    progress(
      `warning: load average ${loadAtStart.toFixed(2)} on ${cpus().length} cores: other processes compete for the CPU; numbers will be inflated and noisy`,
    );
  }
  const payloads = new Map<string, Payload>(
    payloadSpecs.map((p) => [p.name, makePayload(p.name, p.inputChars, p.outputChars, p.context)]),
  );
  const receiver = await ReceiverClient.start();
  progress(
    `receiver child pid ${receiver.pid} at ${receiver.url}; variants: ${variantNames.join(", ")}; ${rounds} rounds (${mode})`,
  );
  const seq = new Map<string, SequentialMeasurement[]>();
  const conc = new Map<string, ConcurrentMeasurement[]>();
  const key = (v: string, p: string) => `${v}|${p}`;
  const callsOnly = new Map<string, CallsOnlyResult["rounds"]>();
  try {
    // Round 0 warms the JIT and the sockets for every variant and is discarded.
    for (let round = 0; round <= rounds; round++) {
      const warmup = round === 0;
      for (const name of variantNames.filter((n) => n === "disabled" || n === "sampled-out")) {
        const calls: CallsOnlyMeasurement = await measureCallsOnly(name, receiver, args.quick ? 20_000 : 100_000);
        progress(
          `${warmup ? "warm-up" : `round ${round}/${rounds}`} calls only ${name}: ${calls.medianUs.toFixed(3)} us per request (median of ${calls.repsUs.map((v) => v.toFixed(3)).join(", ")})`,
        );
        if (!warmup) (callsOnly.get(name) ?? callsOnly.set(name, []).get(name)!).push({ round, ...calls });
      }
      for (const spec of payloadSpecs) {
        const payload = payloads.get(spec.name)!;
        const nSeq = warmup ? Math.ceil(spec.sequentialRequests / 4) : spec.sequentialRequests;
        const nConc = warmup ? Math.ceil(spec.concurrentRequests / 4) : spec.concurrentRequests;
        for (const name of rotated(variantNames, round)) {
          const s = await measureSequential(name, payload, nSeq, receiver);
          const c = await measureConcurrent(name, payload, nConc, CONCURRENCY, receiver);
          const delivered =
            s.spansExpected || c.spansExpected
              ? ` spans ${s.spansUnique + c.spansUnique}/${s.spansExpected + c.spansExpected}`
              : "";
          progress(
            `${warmup ? "warm-up" : `round ${round}/${rounds}`} ${spec.name.padEnd(5)} ${name.padEnd(24)} ` +
              `in-request ${fmt(s.inRequestUs)} us, main-thread CPU incl. export ${s.mainThreadCpuInclDrainUs === null ? "n/a" : fmt(s.mainThreadCpuInclDrainUs)} us, process CPU incl. export ${fmt(s.processCpuInclDrainUs)} us, ` +
              `el p99 ${c.eventLoopP99Ms.toFixed(2)} ms${delivered}`,
          );
          if (warmup) continue;
          (seq.get(key(name, spec.name)) ?? seq.set(key(name, spec.name), []).get(key(name, spec.name))!).push(s);
          (conc.get(key(name, spec.name)) ?? conc.set(key(name, spec.name), []).get(key(name, spec.name))!).push(c);
        }
      }
    }
  } finally {
    await receiver.stop();
  }

  const cells: CellResult[] = [];
  for (const spec of payloadSpecs) {
    const baseline = seq.get(key("none", spec.name)) ?? [];
    for (const name of variantNames) {
      const s = seq.get(key(name, spec.name)) ?? [];
      const c = conc.get(key(name, spec.name)) ?? [];
      const roundResults: RoundResult[] = s.map((m, i) => ({
        round: i + 1,
        sequential: m,
        concurrent: c[i]!,
        overhead: overheadAgainst(m, baseline[i]),
      }));
      cells.push({ variant: name, payload: spec.name, rounds: roundResults, summary: summarizeCell(roundResults) });
    }
  }
  const callsOnlyResults = [...callsOnly.entries()].map(([name, r]) => summarizeCallsOnly(name, r));
  const exporting = VARIANTS.filter((v) => v.exports && v.judged).map((v) => v.name as string);
  const result: TracingCostResult = {
    schema: RESULT_SCHEMA,
    generatedAt: new Date().toISOString(),
    mode,
    durationSeconds: (performance.now() - started) / 1000,
    machine: machineInfo(loadAtStart),
    method: {
      rounds,
      concurrency: CONCURRENCY,
      payloads: payloadSpecs,
      request:
        'startTurn({userId, sessionId, message: input, endpoint: "chat"}); startNode("route_node", {messages_count, current_intent, current_agent}) + node.run(model call "classifier"); node.end(); ' +
        'startNode("agent_billing", {agent_key, messages_count}, {intent_type}) + node.run(model call "agent_reply"); end(); trace.end({output, intent, agent}) — 5 observations. ' +
        "Each request builds its own HumanMessage and AIMessage (as the graph and the model do), in every variant.",
      modelCall:
        "LangChain's real CallbackManager, driven as BaseChatModel._generateUncached drives it: CallbackManager.configure(node.callbacks, …, ls_* metadata), " +
        "handleChatModelStart(serialized ChatOpenAI, [[system, human]], …, invocation_params, runName), then handleLLMEnd({generations: [[{text, message: AIMessage with usage_metadata}]]}) on the run manager. " +
        "No model runs, so `none` is LangChain's callback plumbing with no handlers (configure is called in every variant).",
      receiver:
        "the project's receiver (src/receiver/receiver.ts, startReceiver({port: 0}), in-memory SQLite) in a child process over 127.0.0.1; a new receiver on a new port with its own random key pair for every measurement (the previous one closed), so late or retried sends of one pipeline, or of other processes on the machine, are never counted for another; its CPU is not on the measured process.",
      mainThreadClock: MAIN_THREAD_CLOCK?.kind ?? null,
      metrics: {
        "in request":
          "mean wall time inside one `await runRequest()` in the sequential loop: the latency tracing adds to the request itself.",
        "main-thread CPU incl. export":
          "CPU time of the main thread alone (the event loop's thread; a per-thread clock, see above) over the sequential loop and the final shutdown()/flush, / requests. The loop yields (setImmediate) after every request, so export work interleaved with the requests is included, and so is the drain's. What the event loop pays; not inflated when another process takes the core.",
        "process CPU (all threads) incl. export":
          "process.cpuUsage() over the same span / requests: every thread of this process (main, worker threads, GC helpers, libuv's pool); the receiver runs in another process. Work moved off the main thread still counts here.",
        "added vs none":
          "the same figure minus the `none` variant's in the same round (paired), median over rounds. The 2 KB main-thread target uses this.",
        "event-loop utilization":
          "kept in the JSON (eventLoopActiveInclDrainUs), not in the tables: its `active` time is main-thread wall time, which grows when another process holds the core.",
        "spans delivered":
          "receiver's unique span count vs 5 x traced requests, over all sequential and concurrent measurements of the cell.",
      },
      exportingVariants: exporting,
    },
    variants: VARIANTS.filter((v) => variantNames.includes(v.name)).map((v) => ({
      name: v.name,
      description: v.description,
    })),
    cells,
    callsOnly: callsOnlyResults,
    targets: evaluateTargets(budgets, cells, callsOnlyResults, exporting),
    warnings: [...new Set(tracingWarnings)].slice(0, 50),
  };

  process.stdout.write(`\n${renderStdout(result)}`);
  const stamp = result.generatedAt.replace(/[:.]/g, "-");
  const resultsDir = join(ROOT, "bench", "results");
  mkdirSync(resultsDir, { recursive: true });
  const resultPath = join(resultsDir, `tracing-cost-${stamp}.json`);
  const json = `${JSON.stringify(result, null, 2)}\n`;
  writeFileSync(resultPath, json);
  progress(`wrote ${relative(ROOT, resultPath)}`);
  if (args.reference) {
    writeFileSync(REFERENCE_PATH, json);
    mkdirSync(dirname(DOC_PATH), { recursive: true });
    writeFileSync(DOC_PATH, renderDoc(result, relative(ROOT, REFERENCE_PATH)));
    progress(`wrote ${relative(ROOT, REFERENCE_PATH)} and ${relative(ROOT, DOC_PATH)}`);
  }
  if (args.check) {
    process.stdout.write(`\nbudgets (bench/budgets.json, tracingCost):\n${formatTargets(result.targets)}\n`);
    if (result.targets.some((t) => !t.pass)) process.exitCode = 1;
  }
}

main().then(
  // Sockets the SDK's exporter keeps alive would hold the process open for seconds: exit now.
  () => process.exit(process.exitCode ?? 0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
