// `npm start`, `npm run chat` and `npm run receiver` build only when something the build reads
// changed since the last build (scripts/build.mjs --if-stale); --dry-run says which way it goes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, unlinkSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const BUILD = fileURLToPath(new URL("../../scripts/build.mjs", import.meta.url));

function dryRun(root: string): { code: number | null; out: string } {
  const res = spawnSync(process.execPath, [BUILD, "--dry-run", "--root", root], { encoding: "utf8" });
  return { code: res.status, out: res.stdout + res.stderr };
}

/** Sets a file's (or folder's) modification time to `seconds` after an arbitrary fixed moment. */
const at = (path: string, seconds: number) => utimesSync(path, 1_700_000_000 + seconds, 1_700_000_000 + seconds);

test("a build is skipped only while dist/ is newer than every source, folder and package file", () => {
  const root = mkdtempSync(join(tmpdir(), "build-if-stale-"));
  try {
    mkdirSync(join(root, "src", "cli"), { recursive: true });
    mkdirSync(join(root, "dist"));
    writeFileSync(join(root, "src", "cli", "chat.ts"), "export {};\n");
    writeFileSync(join(root, "tsconfig.json"), "{}\n");
    writeFileSync(join(root, "package-lock.json"), "{}\n");
    for (const p of ["src/cli/chat.ts", "src/cli", "src", "tsconfig.json", "package-lock.json"]) at(join(root, p), 0);

    assert.deepEqual(dryRun(root), { code: 3, out: "stale: no finished build in dist/\n" });
    const stamp = join(root, "dist", ".build-stamp");
    writeFileSync(stamp, "");
    at(stamp, 10);
    assert.deepEqual(dryRun(root), { code: 0, out: "up to date\n" });

    at(join(root, "src", "cli", "chat.ts"), 20);
    assert.deepEqual(dryRun(root), {
      code: 3,
      out: `stale: ${join("src", "cli", "chat.ts")} changed since the last build\n`,
    });
    at(join(root, "src", "cli", "chat.ts"), 0);

    // A file removed from a source folder changes the folder.
    at(join(root, "src", "cli"), 20);
    assert.equal(dryRun(root).code, 3);
    at(join(root, "src", "cli"), 0);

    // An install (npm ci rewrites the lock file) or a TypeScript setting.
    at(join(root, "package-lock.json"), 20);
    assert.match(dryRun(root).out, /stale: package-lock\.json changed/);
    at(join(root, "package-lock.json"), 0);
    at(join(root, "tsconfig.json"), 20);
    assert.match(dryRun(root).out, /stale: tsconfig\.json changed/);
    at(join(root, "tsconfig.json"), 0);
    assert.equal(dryRun(root).code, 0);

    // A build that failed leaves no stamp: the next launch builds again.
    unlinkSync(stamp);
    assert.equal(dryRun(root).code, 3);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test("npm start, npm run chat and npm run receiver build only when stale; npm test and npm run build always build", async () => {
  const { readFileSync } = await import("node:fs");
  const scripts = JSON.parse(readFileSync(fileURLToPath(new URL("../../package.json", import.meta.url)), "utf8"))
    .scripts as Record<string, string>;
  // start and start:env set glibc's allocator before Node starts (bench/launch-env.test.ts holds them to it).
  for (const name of ["start", "start:env", "chat", "receiver"])
    assert.match(scripts[name]!, /^node scripts\/build\.mjs --if-stale && (\w+=\S+ )*node /, name);
  assert.equal(scripts["build"], "node scripts/build.mjs");
  assert.match(scripts["test"]!, /rm -rf dist && npm run build/);
});
