// Which source a benchmark measures: the commit and whether the working tree matched it. Read
// once, when the run starts (the suite snapshots the build then, and the tracing-cost benchmark
// loads its modules then), never at the end: a commit made during a 16-minute run is not what
// was measured.
import { execFileSync } from "node:child_process";

export interface SourceState {
  /** HEAD's commit, or null outside a git checkout. */
  commit: string | null;
  /** Tracked changes or untracked (not ignored) files; null when git could not tell. */
  dirty: boolean | null;
  /** `git status --porcelain` lines, for the refusal message (at most the first 20). */
  changes: string[];
  /**
   * The service's source at that commit (serviceSourceAt), recorded with a result so that two
   * results can be told to measure the same service without the history (a shallow clone has
   * neither commit); null when the tree was dirty or git could not tell.
   */
  service: string | null;
}

function git(root: string, args: string[]): string | null {
  try {
    return execFileSync("git", args, { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
  } catch {
    return null;
  }
}

/**
 * Untracked files count: a new source file that is not committed is compiled into dist/ and
 * measured all the same. Ignored files (dist/, node_modules/, bench/results/) do not.
 */
export function readSourceState(root: string): SourceState {
  const head = git(root, ["rev-parse", "HEAD"]);
  const status = git(root, ["status", "--porcelain", "--untracked-files=all"]);
  const changes = status === null ? [] : status.split("\n").filter((line) => line.trim() !== "");
  const commit = head === null ? null : head.trim();
  const dirty = status === null ? null : changes.length > 0;
  return {
    commit,
    dirty,
    changes: changes.slice(0, 20),
    service: commit !== null && dirty === false ? serviceSourceAt(root, commit) : null,
  };
}

/**
 * Why a reference run may not start on this tree, or null when it may. A reference result names
 * one commit; it must measure exactly that commit.
 */
export function referenceRefusal(state: SourceState): string | null {
  if (state.commit === null || state.dirty === null)
    return "--reference needs a git checkout (the result names the commit it measured), and git could not read this one";
  if (!state.dirty) return null;
  const list = state.changes.map((line) => `  ${line}`).join("\n");
  return `--reference refused: the working tree has uncommitted changes, so the result could not name the commit it measures. Commit or stash them (untracked files included) and run again:\n${list}`;
}

/** "abc123def456" or "abc123def456 (with uncommitted changes)", for reports. */
export function describeCommit(commit: string | null, dirty: boolean | null, length = 40): string {
  if (commit === null) return "unknown";
  return `${commit.slice(0, length)}${dirty ? " (with uncommitted changes)" : dirty === null ? " (clean state unknown)" : ""}`;
}

/** What makes the service a benchmark measures: its code and its locked dependencies. */
const SERVICE_SOURCE = ["src", "package-lock.json"] as const;

/** The git objects of SERVICE_SOURCE at `commit`, as one string; null when git cannot read them. */
export function serviceSourceAt(root: string, commit: string): string | null {
  const objects = SERVICE_SOURCE.map((path) => git(root, ["rev-parse", "--verify", "--quiet", `${commit}:${path}`]));
  return objects.some((object) => object === null) ? null : objects.map((object) => object!.trim()).join(" ");
}

/** What a result records of the source it measured (MachineInfo's fields). */
export interface MeasuredSource {
  commit: string | null;
  dirty: boolean | null;
  /** SourceState.service; absent in results written before it was recorded. */
  service?: string | null;
}

/**
 * Whether two results measured the same service (SERVICE_SOURCE identical), though their commits
 * may differ in benchmark code or docs; null when that cannot be told: a tree that was dirty
 * (what it measured is in no commit), or a commit neither recorded with its service source nor
 * in this checkout.
 */
export function sameServiceSource(root: string, a: MeasuredSource, b: MeasuredSource): boolean | null {
  if (a.commit === null || b.commit === null || a.dirty !== false || b.dirty !== false) return null;
  const [x, y] = [a, b].map((m) => m.service ?? serviceSourceAt(root, m.commit!));
  if (!x || !y) return null;
  return x === y;
}
