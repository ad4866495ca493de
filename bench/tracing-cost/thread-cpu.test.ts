import { test } from "node:test";
import assert from "node:assert/strict";
import { Worker } from "node:worker_threads";
import { mainThreadClock, mainThreadMicrosFromPs, processCpuMicros } from "./thread-cpu.js";

/** Spins the calling thread until it has used about `micros` of CPU by `clock`. */
function burn(clock: () => number, micros: number): void {
  const start = clock();
  let x = 0;
  while (clock() - start < micros) for (let i = 0; i < 10_000; i++) x += Math.sqrt(i);
  if (x < 0) console.log(x);
}

/** The clock, or a failure that says why: the test never passes without measuring. */
function requireClock() {
  const clock = mainThreadClock();
  assert.ok(
    clock,
    process.platform === "linux" || process.platform === "darwin"
      ? `no main-thread CPU clock on ${process.platform}: ${process.platform === "linux" ? "/proc/self/task/<pid>/schedstat and stat are unreadable" : "`ps -M` printed no thread times"}`
      : `no main-thread CPU clock on ${process.platform}: bench/tracing-cost/thread-cpu.ts reads Linux's /proc or macOS's ps; the tracing-cost benchmark needs one of them`,
  );
  return clock;
}

test("the main-thread clock exists (Linux's /proc, macOS's ps) and counts the main thread's own work", () => {
  const clock = requireClock();
  const main0 = clock.read();
  const proc0 = processCpuMicros();
  burn(processCpuMicros, 60_000);
  const main = clock.read() - main0;
  const proc = processCpuMicros() - proc0;
  // Work on the main thread shows on both clocks (resolution: 10 ms with the stat fallback).
  assert.ok(main >= proc * 0.7 - 10_000, `main thread ${main} us, process ${proc} us`);
});

test("work on a worker thread counts for the process, not for the main thread", async () => {
  const clock = requireClock();
  // The worker burns ~150 ms of its own CPU while the main thread waits for its message.
  const source = `
    const { parentPort } = require("node:worker_threads");
    const cpu = () => { const u = process.cpuUsage(); return u.user + u.system; };
    const start = cpu(); let x = 0;
    while (cpu() - start < 150000) for (let i = 0; i < 10000; i++) x += Math.sqrt(i);
    parentPort.postMessage(x);
  `;
  const main0 = clock.read();
  const proc0 = processCpuMicros();
  const worker = new Worker(source, { eval: true });
  await new Promise((resolve, reject) => {
    worker.once("message", resolve);
    worker.once("error", reject);
  });
  await worker.terminate();
  const main = clock.read() - main0;
  const proc = processCpuMicros() - proc0;
  assert.ok(proc >= 150_000, `process CPU ${proc} us includes the worker's 150 ms`);
  assert.ok(
    main < proc / 2,
    `main thread ${main} us of the process's ${proc} us: the worker's work is not the main thread's`,
  );
});

test("macOS: the main thread's time is read from the first thread ps -M lists (system + user)", () => {
  const output = [
    "USER     PID   TT   %CPU STAT PRI     STIME     UTIME COMMAND",
    "dev    41213 s003   98.1 R    31T   0:00.42   1:02.05 node dist/bench/tracing-cost/run.js",
    "       41213         0.0 S    31T   0:00.01   0:00.30",
    "       41213         0.0 S    31T   0:00.00   0:03.10",
  ].join("\n");
  assert.equal(mainThreadMicrosFromPs(output), 420_000 + 62_050_000);
  assert.throws(() => mainThreadMicrosFromPs("USER PID\n"), /ps -M printed no thread times/);
});
