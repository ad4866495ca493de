// The service as users run it, configured with the journal's old variable names (LANGFUSE_SPOOL*):
// the journal is where the old name says, the log warns once naming the new name, and an old
// and a new name that disagree stop start-up with an error naming both.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runServiceExpectingFailure, spawnService } from "./support/spawn-service.js";

test("LANGFUSE_SPOOL_DIR still places the journal, with one warning to use LANGFUSE_JOURNAL_DIR", async () => {
  const dir = mkdtempSync(join(tmpdir(), "journal-former-names-"));
  const journalDir = join(dir, "old-name");
  // No Langfuse keys: traces go to an embedded local receiver on a free port.
  const svc = await spawnService({
    SESSION_STORE: "memory",
    LANGFUSE_LOCAL_RECEIVER_PORT: "0",
    LANGFUSE_LOCAL_RECEIVER_DB: join(dir, "traces.db"),
    LANGFUSE_SPOOL_DIR: journalDir,
    LANGFUSE_SHUTDOWN_TIMEOUT: "1",
  });
  try {
    assert.ok(existsSync(join(journalDir, "spool.db")), "the journal was opened in the folder the old name gives");
    const lines = svc
      .output()
      .stdout.split("\n")
      .filter((l) => l.includes("LANGFUSE_SPOOL_DIR"))
      .map((l) => JSON.parse(l) as { level: number; variable?: string; replacedBy?: string; msg: string });
    assert.equal(lines.length, 1, "warned once");
    assert.equal(lines[0]!.level, 40, "a warning");
    assert.equal(lines[0]!.variable, "LANGFUSE_SPOOL_DIR");
    assert.equal(lines[0]!.replacedBy, "LANGFUSE_JOURNAL_DIR");
    assert.match(lines[0]!.msg, /deprecated.*LANGFUSE_JOURNAL_DIR/);
  } finally {
    await svc.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("LANGFUSE_JOURNAL_DIR and LANGFUSE_SPOOL_DIR set to different folders: start-up stops, naming both", async () => {
  const { code, stderr } = await runServiceExpectingFailure({
    LANGFUSE_ENABLED: "false",
    SESSION_STORE: "memory",
    LANGFUSE_JOURNAL_DIR: "/nonexistent/journal",
    LANGFUSE_SPOOL_DIR: "/nonexistent/spool",
  });
  assert.equal(code, 1);
  assert.match(stderr, /LANGFUSE_JOURNAL_DIR="\/nonexistent\/journal" and LANGFUSE_SPOOL_DIR="\/nonexistent\/spool"/);
  assert.match(stderr, /set LANGFUSE_JOURNAL_DIR only/);
});
