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
  return {
    commit: head === null ? null : head.trim(),
    dirty: status === null ? null : changes.length > 0,
    changes: changes.slice(0, 20),
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

/**
 * Whether two clean commits hold the same service (SERVICE_SOURCE identical in both); null when
 * that cannot be told: a commit unknown or not in this checkout, or a tree that was dirty (what
 * it measured is in no commit). Two results of the same service may be read together though
 * their commits differ in benchmark code or docs.
 */
export function sameServiceSource(
  root: string,
  a: Pick<SourceState, "commit" | "dirty">,
  b: Pick<SourceState, "commit" | "dirty">,
): boolean | null {
  if (a.commit === null || b.commit === null || a.dirty !== false || b.dirty !== false) return null;
  for (const path of SERVICE_SOURCE) {
    const objectOf = (commit: string) => git(root, ["rev-parse", "--verify", "--quiet", `${commit}:${path}`]);
    const [x, y] = [objectOf(a.commit), objectOf(b.commit)];
    if (x === null || y === null) return null;
    if (x.trim() !== y.trim()) return false;
  }
  return true;
}
