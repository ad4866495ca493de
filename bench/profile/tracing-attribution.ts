// What share of a process's work is tracing's, read from the process's own CPU profile and
// allocation sampling profile (V8's formats), not from a second process: two processes of the
// same build differ by more than a few percent on this kind of machine, one profile does not.
//
// A sample belongs to the nearest frame of the service's own code (dist/src/) on its stack:
// library, Node and native frames below it do that frame's work (better-sqlite3 under the
// journal, JSON.stringify under the encoder, LangChain under a graph node). So a tracing wrapper
// that calls the model (a node's `run`) is charged only for its own frames, never the model's.
import { median } from "../stats.js";

/** A frame of a V8 .cpuprofile or of a sampling heap profile. */
interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

export interface CpuProfile {
  nodes: { id: number; callFrame: CallFrame; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
}

/** A profile as V8 writes it, with its window on CLOCK_MONOTONIC (microseconds). */
export interface TimedCpuProfile extends CpuProfile {
  startTime: number;
  endTime: number;
}

export interface SamplingHeapProfile {
  head: HeapNode;
}

interface HeapNode {
  callFrame: CallFrame;
  selfSize: number;
  children: HeapNode[];
}

/** Where the service's own compiled code lives, and which of it is tracing's. */
export interface CodeMatch {
  /** A frame whose url contains this is the service's own code. */
  own: string;
  /** A frame of own code whose url contains this is tracing's. */
  tracing: string;
}

export const SERVICE_CODE: CodeMatch = { own: "/dist/src/", tracing: "/dist/src/tracing/" };

/** Whether a frame's work is tracing's: its own url decides for our code, its caller's (`inherited`) for any other. */
function tracingFrame(url: string, inherited: boolean, match: CodeMatch): boolean {
  return url.includes(match.own) ? url.includes(match.tracing) : inherited;
}

export interface CpuShare {
  /** Sampled time the thread was busy (not idle), ms. */
  busyMs: number;
  /** Busy time whose nearest own frame is tracing's, ms. */
  tracingMs: number;
  /** Time in V8's garbage collector on this thread (no stack), ms. */
  gcMs: number;
  samples: number;
}

/** What each sample of a CPU profile was: idle, the collector, tracing's work (by the rule above) or other work. */
export type SampleKind = "idle" | "gc" | "tracing" | "other";

export function sampleKinds(profile: CpuProfile, match: CodeMatch): (i: number) => SampleKind {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const owner = new Map<number, boolean>();
  const isTracing = (id: number): boolean => {
    const known = owner.get(id);
    if (known !== undefined) return known;
    const up = parent.get(id);
    const value = tracingFrame(byId.get(id)!.callFrame.url, up !== undefined && isTracing(up), match);
    owner.set(id, value);
    return value;
  };
  return (i) => {
    const id = profile.samples[i]!;
    const name = byId.get(id)?.callFrame.functionName;
    if (name === undefined || name === "(idle)") return "idle";
    if (name === "(garbage collector)") return "gc";
    return isTracing(id) ? "tracing" : "other";
  };
}

/** The main thread's busy time, tracing's part of it and the collector's. */
export function cpuShare(profile: CpuProfile, match: CodeMatch = SERVICE_CODE): CpuShare {
  const kindOf = sampleKinds(profile, match);
  let busyUs = 0;
  let tracingUs = 0;
  let gcUs = 0;
  let samples = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const kind = kindOf(i);
    if (kind === "idle") continue;
    // A sample's delta is the time since the one before: it stands for this sample's interval.
    const us = profile.timeDeltas[i] ?? 0;
    busyUs += us;
    samples++;
    if (kind === "gc") gcUs += us;
    else if (kind === "tracing") tracingUs += us;
  }
  return { busyMs: busyUs / 1000, tracingMs: tracingUs / 1000, gcMs: gcUs / 1000, samples };
}

/** Lengths at which stretches are counted, ms. */
export const STRETCH_THRESHOLDS_MS = [1, 2, 5, 10] as const;

export interface TracingStretches {
  /** The longest stretch, ms. */
  longestMs: number;
  /** How many stretches lasted at least each of STRETCH_THRESHOLDS_MS, in its order. */
  atLeast: number[];
}

