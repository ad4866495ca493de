// Every file the service and its trace journal create is 0600 and every folder it creates 0700:
// the session database with its -wal and -shm (where the stored responses live too), the journal's
// folder and its files. Files an earlier version made 0644 are tightened at start. Where the test
// runs as root, another local user (`nobody`) is shown to read nothing of them, in a parent folder
// that lets everyone through.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { postJson, startService } from "./support/start-service.js";
import { startTestReceiver, type TestReceiver } from "./support/otlp-span-receiver.js";

const mode = (path: string) => statSync(path).mode & 0o777;
const octal = (m: number) => `0${m.toString(8)}`;

/** The uid and gid of `nobody` when this process may act as them (root), else null. */
function nobody(): { uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null;
  const id = (flag: string) => spawnSync("id", [flag, "nobody"], { encoding: "utf8" });
  const uid = id("-u");
  const gid = id("-g");
  if (uid.status !== 0 || gid.status !== 0) return null;
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

let base: string;
let receiver: TestReceiver;
before(async () => {
  base = mkdtempSync(join(tmpdir(), "sb-private-"));
  // Anyone may pass through the parent: only the modes of what the service creates protect it.
  chmodSync(base, 0o755);
  receiver = await startTestReceiver();
});
after(async () => {
  await receiver?.close();
  rmSync(base, { recursive: true, force: true });
});

test("the session database, its companions and the trace journal are 0600 in 0700 folders; nobody else reads them", async () => {
  const dataDir = join(base, "created", "data");
  const spoolDir = join(base, "created", "spool");
  const sessionsDb = join(dataDir, "sessions.db");
  // A database an earlier version left world-readable, directly in a folder that is not ours.
  const legacyDb = join(base, "legacy.db");
  closeSync(openSync(legacyDb, "w", 0o644));
  chmodSync(legacyDb, 0o644);
  const legacySpool = join(base, "legacy-spool");
  mkdirSync(legacySpool, { mode: 0o755 });
  chmodSync(legacySpool, 0o755);

  for (const [db, spool] of [
    [sessionsDb, spoolDir],
    [legacyDb, legacySpool],
  ] as const) {
    const svc = await startService({
      SESSION_STORE: "sqlite",
      SESSION_DB_PATH: db,
      LANGFUSE_ENABLED: "true",
      LANGFUSE_PUBLIC_KEY: "pk-lf-private",
      LANGFUSE_SECRET_KEY: "sk-lf-private",
      LANGFUSE_BASE_URL: receiver.baseUrl,
      LANGFUSE_JOURNAL: "true",
      LANGFUSE_JOURNAL_DIR: spool,
      LANGFUSE_FLUSH_INTERVAL: "0.05",
    });
    try {
      const chat = await postJson(`${svc.url}/api/v1/chat`, { message: "Where is my order 42?", user_id: "private" });
      assert.equal(chat.status, 200);
      const response = await postJson(`${svc.url}/v1/responses`, { model: "switchboard-router", input: "hi" });
      assert.equal(response.status, 200);
      const files = [db, `${db}-wal`, `${db}-shm`, join(spool, "spool.db"), join(spool, "spool.db-wal")];
      for (const file of files) {
        assert.ok(existsSync(file), `${file} was not created`);
        assert.equal(octal(mode(file)), "0600", file);
      }
      assert.equal(octal(mode(spool)), "0700", "the journal's folder");
      if (db === sessionsDb) {
        assert.equal(octal(mode(dataDir)), "0700", "a folder made for the database");
        assert.equal(octal(mode(join(base, "created"))), "0700", "a parent made for it");
      }
      const other = nobody();
      if (other) {
        for (const file of files) {
          const read = spawnSync("cat", [file], { ...other, encoding: "utf8" });
          assert.notEqual(read.status, 0, `${file} was readable by nobody`);
          assert.match(read.stderr, /Permission denied/, file);
        }
      }
    } finally {
      await svc.close();
    }
  }
});
