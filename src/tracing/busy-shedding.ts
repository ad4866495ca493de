// Tracing a turn costs a few hundred microseconds of CPU however little it does, because the
// minimal honest work (encode, journal, send) is that large. With CPU to spare nobody notices;
// once the event loop is saturated, that CPU is taken from requests: throughput and latency pay
// for it. So while the loop is busy, ordinary turns are traced only up to a per-second allowance
// and the rest are shed at their start, where shedding costs nothing. The window, the marks and
// the allowance bound what tracing can take from a saturated process to about
// allowance x cost-per-turn per second, whatever the request rate.
import { performance, type EventLoopUtilization } from "node:perf_hooks";

/** Event-loop utilization at or above which the loop is busy. */
export const BUSY_UTILIZATION = 0.8;
/** A busy loop stays busy until its utilization falls below this, so a loop near the mark does not flap. */
export const CALM_UTILIZATION = 0.7;
/**
 * While the loop is calm, utilization is measured over windows this long, re-read by the first
 * turn after one ends: every turn of the window in which the loop saturates is traced in full, so
 * the window is short. With 500 ms, each rise from idle traced about 130 turns beyond the allowance
 * (instant model, 16 connections, one core); with 100 ms, about 40 (bench/results/busy-onset/).
 */
export const BUSY_WINDOW_MS = 100;
/**
 * While busy, over windows this long: leaving takes half a second below the calm mark, so a short
 * lull in a busy spell (a gap in the traffic) does not trace every turn again.
 */
export const CALM_WINDOW_MS = 500;

export interface BusySheddingOptions {
  /** Ordinary turns traced per second while the loop is busy; 0: never shed, every turn traced at any load. */
  tracesPerSec: number;
  /** Called when the loop turns busy, with the window's utilization (0..1). */
  onBusy?: (utilization: number) => void;
  /** The clock, ms (performance.now); tests drive it. */
  now?: () => number;
  /** Event-loop utilization as perf_hooks reports it; tests drive it. */
  utilization?: (
    current?: EventLoopUtilization,
    previous?: EventLoopUtilization,
  ) => Pick<EventLoopUtilization, "idle" | "active" | "utilization">;
}

/** Decides at a turn's start whether it is traced, by how busy the event loop has been. */
export class BusyShedding {
  readonly #perSec: number;
  readonly #now: () => number;
  readonly #utilization: NonNullable<BusySheddingOptions["utilization"]>;
  readonly #onBusy: BusySheddingOptions["onBusy"];
  #busy = false;
  #windowStart: number;
  #mark: Pick<EventLoopUtilization, "idle" | "active" | "utilization">;
  /** Turns that may still be traced in this busy spell: refilled at `perSec`, up to one second's worth. */
  #tokens: number;
  #refilledAt: number;

  constructor(options: BusySheddingOptions) {
    this.#perSec = options.tracesPerSec;
    this.#now = options.now ?? (() => performance.now());
    this.#utilization =
      options.utilization ?? ((current, previous) => performance.eventLoopUtilization(current, previous));
    this.#onBusy = options.onBusy;
    this.#windowStart = this.#now();
    this.#mark = this.#utilization();
    this.#tokens = this.#perSec;
    this.#refilledAt = this.#windowStart;
  }

  /** Whether the loop counts as busy now (a window that has ended is read first); never with shedding off. */
  isBusy(): boolean {
    return this.#perSec > 0 && this.#read(this.#now());
  }

  /**
   * Whether a turn starting at `now` (the clock's reading the caller already took) is traced:
   * always while the loop is calm; within the allowance while busy.
   */
  admit(now: number = this.#now()): boolean {
    if (this.#perSec <= 0) return true;
    if (!this.#read(now)) return true;
    this.#tokens = Math.min(this.#perSec, this.#tokens + ((now - this.#refilledAt) * this.#perSec) / 1000);
    this.#refilledAt = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  #read(now: number): boolean {
    if (now - this.#windowStart >= (this.#busy ? CALM_WINDOW_MS : BUSY_WINDOW_MS)) this.#measure(now);
    return this.#busy;
  }

  #measure(now: number): void {
    const mark = this.#utilization();
    const { utilization } = this.#utilization(mark, this.#mark);
    this.#mark = mark;
    this.#windowStart = now;
    if (!this.#busy && utilization >= BUSY_UTILIZATION) {
      this.#busy = true;
      this.#tokens = this.#perSec;
      this.#refilledAt = now;
      this.#onBusy?.(utilization);
    } else if (this.#busy && utilization < CALM_UTILIZATION) {
      this.#busy = false;
    }
  }
}
