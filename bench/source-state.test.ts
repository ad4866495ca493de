import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  describeCommit,
  readSourceState,
  referenceRefusal,
  sameServiceSource,
  serviceSourceAt,
} from "./source-state.js";

function gitRepo(): { dir: string; git: (...args: string[]) => string } {
  const dir = mkdtempSync(join(tmpdir(), "bench-source-state-"));
  const git = (...args: string[]) =>
    execFileSync(
      "git",
      ["-c", "user.name=bench", "-c", "user.email=bench@example.invalid", "-c", "commit.gpgsign=false", ...args],
      { cwd: dir, encoding: "utf8" },
    );
  git("init", "-q");
  writeFileSync(join(dir, ".gitignore"), "dist/\n");
  writeFileSync(join(dir, "main.ts"), "export const x = 1;\n");
  git("add", ".");
  git("commit", "-q", "-m", "first");
  return { dir, git };
}

test("a clean checkout: the commit is HEAD and --reference may run", (t) => {
  const { dir, git } = gitRepo();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // Ignored output (a build) does not make the tree dirty.
  mkdirSync(join(dir, "dist"));
  writeFileSync(join(dir, "dist", "main.js"), "built");
  const state = readSourceState(dir);
  assert.equal(state.commit, git("rev-parse", "HEAD").trim());
  assert.equal(state.dirty, false);
  assert.equal(referenceRefusal(state), null);
  assert.equal(describeCommit(state.commit, state.dirty, 12), state.commit!.slice(0, 12));
});

test("a modified tracked file refuses --reference and names the file", (t) => {
  const { dir } = gitRepo();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, "main.ts"), "export const x = 2;\n");
  const state = readSourceState(dir);
  assert.equal(state.dirty, true);
  const refusal = referenceRefusal(state);
  assert.match(refusal ?? "", /--reference refused: the working tree has uncommitted changes/);
  assert.match(refusal ?? "", /M main\.ts/);
  assert.match(describeCommit(state.commit, state.dirty), /\(with uncommitted changes\)$/);
});

test("an untracked source file refuses --reference too (it would be built and measured)", (t) => {
  const { dir } = gitRepo();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, "new-module.ts"), "export {};\n");
  const state = readSourceState(dir);
  assert.equal(state.dirty, true);
  assert.match(referenceRefusal(state) ?? "", /\?\? new-module\.ts/);
});

test("outside a git checkout nothing is claimed and --reference is refused", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "bench-source-state-nogit-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const state = readSourceState(dir);
  assert.deepEqual([state.commit, state.dirty], [null, null]);
  assert.match(referenceRefusal(state) ?? "", /needs a git checkout/);
  assert.equal(describeCommit(null, null), "unknown");
});

test("two commits hold the same service when src/ and package-lock.json are the same in both, whatever else changed", (t) => {
  const { dir, git } = gitRepo();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const commit = () => git("rev-parse", "HEAD").trim();
  mkdirSync(join(dir, "src"));
  writeFileSync(join(dir, "src", "service.ts"), "export const turn = 1;\n");
  writeFileSync(join(dir, "package-lock.json"), "{}\n");
  git("add", ".");
  git("commit", "-q", "-m", "service");
  const service = { commit: commit(), dirty: false };
  writeFileSync(join(dir, "bench.ts"), "export const bench = 1;\n");
  git("add", ".");
  git("commit", "-q", "-m", "benchmark code only");
  const benchOnly = { commit: commit(), dirty: false };
  assert.equal(sameServiceSource(dir, service, benchOnly), true);
  writeFileSync(join(dir, "src", "service.ts"), "export const turn = 2;\n");
  git("commit", "-q", "-am", "service changed");
  assert.equal(sameServiceSource(dir, service, { commit: commit(), dirty: false }), false);
  writeFileSync(join(dir, "package-lock.json"), '{"lockfileVersion":3}\n');
  git("commit", "-q", "-am", "dependencies changed");
  assert.equal(sameServiceSource(dir, { commit: commit(), dirty: false }, { commit: commit(), dirty: false }), true);
  assert.equal(sameServiceSource(dir, benchOnly, { commit: commit(), dirty: false }), false);
  // A dirty tree measured what no commit holds; an unknown commit cannot be read: neither can be told.
  assert.equal(sameServiceSource(dir, service, { ...benchOnly, dirty: true }), null);
  assert.equal(sameServiceSource(dir, service, { commit: null, dirty: false }), null);
  assert.equal(sameServiceSource(dir, service, { commit: "0".repeat(40), dirty: false }), null);
});

test("a result records its service's source, so two results compare without the history (a shallow clone)", (t) => {
  const { dir, git } = gitRepo();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // No src/ in this checkout: nothing to record.
  assert.equal(readSourceState(dir).service, null);
  mkdirSync(join(dir, "src"));
  writeFileSync(join(dir, "src", "service.ts"), "export const turn = 1;\n");
  writeFileSync(join(dir, "package-lock.json"), "{}\n");
  git("add", ".");
  git("commit", "-q", "-m", "service");
  const state = readSourceState(dir);
  assert.equal(state.service, serviceSourceAt(dir, state.commit!));
  assert.match(state.service ?? "", /^[0-9a-f]{40} [0-9a-f]{40}$/);
  // Commits this checkout does not hold, with their service recorded.
  const [x, y] = ["1".repeat(40), "2".repeat(40)];
  const recorded = (commit: string, service: string) => ({ commit, dirty: false, service });
  assert.equal(sameServiceSource(dir, recorded(x, state.service!), recorded(y, state.service!)), true);
  assert.equal(sameServiceSource(dir, recorded(x, state.service!), recorded(y, "other")), false);
  // A dirty tree records none.
  writeFileSync(join(dir, "src", "service.ts"), "export const turn = 2;\n");
  assert.equal(readSourceState(dir).service, null);
});
