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
  await assert.rejects(
    mutex.run("k", async () => Promise.reject(new Error("boom"))),
    /boom/,
  );
  assert.equal(await mutex.run("k", async () => 42), 42);
  assert.equal(mutex.size, 0);
});

test("a job that gives up waiting never runs, rejects with the abort reason, and keeps the line in order", async () => {
  const mutex = new KeyedMutex();
  const log: string[] = [];
  let finishFirst!: () => void;
  const first = mutex.run("k", () => new Promise<void>((r) => (finishFirst = () => (log.push("first"), r()))));
  const controller = new AbortController();
  const quitter = mutex.run("k", async () => void log.push("quitter"), controller.signal);
  const third = mutex.run("k", async () => void log.push("third"));
  controller.abort(new Error("client left"));
  await assert.rejects(quitter, /client left/);
  assert.deepEqual(log, [], "nothing ran out of turn");
  await tick();
  finishFirst();
  await Promise.all([first, third]);
  assert.deepEqual(log, ["first", "third"]);
  assert.equal(mutex.size, 0);
});

test("an already aborted signal rejects at once; an idle key runs at once despite a signal", async () => {
  const mutex = new KeyedMutex();
  await assert.rejects(
    mutex.run("k", async () => 1, AbortSignal.abort(new Error("gone"))),
    /gone/,
  );
  assert.equal(mutex.size, 0);
  assert.equal(await mutex.run("k", async () => 2, new AbortController().signal), 2);
  assert.equal(mutex.size, 0);
});
