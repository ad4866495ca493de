// The background sweep's own behaviour, with stand-in targets: what it sweeps and with which
// cutoff, that a failing target is isolated, logged once and counted, that a sweep which deleted
// something is followed soon by another, and that stop() waits for a sweep in progress.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Registry } from "prom-client";
import { RetentionSweeper, type RetentionTarget } from "./retention-sweeper.js";

function logger() {
  const errors: string[] = [];
  return { errors, error: (_o: object, msg: string) => void errors.push(msg), debug() {} };
}

test("each target with a time-to-live is swept with its own cutoff and the budget; ttl 0 is never swept", async () => {
  const calls: [string, number, number][] = [];
  const target = (kind: string, ttlMs: number, deletes: number): RetentionTarget => ({
    kind,
    ttlMs,
    async sweep(cutoff, budget) {
      calls.push([kind, cutoff, budget]);
      return deletes;
    },
  });
  const registry = new Registry();
  const sweeper = new RetentionSweeper({
    targets: [target("sessions", 1000, 2), target("responses", 5000, 0), target("forever", 0, 9)],
    intervalMs: 60_000,
    budget: 7,
    logger: logger(),
    registry,
    now: () => 100_000,
  });
  assert.deepEqual(await sweeper.sweepOnce(), { sessions: 2, responses: 0 });
  assert.deepEqual(calls, [
    ["sessions", 99_000, 7],
    ["responses", 95_000, 7],
  ]);
  assert.match(await registry.metrics(), /switchboard_retention_deleted_total\{kind="sessions"\} 2/);
});

test("a failing target is logged once, counted every time, and does not stop the others", async () => {
  const log = logger();
  const registry = new Registry();
  let swept = 0;
  const sweeper = new RetentionSweeper({
    targets: [
      { kind: "sessions", ttlMs: 1, sweep: () => Promise.reject(new Error("database down")) },
      { kind: "responses", ttlMs: 1, sweep: async () => (swept++, 1) },
    ],
    intervalMs: 60_000,
    budget: 10,
    logger: log,
    registry,
  });
  assert.deepEqual(await sweeper.sweepOnce(), { responses: 1 });
  assert.deepEqual(await sweeper.sweepOnce(), { responses: 1 });
  assert.equal(swept, 2);
  assert.equal(log.errors.length, 1);
  assert.match(await registry.metrics(), /switchboard_retention_errors_total\{kind="sessions"\} 2/);
});

test("runs on its timer, catches up while it deletes, and stop() waits for the sweep in progress", async () => {
  const times: number[] = [];
  let left = 2;
  let release!: () => void;
  let inProgress = false;
  const sweeper = new RetentionSweeper({
    targets: [
      {
        kind: "sessions",
        ttlMs: 1,
        async sweep() {
          times.push(Date.now());
          if (left > 0) return (left--, 1);
          inProgress = true;
          await new Promise<void>((r) => (release = r));
          inProgress = false;
          return 0;
        },
      },
    ],
    intervalMs: 150,
    budget: 10,
    logger: logger(),
    registry: new Registry(),
  });
  const started = Date.now();
  sweeper.start();
  while (!inProgress) await new Promise((r) => setTimeout(r, 20));
  // First sweep after the interval; the two after it (each after a sweep that deleted) a second apart.
  assert.equal(times.length, 3);
  assert.ok(times[0]! - started >= 140, `first sweep after ${times[0]! - started} ms`);
  assert.ok(times[1]! - times[0]! >= 900 && times[2]! - times[1]! >= 900);
  let stopped = false;
  const stopping = sweeper.stop().then(() => (stopped = true));
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(stopped, false, "stop() returned while a sweep was running");
  release();
  await stopping;
  await new Promise((r) => setTimeout(r, 250));
  assert.equal(times.length, 3, "swept after stop()");
});

test("with no time-to-live set, start() schedules nothing", async () => {
  let swept = 0;
  const sweeper = new RetentionSweeper({
    targets: [{ kind: "sessions", ttlMs: 0, sweep: async () => ++swept }],
    intervalMs: 100,
    budget: 10,
    logger: logger(),
    registry: new Registry(),
  });
  sweeper.start();
  await new Promise((r) => setTimeout(r, 250));
  await sweeper.stop();
  assert.equal(swept, 0);
});
