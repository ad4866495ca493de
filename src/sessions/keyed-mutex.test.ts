import { test } from "node:test";
import assert from "node:assert/strict";
import { KeyedMutex } from "./keyed-mutex.js";

const tick = () => new Promise((r) => setImmediate(r));

test("work on one key runs one at a time, in arrival order; other keys run concurrently", async () => {
  const mutex = new KeyedMutex();
  const log: string[] = [];
  const job = (key: string, id: string) =>
    mutex.run(key, async () => {
      log.push(`start ${id}`);
      await tick();
      await tick();
      log.push(`end ${id}`);
      return id;
    });
  const results = await Promise.all([job("a", "a1"), job("a", "a2"), job("b", "b1"), job("a", "a3")]);
  assert.deepEqual(results, ["a1", "a2", "b1", "a3"]);
  const a = log.filter((l) => l.includes(" a"));
  assert.deepEqual(a, ["start a1", "end a1", "start a2", "end a2", "start a3", "end a3"]);
  assert.ok(log.indexOf("start b1") < log.indexOf("end a1"), "key b did not wait for key a");
  assert.equal(mutex.size, 0, "no entries are kept once idle");
});

test("a failing job releases the key", async () => {
  const mutex = new KeyedMutex();
  await assert.rejects(mutex.run("k", async () => Promise.reject(new Error("boom"))), /boom/);
  assert.equal(await mutex.run("k", async () => 42), 42);
  assert.equal(mutex.size, 0);
});
