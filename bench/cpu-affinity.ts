// Which cores each benchmark process may use. On a small machine the service, the Langfuse
// stand-in (receiver) and the load generator compete for the same cores, and the receiver only
// works in traced scenarios: left to the scheduler, the baseline (`off`) gets the whole machine
// while traced runs share it with the receiver, and the comparison measures the stand-in, not
// tracing. In production Langfuse runs elsewhere, so the service gets its own core(s) here and
// everything else shares the rest, in every scenario alike.
import { execFileSync } from "node:child_process";
import { cpus } from "node:os";

export interface CpuPlan {
  /** taskset CPU list for the service, or null when not pinning. */
  service: string | null;
  /** taskset CPU list for the receiver and the harness (load generator). */
  others: string | null;
  /** Cores the service may run on: what its CPU share ("busy %") is measured against. */
  serviceCores: number;
  /** Human-readable description for result notes. */
  description: string;
}

function hasTaskset(): boolean {
  try {
    execFileSync("taskset", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** Half the cores (at least one) for the service, the rest for the others; no pinning below 2 cores or without taskset. */
export function planCpus(enabled: boolean, cores = cpus().length): CpuPlan {
  if (!enabled || cores < 2 || !hasTaskset())
    return {
      service: null,
      others: null,
      serviceCores: cores,
      description: `no CPU pinning: service, receiver and load generator share all ${cores} cores`,
    };
  const serviceCores = Math.max(1, Math.floor(cores / 2));
  const service = serviceCores === 1 ? "0" : `0-${serviceCores - 1}`;
  const others = serviceCores === cores - 1 ? String(cores - 1) : `${serviceCores}-${cores - 1}`;
  return {
    service,
    others,
    serviceCores,
    description: `service pinned to CPU ${service}; receiver and load generator to CPU ${others} (taskset)`,
  };
}

/** Moves this process (the harness and its in-process load generator) onto `list`. */
export function pinSelf(list: string | null): void {
  pinProcess(process.pid, list);
}

/** Moves a running process, every thread of it, onto `list` (no-op without a plan's list). */
export function pinProcess(pid: number, list: string | null): void {
  if (list === null) return;
  execFileSync("taskset", ["-a", "-pc", list, String(pid)], { stdio: "ignore" });
}

/** The command that starts `node script` restricted to `list` (taskset execs node: same pid). */
export function pinnedCommand(list: string | null, script: string): { command: string; args: string[] } {
  if (list === null) return { command: process.execPath, args: [script] };
  return { command: "taskset", args: ["-c", list, process.execPath, script] };
}
