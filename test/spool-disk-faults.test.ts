// A filesystem that refuses the journal's writes: a spool folder that cannot be used at start
// (in a read-only place, or under a regular file) and a disk that fills up while the service
// runs. Either way the service says so once, carries on memory-only (journal_available 0), answers
// every request and still delivers traces while Langfuse is up. No root is needed: the read-only
// place is a folder without write permission (as root, which file modes do not bind, a read-only
// tmpfs), and the full disk is the journal's SQLite database held at its size, which gives the
// journal SQLite's own SQLITE_FULL, as a full disk does (test/support/journal-full-preload.ts).
import { test } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chatTurns, startChatLoad, type AnsweredTurn } from "./support/chat-load.js";
import { fillJournalDisk, journalFullEnv } from "./support/journal-full.js";
import { rowsByTrace } from "./support/receiver-rows.js";
import { scrapeMetrics, untilDrained } from "./support/service-metrics.js";
import { freePort, spawnReceiver, type SpawnedReceiver } from "./support/spawn-receiver.js";
import { spawnService, type SpawnedService } from "./support/spawn-service.js";
import { mountTmpfs } from "./support/tmpfs.js";
import { sleep, waitFor } from "./support/tracing-helpers.js";
import { DEV_KEY_PAIR } from "../src/receiver/basic-auth.js";

function serviceEnv(
  receiver: SpawnedReceiver,
  spoolDir: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    SESSION_STORE: "memory",
    SIM_TTFT_MS: "0",
    SIM_TOKEN_MS: "0",
    LANGFUSE_BASE_URL: receiver.url,
    LANGFUSE_PUBLIC_KEY: DEV_KEY_PAIR.publicKey,
    LANGFUSE_SECRET_KEY: DEV_KEY_PAIR.secretKey,
    LANGFUSE_JOURNAL_DIR: spoolDir,
    LANGFUSE_SHUTDOWN_TIMEOUT: "2",
    ...extra,
  };
}

function logLines(svc: SpawnedService, pattern: RegExp): Array<{ level: number; msg: string; [k: string]: unknown }> {
  return svc
    .output()
    .stdout.split("\n")
    .filter((l) => pattern.test(l))
    .map((l) => JSON.parse(l) as { level: number; msg: string });
}

/** Waits until every turn's trace is whole in the receiver; returns the rows. */
async function allDelivered(
  receiver: SpawnedReceiver,
  turns: readonly AnsweredTurn[],
  perTurn: number,
  timeoutMs = 20_000,
) {
  return waitFor(
    `the traces of ${turns.length} turns to arrive`,
    async () => {
      const rows = await rowsByTrace(receiver.url);
      return turns.every((t) => (rows.get(t.traceId!)?.ids.size ?? 0) === perTurn) ? rows : undefined;
    },
    timeoutMs,
    250,
  );
}

const UNUSABLE_FOLDERS: Array<{ name: string; prepare: (dir: string) => { spoolDir: string; release?: () => void } }> =
  [
    {
      name: "a read-only place",
      prepare(dir) {
        if (process.getuid?.() === 0) {
          // Root ignores file modes: a read-only filesystem refuses root too (root may mount one).
          const spoolDir = join(dir, "spool");
          mkdirSync(spoolDir);
          const mount = mountTmpfs(spoolDir, { sizeBytes: 1024 * 1024, readOnly: true });
          return { spoolDir, release: () => mount.unmount() };
        }
        // A folder the service's user may not write to: the spool folder cannot be made in it.
        const locked = join(dir, "read-only");
        mkdirSync(locked);
        chmodSync(locked, 0o500);
        return { spoolDir: join(locked, "spool"), release: () => chmodSync(locked, 0o700) };
      },
    },
    {
      // A regular file where the folder should be: nobody can create the folder.
      name: "a path under a regular file",
      prepare(dir) {
        const blocked = join(dir, "not-a-folder");
        writeFileSync(blocked, "x");
        return { spoolDir: join(blocked, "spool") };
      },
    },
  ];

