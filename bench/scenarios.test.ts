import { test } from "node:test";
import assert from "node:assert/strict";
import { planRuns, SCENARIO_NAMES, PROFILE_NAMES } from "./scenarios.js";
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
  const runs = planFor(parseCliOptions([]));
  const rep1 = runs.filter((r) => r.repetition === 1);
  const cells = (profile: string, c: number) =>
    rep1.filter((r) => r.profile === profile && r.connections === c).map((r) => r.scenario);
  assert.deepEqual(cells("instant", 16), [...SCENARIO_NAMES]);
  assert.deepEqual(cells("instant", 1), ["off", "naive", "sdk-defaults", "optimized"]);
  assert.deepEqual(cells("realistic", 64), [...SCENARIO_NAMES]);
  assert.deepEqual(cells("realistic", 256), ["off", "naive", "sdk-defaults", "optimized"]);
  assert.equal(new Set(runs.map((r) => r.repetition)).size, 3);
});

test("--quick: every scenario once per profile at one connection count", () => {
  const runs = planFor(parseCliOptions(["--quick"]));
  assert.equal(runs.length, SCENARIO_NAMES.length * PROFILE_NAMES.length);
  assert.deepEqual([...new Set(runs.map((r) => `${r.profile}@${r.connections}`))], ["instant@16", "realistic@64"]);
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
