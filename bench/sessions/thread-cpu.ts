// CPU time of a process from the outside, in nanoseconds (/proc/<pid>/task/*/schedstat): every
// thread of the service (event loop, export worker, libuv pool), and its main thread alone.
import { readdirSync, readFileSync } from "node:fs";

function schedstatNs(path: string): number {
  try {
    return Number(readFileSync(path, "utf8").split(" ")[0]);
  } catch {
    // A thread that ended between the listing and the read.
    return 0;
  }
}

export interface CpuReading {
  /** Every thread of the process. */
  allNs: number;
  /** The main thread (the event loop). */
  mainNs: number;
}

export function readProcessCpu(pid: number): CpuReading {
  let allNs = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) allNs += schedstatNs(`/proc/${pid}/task/${tid}/schedstat`);
  return { allNs, mainNs: schedstatNs(`/proc/${pid}/task/${pid}/schedstat`) };
}

/** CPU of a set of processes (a PostgreSQL server: the postmaster's children), all threads. */
export function readProcessesCpuNs(pids: readonly number[]): number {
  let total = 0;
  for (const pid of pids) {
    try {
      for (const tid of readdirSync(`/proc/${pid}/task`)) total += schedstatNs(`/proc/${pid}/task/${tid}/schedstat`);
    } catch {}
  }
  return total;
}

/** The children of `parent` now (a PostgreSQL postmaster's backends and helpers). */
export function childrenOf(parent: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === parent) out.push(Number(name));
    } catch {}
  }
  return out;
}
