import { test } from "node:test";
import assert from "node:assert/strict";
import {
  pairedWindows,
  planSuite,
  plannedMeasurements,
  roundOrder,
  warmupSlices,
  WARMUP_SLICE_SECONDS,
  type PairedCell,
} from "./paired-plan.js";
import { PROFILES, type ScenarioName } from "./scenarios.js";

test("each round starts at the next scenario, and over n rounds (2n when n is odd) every scenario follows every other one equally often", () => {
  for (let n = 1; n <= 7; n++) {
    const rounds = n % 2 === 0 ? n : 2 * n;
    const follows = new Map<string, number>();
    for (let round = 1; round <= rounds; round++) {
      const order = roundOrder(n, round);
      assert.deepEqual(
        [...order].sort((a, b) => a - b),
        Array.from({ length: n }, (_, i) => i),
        `n=${n} round ${round} is a permutation`,
      );
      assert.equal(order[0], (round - 1) % n, `n=${n} round ${round} starts at scenario ${(round - 1) % n}`);
      for (let i = 1; i < n; i++)
        follows.set(`${order[i - 1]}>${order[i]}`, (follows.get(`${order[i - 1]}>${order[i]}`) ?? 0) + 1);
    }
    assert.equal(follows.size, n * (n - 1), `n=${n}: every ordered pair occurs`);
    assert.equal(new Set(follows.values()).size <= 1, true, `n=${n}: equally often`);
  }
});

test("with the default 6 rounds no scenario of a 4- or 5-scenario cell always follows the same one", () => {
  for (const n of [4, 5]) {
    for (let s = 0; s < n; s++) {
      const predecessors = new Set<number | null>();
      for (let round = 1; round <= 6; round++) {
        const order = roundOrder(n, round);
        const at = order.indexOf(s);
        predecessors.add(at === 0 ? null : order[at - 1]!);
      }
      assert.ok(predecessors.size > 1, `n=${n}: scenario ${s} always follows the same one`);
    }
  }
});

const cell: PairedCell = {
  profile: "instant",
  connections: 16,
  group: "ours",
  scenarios: ["off", "optimized", "spans-off", "every-turn"],
  rounds: 2,
  generations: 1,
  warmup: 4,
  leadIn: 0.5,
  duration: 4,
};

test("a paired cell's windows: every scenario once per round, in the round's order, the round as repetition", () => {
  const windows = pairedWindows(cell);
  assert.deepEqual(
    windows.map((w) => `${w.repetition}.${w.positionInRound}:${w.scenario}`),
    [
      "1.1:off",
      "1.2:optimized",
      "1.3:every-turn",
      "1.4:spans-off",
      "2.1:optimized",
      "2.2:spans-off",
      "2.3:off",
      "2.4:every-turn",
    ],
  );
  for (const w of windows) {
    assert.equal(w.duration, 4);
    // A window's own warm-up is the lead-in: the process was warmed up once, before round 1.
    assert.equal(w.warmup, 0.5);
    assert.equal(`${w.profile}@${w.connections}`, "instant@16");
    assert.equal(w.group, "ours");
  }
});

test("a cell's rounds split over its generations: consecutive rounds share a set of processes, numbering goes on", () => {
  const generationOf = (rounds: number, generations: number) => [
    ...new Set(pairedWindows({ ...cell, rounds, generations }).map((w) => `${w.repetition}:${w.generation}`)),
  ];
  assert.deepEqual(generationOf(6, 3), ["1:1", "2:1", "3:2", "4:2", "5:3", "6:3"]);
  // More generations than rounds: one round per set; an uneven split leaves the last set fewer.
  assert.deepEqual(generationOf(2, 3), ["1:1", "2:2"]);
  assert.deepEqual(generationOf(5, 2), ["1:1", "2:1", "3:1", "4:2", "5:2"]);
  assert.deepEqual(generationOf(3, 1), ["1:1", "2:1", "3:1"]);
});

test("every cell is split over the profile's fresh sets of processes, never into more sets than rounds", () => {
  const cells = (repeat: number) =>
    planSuite({ profiles: ["instant"], scenarios: ["off", "optimized"], repeat, degradedRepeat: 1 }).flatMap((s) =>
      s.kind === "paired" ? [`${s.cell.connections}:${s.cell.generations}`] : [],
    );
  assert.deepEqual(
    cells(6),
    PROFILES.instant.connections.map((c) => `${c}:${PROFILES.instant.generations}`),
  );
  assert.ok(PROFILES.instant.generations > 1);
  assert.ok(cells(1).every((c) => c.endsWith(":1")));
});

