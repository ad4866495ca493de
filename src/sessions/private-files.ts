import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from "node:fs";
import { dirname } from "node:path";

/** Files the service writes are its own: read and written by its user only. */
export const PRIVATE_FILE_MODE = 0o600;
export const PRIVATE_DIR_MODE = 0o700;

/** Creates `dir` and any missing parent as folders only this user can enter (0700). Existing folders are left as they are. */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
}

/**
 * Readies a SQLite database file to be opened: its folder created (0700), the file created empty
 * when missing, and the file with its -wal, -shm and -journal set to 0600. SQLite creates the
 * -wal and -shm files with the database file's permissions, so a file made 0600 here keeps every
 * companion private; a file made by an earlier version (0644) is tightened. `:memory:` is left alone.
 */
export function preparePrivateDatabase(path: string): void {
  if (path === ":memory:" || path === "") return;
  ensurePrivateDir(dirname(path));
  closeSync(openSync(path, "a", PRIVATE_FILE_MODE));
  for (const suffix of ["", "-wal", "-shm", "-journal"])
    if (existsSync(path + suffix)) chmodSync(path + suffix, PRIVATE_FILE_MODE);
}
