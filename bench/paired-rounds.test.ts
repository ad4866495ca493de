import { test } from "node:test";
import assert from "node:assert/strict";
import { setImmediate as tick } from "node:timers/promises";
import { measureRounds, type WindowSteps } from "./paired-rounds.js";
import { pairedWindows, type PlannedWindow } from "./paired-plan.js";
import type { RunResult } from "./result-schema.js";

const windows = pairedWindows({
  profile: "instant",
  connections: 16,
  group: "ours",
  scenarios: ["off", "optimized", "spans-off"],
  rounds: 2,
  generations: 1,
  warmup: 4,
  leadIn: 0.5,
  duration: 4,
});
const label = (w: PlannedWindow) => `${w.repetition}:${w.scenario}`;
const result = (w: PlannedWindow, ok: boolean): RunResult =>
  ({ repetition: w.repetition, scenario: w.scenario, ok }) as RunResult;

/** Steps whose drains end only when the test says so. */
function controlledSteps(failLoadOf?: string) {
  const log: string[] = [];
  const pendingDrains: (() => void)[] = [];
  const steps: WindowSteps<string> = {
    async load(w) {
      log.push(`load ${label(w)}`);
      await tick();
      if (label(w) === failLoadOf) throw new Error("service exited");
      return label(w);
    },
    drain(w, loaded) {
      assert.equal(loaded, label(w));
      log.push(`drain ${label(w)}`);
      return new Promise((resolve) =>
        pendingDrains.push(() => {
          log.push(`drained ${label(w)}`);
          resolve(result(w, true));
        }),
      );
    },
    failed(w, err) {
      log.push(`failed ${label(w)}: ${(err as Error).message}`);
      return result(w, false);
    },
  };
  return { log, pendingDrains, steps };
}

test("the next window opens only after the previous one's service drained", async () => {
  const { log, pendingDrains, steps } = controlledSteps();
  const done = measureRounds(windows, steps, { aborted: () => false });
  for (let i = 0; i < windows.length; i++) {
    while (pendingDrains.length === 0) await tick();
    // However long the drain takes, nothing else is loaded meanwhile.
    for (let j = 0; j < 5; j++) await tick();
    assert.equal(log.at(-1), `drain ${label(windows[i]!)}`);
    pendingDrains.shift()!();
  }
  const runs = await done;
  assert.deepEqual(
    log,
    windows.flatMap((w) => [`load ${label(w)}`, `drain ${label(w)}`, `drained ${label(w)}`]),
  );
  assert.deepEqual(
    runs.map((r) => `${r.repetition}:${r.scenario}`),
    windows.map(label),
  );
});

test("a window whose load fails is recorded as failed and the rounds go on", async () => {
  const { log, pendingDrains, steps } = controlledSteps("1:optimized");
  const done = measureRounds(windows, steps, { aborted: () => false });
  let settled = false;
  void done.then(() => (settled = true));
  while (!settled) {
    if (pendingDrains.length > 0) pendingDrains.shift()!();
    await tick();
  }
  const runs = await done;
  assert.deepEqual(
    runs.map((r) => `${r.repetition}:${r.scenario}:${r.ok}`),
    windows.map((w) => `${label(w)}:${label(w) !== "1:optimized"}`),
  );
  assert.ok(log.includes("failed 1:optimized: service exited"));
  assert.ok(!log.includes("drain 1:optimized"));
});

test("Ctrl-C ends the rounds before the next window", async () => {
  const { pendingDrains, steps } = controlledSteps();
  let aborted = false;
  const done = measureRounds(windows, steps, { aborted: () => aborted });
  while (pendingDrains.length === 0) await tick();
  aborted = true;
  pendingDrains.shift()!();
  const runs = await done;
  assert.deepEqual(
    runs.map((r) => `${r.repetition}:${r.scenario}`),
    [label(windows[0]!)],
  );
});
