// A tmpfs mounted read-only on a test's folder: a place that refuses writes (EROFS) to root too,
// which file modes do not. Only for a test running as root (who may mount; CI); without root a
// folder without write permission does the same (test/spool-disk-faults.test.ts).
import { execFileSync } from "node:child_process";

function privileged(command: string, args: string[]): void {
  const root = process.getuid?.() === 0;
  try {
    if (root) execFileSync(command, args, { stdio: "pipe" });
    else execFileSync("sudo", ["-n", command, ...args], { stdio: "pipe" });
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString() ?? "";
    throw new Error(
      `${command} ${args.join(" ")} failed (needs root or password-less sudo): ${stderr || (err as Error).message}`,
    );
  }
}

export interface MountedTmpfs {
  dir: string;
  /** Unmounts (lazily, so a process still holding a file cannot keep it busy). Safe to call twice. */
  unmount(): void;
}

/** Mounts a tmpfs of `sizeBytes` on the existing folder `dir`, writable by anyone unless read-only. */
export function mountTmpfs(dir: string, options: { sizeBytes: number; readOnly?: boolean }): MountedTmpfs {
  const opts = [`size=${options.sizeBytes}`, "mode=0777", ...(options.readOnly ? ["ro"] : [])];
  privileged("mount", ["-t", "tmpfs", "-o", opts.join(","), "tmpfs", dir]);
  let mounted = true;
  return {
    dir,
    unmount() {
      if (!mounted) return;
      mounted = false;
      privileged("umount", ["-l", dir]);
    },
  };
}