for (const folder of UNUSABLE_FOLDERS) {
  test(
    `a spool in ${folder.name}: memory-only with one warning, journal_available 0, traces still delivered`,
    { timeout: 60_000 },
    async () => {
      const dir = mkdtempSync(join(tmpdir(), "spool-unusable-"));
      let release: (() => void) | undefined;
      let receiver: SpawnedReceiver | undefined;
      let svc: SpawnedService | undefined;
      try {
        const prepared = folder.prepare(dir);
        release = prepared.release;
        receiver = await spawnReceiver(await freePort(), join(dir, "receiver.db"));
        svc = await spawnService(serviceEnv(receiver, prepared.spoolDir));
        const turns = await chatTurns(svc.url, 20);
        assert.equal(turns.length, 20);
        assert.deepEqual(
          turns.filter((t) => t.status !== 200),
          [],
        );
        const m = await scrapeMetrics(svc.url);
        assert.equal(m.sum("switchboard_tracing_journal_available"), 0);
        const warnings = logLines(svc, /trace journal folder unusable/);
        assert.equal(warnings.length, 1, "one warning");
        assert.equal(warnings[0]!.level, 40, "a warning, not an error");
        assert.equal(warnings[0]!["dir"], prepared.spoolDir, "it names the folder");
        const perTurn = m.sum("switchboard_tracing_observations_created_total")! / turns.length;
        await allDelivered(receiver, turns, perTurn);
        assert.equal((await receiver.stats()).store.duplicateRows, 0);
        assert.equal(await svc.stop("SIGTERM"), 0);
      } finally {
        await svc?.stop("SIGKILL");
        await receiver?.stop();
        release?.();
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
}

test(
  "the disk fills up under the journal at run time: one warning, no crash, requests answered, traces delivered from memory, each once",
  { timeout: 120_000 },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), "spool-full-"));
    const spoolDir = join(dir, "spool");
    let receiver: SpawnedReceiver | undefined;
    let svc: SpawnedService | undefined;
    let next: SpawnedService | undefined;
    try {
      receiver = await spawnReceiver(await freePort(), join(dir, "receiver.db"));
      // Small batches, each written when it is sealed (with Langfuse answering, the default
      // write-behind journal would never touch the full disk): many journal writes.
      const env = serviceEnv(receiver, spoolDir, { LANGFUSE_MAX_BATCH_BYTES: "65536", LANGFUSE_JOURNAL_DELAY: "0" });
      svc = await spawnService({ ...env, ...journalFullEnv() });
      const warm = await chatTurns(svc.url, 5);
      const perTurn = (await scrapeMetrics(svc.url)).sum("switchboard_tracing_observations_created_total")! / 5;
      await allDelivered(receiver, warm, perTurn);
      assert.equal((await scrapeMetrics(svc.url)).sum("switchboard_tracing_journal_available"), 1);

      // Full while idle (everything so far delivered, the journal's file emptied and shrunk): the
      // next journal write is the next seal's.
      await fillJournalDisk(svc);
      const filler = "Where is my order? ".repeat(390);
      const load = startChatLoad(svc.url, { clients: 3, pauseMs: 0, maxTurns: 150, message: (n) => `${n} ${filler}` });
      await load.finished;
      const turns = [...warm, ...load.answered];
      assert.equal(load.answered.length, 150);
      assert.deepEqual(
        turns.filter((t) => t.status !== 200),
        [],
        "every request answered 200",
      );
      assert.equal(svc.child.exitCode, null, "the service is still running");
      assert.equal(svc.child.signalCode, null, "the service is still running");

      const m = await scrapeMetrics(svc.url);
      const warnings = logLines(svc, /trace journal write failed/);
      assert.equal(warnings.length, 1, "one warning");
      assert.equal(warnings[0]!.level, 40);
      assert.equal(m.sum("switchboard_tracing_journal_available"), 0);
      assert.equal(m.sum("switchboard_tracing_errors_total", { kind: "journal_write" }), 1);

      const rows = await allDelivered(receiver, turns, perTurn, 30_000);
      const stats = await receiver.stats();
      console.log(
        `disk full: ${turns.length} turns, ${stats.store.observations} rows, ${stats.store.duplicateRows} duplicate rows; errors ${JSON.stringify(m.byLabel("switchboard_tracing_errors_total", "kind"))}`,
      );
      assert.equal(rows.size, turns.length);
      assert.equal(stats.store.duplicateRows, 0, "each span once");
      assert.equal((await scrapeMetrics(svc.url)).sum("switchboard_tracing_spans_dropped_total"), 0, "nothing dropped");

      // Space again, and a restart on the same folder: what the journal held when it failed is
      // replayed; nothing already delivered may arrive a second time.
      assert.equal(await svc.stop("SIGTERM"), 0);
      next = await spawnService(env);
      await untilDrained(next.url, 30_000, "the next run to replay the journal");
      const after = await scrapeMetrics(next.url);
      const final = await receiver.stats();
      console.log(
        `disk full, restart: replayed ${after.sum("switchboard_tracing_journal_batches_replayed_total")} batches, re-sent ${after.sum("switchboard_tracing_spans_resent_total")} spans; receiver ${final.store.observations} rows, ${final.store.duplicateRows} duplicates`,
      );
      assert.equal(final.store.duplicateRows, 0, "the restart sent nothing Langfuse already had");
      assert.equal(final.store.observations, turns.length * perTurn);
    } finally {
      await svc?.stop("SIGKILL");
      await next?.stop("SIGKILL");
      await receiver?.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

/** Polls until the service has exited or `check` says it is done; the service may crash meanwhile. */
async function untilSettled(svc: SpawnedService, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  await waitFor(
    "the pipeline to settle",
    async () =>
      svc.child.exitCode !== null || svc.child.signalCode !== null || (await check().catch(() => false))
        ? true
        : undefined,
    timeoutMs,
    250,
  );
}

function crashReport(svc: SpawnedService): string {
  return `the service exited (code ${svc.child.exitCode}, signal ${svc.child.signalCode}):\n${svc.output().stderr.slice(-1500)}`;
}

// Both disk-full cases: a Langfuse that answers after 1 s, batches of at most 64 KiB. `fillDisk`
// holds the journal's database at its size (SQLITE_FULL on its next write that needs space);
// `restartWithRoom` stops the service gracefully and starts the next run, which has room, on the
// same journal.
interface FullDiskCase {
  receiver: SpawnedReceiver;
  svc: SpawnedService;
  fillDisk: () => Promise<void>;
  restartWithRoom: () => Promise<SpawnedService>;
}

const LONG_MESSAGE = "Where is my order? ".repeat(390);

async function onFillingDiskWithSlowLangfuse(name: string, body: (c: FullDiskCase) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), `${name}-`));
  const spoolDir = join(dir, "spool");
  let receiver: SpawnedReceiver | undefined;
  let svc: SpawnedService | undefined;
  let next: SpawnedService | undefined;
  try {
    receiver = await spawnReceiver(await freePort(), join(dir, "receiver.db"));
    await receiver.setFaults({ delayMs: 1000 });
    const env = serviceEnv(receiver, spoolDir, { LANGFUSE_MAX_BATCH_BYTES: "65536" });
    const first = (svc = await spawnService({ ...env, ...journalFullEnv() }));
    await body({
      receiver,
      svc: first,
      fillDisk: () => fillJournalDisk(first),
      restartWithRoom: async () => {
        assert.equal(await first.stop("SIGTERM"), 0);
        next = await spawnService(env);
        return next;
      },
    });
  } finally {
    await svc?.stop("SIGKILL");
    await next?.stop("SIGKILL");
    await receiver?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Duplicate rows are allowed only as counted re-sends (both runs' counters). */
async function assertDuplicatesCounted(
  receiver: SpawnedReceiver,
  firstRunResent: number,
  next: SpawnedService,
): Promise<{ resent: number; duplicateRows: number; stored: number }> {
  const resent = firstRunResent + (await scrapeMetrics(next.url)).sum("switchboard_tracing_spans_resent_total")!;
  const { store } = await receiver.stats();
  assert.ok(store.duplicateRows <= resent, `${store.duplicateRows} duplicate rows, only ${resent} counted re-sends`);
  return { resent, duplicateRows: store.duplicateRows, stored: store.observationIds };
}

test(
  "the disk fills up while batches are in flight to a slow Langfuse: no crash, none lost; what the full disk kept is delivered after a restart, any re-send counted",
  { timeout: 150_000 },
  () =>
    // The journal's first failed write (a new batch that needs space) retires it: new batches are
    // kept in memory and delivered now; what the journal holds stays there for the next start
    // (not copied to memory, which would send it twice); batches in flight settle against it. A
    // batch acknowledged once the journal is retired may still be in the file: the next start
    // sends it again, as a counted re-send (it was marked maybe-stored before it was sent).
    onFillingDiskWithSlowLangfuse("spool-full-inflight", async ({ receiver, svc, fillDisk, restartWithRoom }) => {
      const url = svc.url;
      const load = startChatLoad(url, {
        clients: 3,
        pauseMs: 0,
        maxTurns: 150,
        message: (n) => `${n} ${LONG_MESSAGE}`,
      });
      await waitFor(
        "batches in flight",
        async () =>
          (await scrapeMetrics(url)).sum("switchboard_tracing_export_attempts_total")! >= 2 ? true : undefined,
        20_000,
        50,
      );
      await fillDisk();
      await load.finished;
      const turns = [...load.answered];
      assert.equal(turns.length, 150, crashReport(svc));
      assert.deepEqual(
        turns.filter((t) => t.status !== 200),
        [],
        "every request answered 200",
      );
      await receiver.setFaults({ delayMs: 0 });
      // Settled: nothing in memory any more; what is left is held in the file.
      await untilSettled(
        svc,
        async () => (await scrapeMetrics(url)).sum("switchboard_tracing_queue_bytes") === 0,
        60_000,
      );
      assert.equal(svc.child.exitCode ?? svc.child.signalCode, null, crashReport(svc));
      assert.equal(logLines(svc, /trace journal write failed/).length, 1, "one warning");
      const first = await scrapeMetrics(url);
      const created = first.sum("switchboard_tracing_observations_created_total")!;
      assert.equal(first.sum("switchboard_tracing_spans_dropped_total"), 0, "nothing dropped");
      assert.equal((await receiver.stats()).store.duplicateRows, 0, "no duplicates while the disk is full");

      const next = await restartWithRoom();
      await untilDrained(next.url, 60_000, "the next run to replay the journal");
      await allDelivered(receiver, turns, created / turns.length);
      const final = await assertDuplicatesCounted(receiver, first.sum("switchboard_tracing_spans_resent_total")!, next);
      console.log(
        `disk full with batches in flight: ${created} spans created, ${final.stored} distinct stored, ${final.duplicateRows} duplicate rows, ${final.resent} counted re-sends`,
      );
      assert.equal(final.stored, created, "every span stored");
    }),
);

test(
  "the disk fills up while sealed batches wait for Langfuse: no crash, one warning, new traces delivered once Langfuse is back, the waiting ones after a restart, each once",
  { timeout: 150_000 },
  () =>
    // Batches wait in the journal while Langfuse refuses every export (503); then the disk fills.
    // Marking a batch before a send and removing one need no new space, so the first journal
    // write to fail is a new batch's. The journal is retired then: its batches wait for the next
    // start, unsent (never sent unmarked), and held; new batches go through memory.
    onFillingDiskWithSlowLangfuse("spool-full-waiting", async ({ receiver, svc, fillDisk, restartWithRoom }) => {
      const url = svc.url;
      const first = await chatTurns(url, 40, { message: (n) => `${n} ${LONG_MESSAGE}` });
      await sleep(1000); // the last seal
      await receiver.setFaults({ delayMs: 0, failStatus: 503, failRatio: 1 });
      // Sends started before the 503s are still answered, after the 1 s delay, as stored: each
      // removes its batch, and pages a removal frees take new batches even on a full disk. The
      // disk fills once none is in flight, so that nothing is delivered, or removed, after.
      await waitFor(
        "the sends started before the 503s to be answered",
        async () => {
          const m = await scrapeMetrics(url);
          const answered = m.sum("switchboard_tracing_export_duration_seconds_count");
          return answered === m.sum("switchboard_tracing_export_attempts_total") ? true : undefined;
        },
        20_000,
        100,
      );
      const waiting = (await scrapeMetrics(url)).sum("switchboard_tracing_journal_batches")!;
      assert.ok(waiting >= 4, `${waiting} batches waiting when the disk fills`);
      await fillDisk();
      // Turns until a new batch's journal write fails. A batch small enough for the room left in
      // the pages the file has is still journaled, as on a real full disk: it waits with the others.
      const second: AnsweredTurn[] = [];
      await waitFor(
        "a new batch to fail its journal write",
        async () => {
          if (logLines(svc, /trace journal write failed/).length > 0) return true;
          second.push(...(await chatTurns(url, 5, { message: (n) => `${n} ${LONG_MESSAGE}` })));
          return second.length >= 100 ? false : undefined;
        },
        60_000,
        250,
      ).then((failed) => assert.ok(failed, `no journal write failed in ${second.length} turns on a full disk`));
      // From now on new batches are kept in memory only.
      const third = await chatTurns(url, 20);
      await receiver.setFaults({ failRatio: 0 });
      const turns = [...first, ...second, ...third];
      assert.deepEqual(
        turns.filter((t) => t.status !== 200),
        [],
      );
      const perTurn = (await scrapeMetrics(url)).sum("switchboard_tracing_observations_created_total")! / turns.length;
      // The turns after the journal failed are delivered from memory in this run, once the
      // exporter's next probe finds Langfuse back (its back-off while Langfuse was down reaches
      // 30 s at most).
      await allDelivered(receiver, third, perTurn, 60_000);
      assert.equal(svc.child.exitCode ?? svc.child.signalCode, null, crashReport(svc));
      assert.equal(logLines(svc, /trace journal write failed/).length, 1, "one warning");
      const m = await scrapeMetrics(url);
      assert.equal(m.sum("switchboard_tracing_journal_available"), 0);
      assert.equal(m.sum("switchboard_tracing_spans_dropped_total"), 0, "nothing dropped: the rest is held");
      assert.ok(m.sum("switchboard_tracing_queue_spans")! > 0, "the batches on the full disk are held, and say so");

      const next = await restartWithRoom();
      await allDelivered(receiver, turns, perTurn, 60_000);
      await assertDuplicatesCounted(receiver, m.sum("switchboard_tracing_spans_resent_total")!, next);
    }),
);
