// A small tmpfs mounted on a test's folder: a real filesystem that fills up (ENOSPC) or refuses
// writes (mounted read-only, EROFS, which binds root too, unlike file modes). Needs root, or
// password-less sudo, as `npm test` does for its other system dependencies.
import { execFileSync } from "node:child_process";
import { closeSync, openSync, writeSync } from "node:fs";

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

/** Writes zeros to `path` until the filesystem is full; returns the bytes written. */
export function fillFilesystem(path: string): number {
  const fd = openSync(path, "w");
  const chunk = Buffer.alloc(64 * 1024);
  let written = 0;
  try {
    for (;;) {
      try {
        written += writeSync(fd, chunk);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOSPC") break;
        throw err;
      }
    }
    // The last partial chunk: fill the remaining bytes one page at a time.
    const page = Buffer.alloc(4096);
    for (;;) {
      try {
        written += writeSync(fd, page);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOSPC") break;
        throw err;
      }
    }
  } finally {
    closeSync(fd);
  }
  return written;
}
