// `npm run build`: compiles the TypeScript to dist/ (tsc) and bundles the trace viewer
// (scripts/build-viewer.mjs), then stamps dist/ with the time the build started.
//
// `--if-stale` (npm start, npm run chat, npm run receiver) skips both when nothing the build reads
// changed since the last stamped build: a launch with nothing to rebuild starts at once instead of
// type-checking the whole project again (8-10 s, more on a busy machine). Anything newer than
// the stamp (a source file, a file added, removed or renamed in a source folder, the TypeScript
// configuration, package.json or package-lock.json after an install) makes it build as usual.
//
//   node scripts/build.mjs [--if-stale] [--dry-run] [--root DIR]
//   --dry-run   only say whether a build is needed (exit 0: up to date, 3: stale); builds nothing
//   --root DIR  the project folder (default: this repository)
import { spawnSync } from "node:child_process";
import { closeSync, existsSync, openSync, readdirSync, statSync, utimesSync } from "node:fs";
import { createRequire } from "node:module";
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** What the build reads: folders (walked) and single files, relative to the project folder. */
const INPUT_FOLDERS = ["src", "bench", "scripts", "test", "docs/examples"];
const INPUT_FILES = ["tsconfig.json", "package.json", "package-lock.json"];
const STAMP = join("dist", ".build-stamp");
const STALE_EXIT = 3;

/** The newest modification among the build's inputs (folders count: adding or removing a file changes theirs). */
export function newestInput(root) {
  let newest = { path: null, mtimeMs: 0 };
  const consider = (path, mtimeMs) => {
    if (mtimeMs > newest.mtimeMs) newest = { path, mtimeMs };
  };
  const walk = (dir) => {
    consider(dir, statSync(dir).mtimeMs);
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.name === "node_modules") continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else consider(path, statSync(path).mtimeMs);
    }
  };
  for (const folder of INPUT_FOLDERS) if (existsSync(join(root, folder))) walk(join(root, folder));
  for (const file of INPUT_FILES)
    if (existsSync(join(root, file))) consider(join(root, file), statSync(join(root, file)).mtimeMs);
  return newest;
}

/** Why a build is needed, or null when dist/ is newer than every input. */
export function staleReason(root) {
  const stamp = join(root, STAMP);
  if (!existsSync(stamp)) return "no finished build in dist/";
  const built = statSync(stamp).mtimeMs;
  const newest = newestInput(root);
  return newest.mtimeMs > built ? `${relative(root, newest.path)} changed since the last build` : null;
}

function run(root, args) {
  const res = spawnSync(process.execPath, args, { cwd: root, stdio: "inherit" });
  return res.status ?? 1;
}

/** Compiles and bundles; stamps dist/ with the start time, so an edit made during the build is seen next time. */
function build(root) {
  const started = new Date();
  const tsc = createRequire(join(root, "package.json")).resolve("typescript/bin/tsc");
  const code = run(root, [tsc, "-p", "tsconfig.json"]) || run(root, [join(root, "scripts", "build-viewer.mjs")]);
  if (code !== 0) return code;
  const stamp = join(root, STAMP);
  closeSync(openSync(stamp, "w"));
  utimesSync(stamp, started, started);
  return 0;
}

function main(argv) {
  let root = fileURLToPath(new URL("..", import.meta.url));
  let ifStale = false;
  let dryRun = false;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--if-stale") ifStale = true;
    else if (argv[i] === "--dry-run") dryRun = true;
    else if (argv[i] === "--root") root = resolve(argv[++i] ?? ".");
    else {
      process.stderr.write(
        `build: unknown option ${argv[i]}\nusage: node scripts/build.mjs [--if-stale] [--dry-run] [--root DIR]\n`,
      );
      return 2;
    }
  }
  const reason = ifStale || dryRun ? staleReason(root) : "asked to build";
  if (dryRun) {
    process.stdout.write(reason ? `stale: ${reason}\n` : "up to date\n");
    return reason ? STALE_EXIT : 0;
  }
  if (!reason) return 0;
  if (ifStale) process.stderr.write(`building (${reason})...\n`);
  return build(root);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2));
}
