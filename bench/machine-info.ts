// The machine a result was measured on, and the source it measured.
import { cpus, platform, release, totalmem } from "node:os";
import type { MachineInfo } from "./result-schema.js";
import { readSourceState, type SourceState } from "./source-state.js";

/**
 * `source`: the state read when the run started (what was built and measured); read now when
 * not given, which is only right for a run that has not started yet.
 */
export function machineInfo(root: string, source: SourceState = readSourceState(root)): MachineInfo {
  const list = cpus();
  return {
    cpuModel: list[0]?.model.trim() ?? "unknown",
    cores: list.length,
    totalMemoryBytes: totalmem(),
    os: `${platform()} ${release()}`,
    nodeVersion: process.version,
    gitCommit: source.commit,
    gitDirty: source.dirty,
    serviceSource: source.service,
  };
}
