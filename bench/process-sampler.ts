// Samples a process from the outside (Linux /proc): resident memory every ~250 ms, CPU time on
// demand. Costs the sampled process nothing.
import { readFileSync } from "node:fs";

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** Resident set size in bytes, or null when unavailable (process gone, not Linux). */
export function readRssBytes(pid: number): number | null {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/**
 * User + system CPU seconds used so far, or null when unavailable. Resolution 10 ms. With `tid`,
 * that thread's alone (`readCpuSeconds(pid, pid)`: the main thread's).
 */
export function readCpuSeconds(pid: number, tid?: number): number | null {
  try {
    const stat = readFileSync(tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`, "utf8");
    // Fields after the command name (which may contain spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return Number.isFinite(utime) && Number.isFinite(stime) ? (utime + stime) / TICKS_PER_SECOND : null;
  } catch {
    return null;
  }
}

export interface RssSummary {
  peakBytes: number | null;
  lastBytes: number | null;
  samples: number;
}

/** Samples a pid's RSS at a fixed interval until stopped; keeps the peak and the last value. */
export class RssSampler {
  #peak: number | null = null;
  #last: number | null = null;
  #samples = 0;
  #timer: NodeJS.Timeout | null = null;

  readonly #pid: number;
  readonly #intervalMs: number;

  constructor(pid: number, intervalMs = 250) {
    this.#pid = pid;
    this.#intervalMs = intervalMs;
  }

  start(): this {
    this.sample();
    this.#timer = setInterval(() => this.sample(), this.#intervalMs);
    this.#timer.unref();
    return this;
  }

  sample(): number | null {
    const rss = readRssBytes(this.#pid);
    if (rss !== null) {
      this.#samples++;
      this.#last = rss;
      if (this.#peak === null || rss > this.#peak) this.#peak = rss;
    }
    return rss;
  }

  stop(): RssSummary {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    this.sample();
    return { peakBytes: this.#peak, lastBytes: this.#last, samples: this.#samples };
  }
}
