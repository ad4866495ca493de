import { test } from "node:test";
import assert from "node:assert/strict";
import { Worker } from "node:worker_threads";
import { mainThreadClock, processCpuMicros } from "./thread-cpu.js";

/** Spins the calling thread until it has used about `micros` of CPU by `clock`. */
function burn(clock: () => number, micros: number): void {
  const start = clock();
  let x = 0;
  while (clock() - start < micros) for (let i = 0; i < 10_000; i++) x += Math.sqrt(i);
  if (x < 0) console.log(x);
}

test("the main-thread clock exists on Linux and counts the main thread's own work", () => {
  const clock = mainThreadClock();
  if (process.platform !== "linux") {
    assert.equal(clock, null);
    return;
  }
  assert.ok(clock, "Linux exposes the main thread's CPU time in /proc/self/task/<pid>");
  const main0 = clock.read();
  const proc0 = processCpuMicros();
  burn(processCpuMicros, 60_000);
  const main = clock.read() - main0;
  const proc = processCpuMicros() - proc0;
  // Work on the main thread shows on both clocks (resolution: 10 ms with the stat fallback).
  assert.ok(main >= proc * 0.7 - 10_000, `main thread ${main} us, process ${proc} us`);
});

test("work on a worker thread counts for the process, not for the main thread", async () => {
  const clock = mainThreadClock();
  if (process.platform !== "linux") {
    assert.equal(clock, null);
    return;
  }
  assert.ok(clock);
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
