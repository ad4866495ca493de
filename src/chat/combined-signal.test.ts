import { test } from "node:test";
import assert from "node:assert/strict";
import { stillReachable } from "../../test/support/reachability.js";
import { combineSignals } from "./combined-signal.js";

test("aborts with the reason of the first source that aborts, and only once", () => {
  const [a, b] = [new AbortController(), new AbortController()];
  const combined = combineSignals([a.signal, b.signal]);
  let events = 0;
  combined.signal.addEventListener("abort", () => events++);
  const reason = new Error("b first");
  b.abort(reason);
  a.abort(new Error("a later"));
  assert.equal(combined.signal.aborted, true);
  assert.equal(combined.signal.reason, reason);
  assert.equal(events, 1);
});

test("a source aborted already aborts it at once, with that source's reason", () => {
  const a = new AbortController();
  const reason = new Error("gone before");
  a.abort(reason);
  const combined = combineSignals([new AbortController().signal, a.signal]);
  assert.equal(combined.signal.aborted, true);
  assert.equal(combined.signal.reason, reason);
});

test("once disposed, a source that aborts leaves it alone", () => {
  const a = new AbortController();
  const combined = combineSignals([a.signal]);
  combined.dispose();
  a.abort();
  assert.equal(combined.signal.aborted, false);
});

test("a combined signal with an abort listener no one removes is collected with its turn", async () => {
  // What LangGraph's stream() does to the signal of every run: adds a listener, never removes it.
  // A signal of AbortSignal.any would stay reachable from then on (see combined-signal.ts).
  const sourcesKept: AbortController[] = [];
  const turn = (keepSource: boolean): WeakRef<AbortSignal> => {
    const [client, deadline] = [new AbortController(), new AbortController()];
    const { signal, dispose } = combineSignals([client.signal, deadline.signal]);
    signal.addEventListener("abort", () => {}, { once: true });
    dispose();
    if (keepSource) sourcesKept.push(client); // a source that outlives the turn does not hold it
    return new WeakRef(signal);
  };
  const refs = Array.from({ length: 50 }, (_, i) => turn(i % 10 === 0));
  assert.equal(await stillReachable(refs), 0);
  assert.equal(sourcesKept.length, 5);
});