/**
 * How long tracing held the main thread at a time: a stretch is a run of consecutive samples that
 * are tracing's, with any collector samples between two of them (the loop stays blocked through
 * those, and tracing's own allocations may have started them). A sample of other work or an idle
 * one ends it. This is what a request waiting on the loop feels of tracing, beside the share: the
 * journal's disk work or a batch's send as one block, not spread over turns.
 *
 * A stretch's length is its samples times the profile's median interval between samples, not the
 * sum of their intervals: on one core the sampler is sometimes held up for milliseconds (1 % of
 * intervals were over 4 ms against a median of 0.6 ms), and a sample that comes late says nothing
 * about what ran in the gap, only what was running at its end.
 */
export function tracingStretches(profile: CpuProfile, match: CodeMatch = SERVICE_CODE): TracingStretches {
  const kindOf = sampleKinds(profile, match);
  const intervalMs = median(profile.timeDeltas) / 1000;
  const lengths: number[] = [];
  let samples = 0;
  let pendingGc = 0;
  const close = () => {
    if (samples > 0) lengths.push(samples * intervalMs);
    samples = 0;
    pendingGc = 0;
  };
  for (let i = 0; i < profile.samples.length; i++) {
    const kind = kindOf(i);
    if (kind === "tracing") {
      samples += pendingGc + 1;
      pendingGc = 0;
    } else if (kind === "gc" && samples > 0) pendingGc++;
    else close();
  }
  close();
  return {
    longestMs: lengths.reduce((a, b) => Math.max(a, b), 0),
    atLeast: STRETCH_THRESHOLDS_MS.map((t) => lengths.filter((l) => l >= t).length),
  };
}

export interface AllocationShare {
  /** Bytes sampled as allocated (collected objects included when the profile was taken so). */
  totalBytes: number;
  /** Of which allocated where the nearest own frame is tracing's. */
  tracingBytes: number;
}

/** The bytes allocated, and tracing's part of them, by the same nearest-own-frame rule. */
export function allocationShare(profile: SamplingHeapProfile, match: CodeMatch = SERVICE_CODE): AllocationShare {
  let totalBytes = 0;
  let tracingBytes = 0;
  const walk = (node: HeapNode, inheritedTracing: boolean): void => {
    const tracing = tracingFrame(node.callFrame.url, inheritedTracing, match);
    totalBytes += node.selfSize;
    if (tracing) tracingBytes += node.selfSize;
    for (const child of node.children) walk(child, tracing);
  };
  walk(profile.head, false);
  return { totalBytes, tracingBytes };
}

export interface TracingCost {
  /** Tracing's share of the main thread's busy time: its own frames, and the collector's time in proportion to its allocations. */
  mainThreadShare: number;
  /** Tracing's share of the whole process's CPU: the main thread's as above, the other threads' (GC helpers, compiler) in proportion to its allocations. */
  processShare: number;
  /** What tracing adds to the untraced work: processShare / (1 - processShare). */
  overheadOfUntraced: number;
}

/**
 * Tracing's cost from the two profiles and the CPU the process used over the same window, read
 * from outside: `mainCpuMs` the main thread's, `processCpuMs` every thread's. The collector's
 * time, on the main thread and in its helpers, is charged in proportion to allocated bytes: an
 * estimate (a collection's cost follows what survives, not only what was allocated), said so.
 */
export function tracingCost(
  cpu: CpuShare,
  allocation: AllocationShare,
  mainCpuMs: number,
  processCpuMs: number,
): TracingCost {
  const allocated = allocation.totalBytes > 0 ? allocation.tracingBytes / allocation.totalBytes : 0;
  const mainThreadShare = cpu.busyMs > 0 ? (cpu.tracingMs + cpu.gcMs * allocated) / cpu.busyMs : 0;
  const others = Math.max(0, processCpuMs - mainCpuMs);
  const processShare = processCpuMs > 0 ? (mainThreadShare * mainCpuMs + others * allocated) / processCpuMs : 0;
  return {
    mainThreadShare,
    processShare,
    overheadOfUntraced: processShare < 1 ? processShare / (1 - processShare) : Infinity,
  };
}
