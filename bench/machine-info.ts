// The machine a result was measured on.
import { execFileSync } from "node:child_process";
import { cpus, platform, release, totalmem } from "node:os";
import type { MachineInfo } from "./result-schema.js";

function git(root: string, args: string[]): string | null {
  try {
    return execFileSync("git", args, { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return null;
  }
}

export function machineInfo(root: string): MachineInfo {
  const list = cpus();
  const status = git(root, ["status", "--porcelain", "--untracked-files=no"]);
  return {
    cpuModel: list[0]?.model.trim() ?? "unknown",
    cores: list.length,
    totalMemoryBytes: totalmem(),
    os: `${platform()} ${release()}`,
    nodeVersion: process.version,
    gitCommit: git(root, ["rev-parse", "HEAD"]),
    gitDirty: status === null ? null : status.length > 0,
  };
}
