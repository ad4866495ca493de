import { test } from "node:test";
import assert from "node:assert/strict";
import { planRuns, SCENARIO_NAMES, SCENARIOS, PROFILE_NAMES } from "./scenarios.js";
import { plannedMeasurements } from "./paired-plan.js";
import { splitConnections } from "./load.js";
import { ConversationSource, MESSAGES } from "./messages.js";
import { planFor } from "./suite.js";
import { parseCliOptions } from "./cli-options.js";
import { SESSION_ID_PATTERN } from "../src/chat/session-id.js";

test("repetitions are interleaved and off leads every cell", () => {
  const runs = planRuns({ profiles: ["instant"], scenarios: ["optimized", "off"], repeat: 2, connections: [1, 16] });
  assert.deepEqual(
    runs.map((r) => `${r.repetition}:${r.connections}:${r.scenario}`),
    [
      "1:1:off",
      "1:1:optimized",
      "1:16:off",
      "1:16:optimized",
      "2:1:off",
      "2:1:optimized",
      "2:16:off",
      "2:16:optimized",
    ],
  );
});

test("the default suite runs spans-off and degraded scenarios only at the focus connection count", () => {
  const options = parseCliOptions([]);
  const steps = planFor(options);
  const paired = (profile: string, c: number) =>
    steps.flatMap((s) =>
      s.kind === "paired" && s.cell.profile === profile && s.cell.connections === c ? [s.cell] : [],
    );
  const fresh = (profile: string, c: number) =>
    steps.flatMap((s) =>
      s.kind === "fresh" && s.run.profile === profile && s.run.connections === c && s.run.repetition === 1
        ? [s.run.scenario]
        : [],
    );
  const ours = SCENARIO_NAMES.filter((s) => !SCENARIOS[s].degraded && !SCENARIOS[s].peer);
  const peers = ["off", ...SCENARIO_NAMES.filter((s) => SCENARIOS[s].peer)];
  const degraded = SCENARIO_NAMES.filter((s) => SCENARIOS[s].degraded);
  const scenariosOf = (profile: string, c: number) => paired(profile, c).map((cell) => cell.scenarios);
  assert.deepEqual(peers, ["off", "naive", "sdk-defaults"]);
  assert.deepEqual(scenariosOf("instant", 16), [ours, peers]);
  assert.deepEqual(scenariosOf("instant", 1), [["off", "optimized"], peers]);
  assert.deepEqual(scenariosOf("realistic", 64), [ours, peers]);
  assert.deepEqual(scenariosOf("realistic", 512), [["off", "optimized"], peers]);
  assert.deepEqual(fresh("instant", 16), ["off", ...degraded]);
  assert.deepEqual(fresh("realistic", 64), ["off", ...degraded]);
  assert.deepEqual(fresh("instant", 1), []);
  assert.deepEqual(fresh("realistic", 512), []);
  const runs = plannedMeasurements(steps);
  const rounds = (pick: (degraded: boolean) => boolean) =>
    new Set(runs.filter((r) => pick(SCENARIOS[r.scenario].degraded)).map((r) => r.repetition)).size;
  assert.equal(
    rounds((d) => !d),
    options.repeat,
  );
  assert.equal(
    rounds((d) => d),
    3,
  );
});

test("--quick: every scenario at one connection count per profile, two rounds, one degraded repetition", () => {
  const steps = planFor(parseCliOptions(["--quick"]));
  const runs = plannedMeasurements(steps);
  assert.deepEqual([...new Set(runs.map((r) => `${r.profile}@${r.connections}`))], ["instant@16", "realistic@64"]);
  for (const profile of PROFILE_NAMES) {
    const cells = steps.flatMap((s) => (s.kind === "paired" && s.cell.profile === profile ? [s.cell] : []));
    assert.deepEqual(
      cells.map((c) => `${c.group} x${c.rounds}`),
      ["ours x2", "peers x2"],
    );
    const fresh = steps.flatMap((s) => (s.kind === "fresh" && s.run.profile === profile ? [s.run] : []));
    assert.deepEqual(
      fresh.map((r) => `${r.repetition}:${r.scenario}`),
      ["1:off", "1:slow", "1:hung", "1:down", "1:flaky"],
    );
  }
  // Per profile: four scenarios of ours and three of the peers' (off twice) in two rounds, then five fresh runs.
  assert.equal(runs.length, 2 * ((4 + 3) * 2 + 5));
});

test("a degraded-only selection still gets its baseline, and cells without the scenario are skipped", () => {
  const runs = planRuns({ profiles: ["instant"], scenarios: ["hung"], repeat: 1 });
  assert.deepEqual(
    runs.map((r) => `${r.connections}:${r.scenario}`),
    ["16:off", "16:hung"],
  );
});

test("connections are split into near-equal groups", () => {
  assert.deepEqual(splitConnections(1, 32), [1]);
  assert.deepEqual(splitConnections(10, 4), [3, 3, 2, 2]);
  assert.equal(
    splitConnections(256, 32).reduce((a, b) => a + b, 0),
    256,
  );
});

test("conversations are deterministic, valid and renew their session", () => {
  const a = new ConversationSource(3, "t", { users: 256, turnsPerSession: 2 });
  const b = new ConversationSource(3, "t", { users: 256, turnsPerSession: 2 });
  const bodies = Array.from(
    { length: 5 },
    () => JSON.parse(a.next()) as { message: string; user_id: string; session_id: string },
  );
  assert.deepEqual(
    bodies.map((x) => JSON.stringify(x)),
    Array.from({ length: 5 }, () => b.next()),
  );
  assert.deepEqual(
    bodies.map((x) => x.session_id),
    ["bench-t-c3-s0", "bench-t-c3-s0", "bench-t-c3-s1", "bench-t-c3-s1", "bench-t-c3-s2"],
  );
  for (const body of bodies) {
    assert.match(body.user_id, SESSION_ID_PATTERN);
    assert.match(body.session_id, SESSION_ID_PATTERN);
  }
  assert.ok(MESSAGES.some((m) => /[\u4e00-\u9fff]/.test(m)));
  assert.ok(MESSAGES.some((m) => Buffer.byteLength(m) > 1500));
});
