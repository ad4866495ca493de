// CPU clocks of this process: the main thread's alone, and every thread's.
//
// process.cpuUsage() is getrusage(RUSAGE_SELF): every thread of the process (main, worker
// threads, GC helpers, libuv's pool). Work moved to a worker thread still counts there, but it
// no longer costs the event loop. Node 20 has no per-thread CPU clock (process.threadCpuUsage
// came in Node 23.9), so the main thread's is read from Linux: /proc/self/task/<tid>/schedstat
// (nanoseconds on the CPU; the main thread's tid is the pid), else the same task's stat (10 ms
// ticks). macOS has no /proc: there `ps -M` lists the process's threads, the main thread first,
// with their system and user time (10 ms; a process spawned per reading, so only for coarse
// figures: the benchmarks are run on Linux). Event-loop utilization is not a CPU clock: its
// "active" time is wall time, and grows when another process takes the core.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

const TICK_US = 10_000; // USER_HZ = 100 on Linux

export type MainThreadClockKind = "schedstat" | "stat" | "ps";

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

/** "1:02.34" (minutes, seconds) or "1:02:03.45" (hours too) in microseconds. */
function psTimeMicros(text: string): number {
  return Math.round(text.split(":").reduce((total, part) => total * 60 + Number(part), 0) * 1e6);
}

/**
 * macOS's `ps -M -p <pid>`: the first thread listed is the main thread; its line holds the
 * process's columns, then the thread's STIME and UTIME, the first two fields shaped like a CPU
 * time. Returns their sum in microseconds.
 */
export function mainThreadMicrosFromPs(output: string): number {
  const [, first] = output.split("\n");
  const times = (first ?? "").split(/\s+/).filter((f) => /^\d+(:\d{2}){1,2}\.\d+$/.test(f));
  if (times.length < 2) throw new Error(`ps -M printed no thread times: ${first}`);
  return psTimeMicros(times[0]!) + psTimeMicros(times[1]!);
}

function psReader(pid: number): () => number {
  return () => mainThreadMicrosFromPs(execFileSync("ps", ["-M", "-p", String(pid)], { encoding: "utf8" }));
}

/**
 * The main thread's CPU clock, or null where no per-thread accounting can be read (neither
 * Linux's /proc nor macOS's ps). Call from the main thread.
 */
export function mainThreadClock(): MainThreadClock | null {
  const task = `/proc/self/task/${process.pid}`;
  const readers: (readonly [MainThreadClockKind, () => number])[] =
    process.platform === "darwin"
      ? [["ps", psReader(process.pid)]]
      : [
          ["schedstat", schedstatReader(`${task}/schedstat`)],
          ["stat", statReader(`${task}/stat`)],
        ];
  for (const [kind, reader] of readers) {
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
