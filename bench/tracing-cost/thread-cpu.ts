// CPU clocks of this process: the main thread's alone, and every thread's.
//
// process.cpuUsage() is getrusage(RUSAGE_SELF): every thread of the process (main, worker
// threads, GC helpers, libuv's pool). Work moved to a worker thread still counts there, but it
// no longer costs the event loop. Node 20 has no per-thread CPU clock (process.threadCpuUsage
// came in Node 23.9), so the main thread's is read from Linux: /proc/self/task/<tid>/schedstat
// (nanoseconds on the CPU; the main thread's tid is the pid), else the same task's stat (10 ms
// ticks). Event-loop utilization is not a CPU clock: its "active" time is wall time, and grows
// when another process takes the core.
import { readFileSync } from "node:fs";

const TICK_US = 10_000; // USER_HZ = 100 on Linux

export type MainThreadClockKind = "schedstat" | "stat";

export interface MainThreadClock {
  kind: MainThreadClockKind;
  /** CPU microseconds the main thread has used so far. */
  read(): number;
}

function schedstatReader(path: string): () => number {
  return () => Number(readFileSync(path, "utf8").split(" ")[0]) / 1000;
}

function statReader(path: string): () => number {
  return () => {
    const stat = readFileSync(path, "utf8");
    // Fields after the command name (which may contain spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * TICK_US;
  };
}

/** The main thread's CPU clock, or null where Linux's per-thread accounting cannot be read. Call from the main thread. */
export function mainThreadClock(): MainThreadClock | null {
  const task = `/proc/self/task/${process.pid}`;
  for (const [kind, reader] of [
    ["schedstat", schedstatReader(`${task}/schedstat`)],
    ["stat", statReader(`${task}/stat`)],
  ] as const) {
    try {
      if (Number.isFinite(reader())) return { kind, read: reader };
    } catch {}
  }
  return null;
}

/** CPU microseconds every thread of this process has used so far (user + system). */
export function processCpuMicros(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}