test("the suite: paired cells of the non-degraded scenarios first, then the degraded scenarios' fresh runs with a fresh off", () => {
  const steps = planSuite({
    profiles: ["instant"],
    scenarios: ["off", "optimized", "hung"],
    repeat: 4,
    degradedRepeat: 2,
    connections: [16],
  });
  assert.deepEqual(
    steps.map((s) =>
      s.kind === "paired"
        ? `paired ${s.cell.scenarios.join(",")} x${s.cell.rounds}`
        : `fresh ${s.run.repetition}:${s.run.scenario}`,
    ),
    ["paired off,optimized x4", "fresh 1:off", "fresh 1:hung", "fresh 2:off", "fresh 2:hung"],
  );
  assert.equal(plannedMeasurements(steps).length, 4 * 2 + 4);
});

test("the peers (naive, sdk-defaults) get a paired cell of their own with an `off` of their own, after ours", () => {
  const steps = planSuite({
    profiles: ["instant"],
    scenarios: ["off", "naive", "sdk-defaults", "optimized", "spans-off", "every-turn", "down"],
    repeat: 2,
    degradedRepeat: 1,
  });
  const paired = steps.flatMap((s) =>
    s.kind === "paired" ? [`${s.cell.connections} ${s.cell.group}: ${s.cell.scenarios.join(",")}`] : [],
  );
  assert.deepEqual(paired, [
    "1 ours: off,optimized",
    "1 peers: off,naive,sdk-defaults",
    "16 ours: off,optimized,spans-off,every-turn",
    "16 peers: off,naive,sdk-defaults",
    "64 ours: off,optimized",
    "64 peers: off,naive,sdk-defaults",
  ]);
  for (const step of steps)
    if (step.kind === "paired") assert.ok(pairedWindows(step.cell).every((w) => w.group === step.cell.group));
  // Only the peers asked for: their cell alone; only ours: no peers' cell.
  const cellsAt1 = (scenario: ScenarioName) =>
    planSuite({ profiles: ["instant"], scenarios: [scenario], repeat: 1, degradedRepeat: 1, connections: [1] }).map(
      (s) => (s.kind === "paired" ? `${s.cell.group}: ${s.cell.scenarios.join(",")}` : "fresh"),
    );
  assert.deepEqual(cellsAt1("naive"), ["peers: off,naive"]);
  assert.deepEqual(cellsAt1("optimized"), ["ours: off,optimized"]);
});

test("a degraded-only selection gets no paired cell; `off` alone is measured when it is all that was asked", () => {
  const degradedOnly = planSuite({ profiles: ["instant"], scenarios: ["down"], repeat: 3, degradedRepeat: 1 });
  assert.deepEqual(
    degradedOnly.map((s) => (s.kind === "fresh" ? `${s.run.connections}:${s.run.scenario}` : "paired")),
    ["16:off", "16:down"],
  );
  const offOnly = planSuite({
    profiles: ["instant"],
    scenarios: ["off"],
    repeat: 2,
    degradedRepeat: 1,
    connections: [1],
  });
  assert.deepEqual(
    offOnly.map((s) => (s.kind === "paired" ? s.cell.scenarios : s.run.scenario)),
    [["off"]],
  );
});

test("--warmup and --duration override the warm process's warm-up and the window, the profile's otherwise", () => {
  const [byProfile] = planSuite({
    profiles: ["realistic"],
    scenarios: ["off", "optimized"],
    repeat: 1,
    degradedRepeat: 1,
  });
  assert.ok(byProfile?.kind === "paired");
  assert.equal(byProfile.cell.warmup, PROFILES.realistic.processWarmup);
  assert.equal(byProfile.cell.duration, PROFILES.realistic.window);
  const [given] = planSuite({
    profiles: ["realistic"],
    scenarios: ["off", "optimized"],
    repeat: 1,
    degradedRepeat: 1,
    warmup: 7,
    duration: 5,
  });
  assert.ok(given?.kind === "paired");
  assert.equal(given.cell.warmup, 7);
  assert.equal(given.cell.duration, 5);
});

test("a warm process's warm-up is taken in pieces of about WARMUP_SLICE_SECONDS, at least one", () => {
  assert.equal(warmupSlices({ warmup: 6 * WARMUP_SLICE_SECONDS }), 6);
  assert.equal(warmupSlices({ warmup: 2.4 * WARMUP_SLICE_SECONDS }), 2);
  assert.equal(warmupSlices({ warmup: 1 }), 1);
  assert.equal(warmupSlices({ warmup: 0 }), 1);
});
