// Wrong Langfuse keys, then fixed: the receiver checks Basic auth as Langfuse does (401), the
// service keeps answering, says once and clearly which variables to check, counts it on /metrics,
// and holds every span in its journal; restarted with the right key on the same
// LANGFUSE_JOURNAL_DIR it delivers all of them, each once.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startChatLoad, type AnsweredTurn } from "./support/chat-load.js";
import { rowsByTrace } from "./support/receiver-rows.js";
import { scrapeMetrics, untilDrained } from "./support/service-metrics.js";
import { freePort, spawnReceiver, type SpawnedReceiver } from "./support/spawn-receiver.js";
import { spawnService, type SpawnedService } from "./support/spawn-service.js";
import { waitFor } from "./support/tracing-helpers.js";
import { DEV_KEY_PAIR } from "../src/receiver/basic-auth.js";

const WRONG_SECRET = "sk-lf-this-is-not-the-key";

test(
  "wrong LANGFUSE_SECRET_KEY: requests answered, one error naming the variables, spans held; the right key on the same spool delivers each once",
  { timeout: 120_000 },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), "wrong-keys-"));
    const port = await freePort();
    const receiverUrl = `http://127.0.0.1:${port}`;
    const env = (secretKey: string) => ({
      SESSION_STORE: "memory",
      SIM_TTFT_MS: "0",
      SIM_TOKEN_MS: "0",
      LANGFUSE_BASE_URL: receiverUrl,
      LANGFUSE_PUBLIC_KEY: DEV_KEY_PAIR.publicKey,
      LANGFUSE_SECRET_KEY: secretKey,
      LANGFUSE_JOURNAL_DIR: join(dir, "spool"),
      LANGFUSE_SHUTDOWN_TIMEOUT: "2",
    });
    let receiver: SpawnedReceiver | undefined;
    let wrong: SpawnedService | undefined;
    let right: SpawnedService | undefined;
    try {
      receiver = await spawnReceiver(port, join(dir, "receiver.db"));
      wrong = await spawnService(env(WRONG_SECRET));
      const svc = wrong;
      // Two bursts with a pause between them: the second goes through a pipeline that already
      // knows the keys are refused.
      const turns: AnsweredTurn[] = [];
      for (const burst of [1, 2]) {
        const load = startChatLoad(svc.url, { clients: 3, pauseMs: 5, maxTurns: 40, userId: `keys-${burst}` });
        await load.finished;
        assert.deepEqual(load.unanswered, []);
        turns.push(...load.answered);
        if (burst === 1)
          await waitFor(
            "the first 401",
            async () =>
              (await scrapeMetrics(svc.url)).sum("switchboard_tracing_auth_failures_total")! > 0 ? true : undefined,
            15_000,
            100,
          );
      }
      assert.deepEqual(
        turns.map((t) => t.status).filter((s) => s !== 200),
        [],
        "every request answered 200",
      );
      assert.equal(turns.length, 80);

      // Every span sealed into the journal (none in memory, none dropped) before judging.
      const created = (await scrapeMetrics(svc.url)).sum("switchboard_tracing_observations_created_total")!;
      assert.equal(created % turns.length, 0, `${created} observations for ${turns.length} turns`);
      await waitFor(
        "every span to be sealed into the journal",
        async () => {
          const m = await scrapeMetrics(svc.url);
          return m.sum("switchboard_tracing_queue_spans") === created &&
            m.sum("switchboard_tracing_journal_batches")! > 0
            ? m
            : undefined;
        },
        15_000,
        100,
      );
      const m = await scrapeMetrics(svc.url);
      assert.equal(m.sum("switchboard_tracing_backend_state"), 2, "backend state: credentials refused");
      assert.ok(m.sum("switchboard_tracing_auth_failures_total")! > 0);
      assert.equal(m.sum("switchboard_tracing_spans_dropped_total"), 0, "nothing dropped");
      assert.equal(m.sum("switchboard_tracing_spans_exported_total"), 0);
      const stats = await receiver.stats();
      assert.equal(stats.store.observations, 0, "the receiver stored nothing under the wrong key");
      assert.ok((stats.requests.byStatus["401"] ?? 0) > 0, "the receiver answered 401");
      // The wrong key is probed rarely (every 5 minutes), not hammered per batch.
      assert.ok(stats.requests.total <= 3, `${stats.requests.total} export requests with a wrong key`);

      const log = svc.output().stdout + svc.output().stderr;
      const errors = log.split("\n").filter((l) => /refused the credentials/.test(l));
      assert.equal(errors.length, 1, `one error line about the keys, got:\n${errors.join("\n")}`);
      const line = JSON.parse(errors[0]!) as { level: number; msg: string };
      assert.equal(line.level, 50, "logged as an error");
      for (const name of ["LANGFUSE_PUBLIC_KEY", "LANGFUSE_SECRET_KEY", "LANGFUSE_BASE_URL"])
        assert.match(line.msg, new RegExp(name));
      assert.ok(!log.includes(WRONG_SECRET), "the secret key itself is never logged");

      assert.equal(await svc.stop("SIGTERM"), 0, "a clean shutdown with spans held");

      // Fixed: the right key, the same spool.
      right = await spawnService(env(DEV_KEY_PAIR.secretKey));
      await untilDrained(right!.url, 60_000, "the journal to replay into the receiver");
      const delivered = await receiver.stats();
      assert.equal(delivered.store.observations, created, "every span created under the wrong key is delivered");
      assert.equal(delivered.store.duplicateRows, 0, "each once");
      const rows = await rowsByTrace(receiver.url);
      const perTurn = created / turns.length;
      const incomplete = turns.filter((t) => rows.get(t.traceId!)?.ids.size !== perTurn);
      assert.deepEqual(incomplete, [], "every turn's trace is whole");
      const after = await scrapeMetrics(right.url);
      assert.equal(after.sum("switchboard_tracing_backend_state"), 0);
      assert.equal(after.sum("switchboard_tracing_spans_dropped_total"), 0);
      assert.equal(after.sum("switchboard_tracing_spans_exported_total"), created);
    } finally {
      await wrong?.stop("SIGKILL");
      await right?.stop("SIGKILL");
      await receiver?.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
