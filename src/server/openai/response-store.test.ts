import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PostgresResponseStore } from "./postgres-response-store.js";
import { MemoryResponseStore, type ResponseStore, type StoredResponse } from "./response-store.js";
import { SqliteResponseStore } from "./sqlite-response-store.js";
import { startPostgres, type PostgresServer } from "../../../test/support/postgres-server.js";

const dir = mkdtempSync(join(tmpdir(), "sb-response-store-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const unique = () => `resp_${Math.random().toString(16).slice(2)}${Date.now().toString(16)}`;

function response(fields: Partial<StoredResponse> = {}): StoredResponse {
  return {
    id: unique(),
    tenant: "key-a",
    sessionId: "openai:alice",
    userId: "alice",
    previousResponseId: null,
    body: { object: "response", output_text: "hi" },
    ...fields,
  };
}

// A throwaway PostgreSQL of this file's own (test/support/postgres-server.ts provisions it).
let postgres: PostgresServer;
before(async () => {
  postgres = await startPostgres();
});
after(() => postgres?.stop());

const stores: [string, () => ResponseStore][] = [
  ["memory", () => new MemoryResponseStore()],
  ["sqlite", () => new SqliteResponseStore(join(dir, `responses-${Math.random()}.db`))],
  ["postgres", () => new PostgresResponseStore(postgres.url)],
];

for (const [kind, create] of stores) {
  describe(`${kind} response store`, () => {
    it("gives a response back to its tenant only", async () => {
      const store = create();
      try {
        const saved = response({ body: { nested: { list: [1, "two", null] } } });
        await store.save(saved);
        assert.deepEqual(await store.get(saved.id, "key-a"), saved);
        assert.equal(await store.get(saved.id, "key-b"), null);
        assert.equal(await store.get(saved.id, ""), null);
        assert.equal(await store.get("resp_missing", "key-a"), null);
      } finally {
        await store.close();
      }
    });

    it("keeps any user string (spaces, emoji, quotes, NUL) exactly", async () => {
      const store = create();
      try {
        for (const userId of ["a b", "José 🚀", 'q"uote\\', "nul\u0000inside", "用户"]) {
          const saved = response({ userId, body: { user: userId } });
          await store.save(saved);
          const got = await store.get(saved.id, saved.tenant);
          assert.equal(got?.userId, userId);
          assert.deepEqual(got?.body, { user: userId });
        }
      } finally {
        await store.close();
      }
    });

    it("finds the response that continued another", async () => {
      const store = create();
      try {
        const first = response();
        await store.save(first);
        assert.equal(await store.continuationOf(first.id), null);
        const second = response({ previousResponseId: first.id });
        await store.save(second);
        assert.equal(await store.continuationOf(first.id), second.id);
        assert.equal(await store.continuationOf(second.id), null);
      } finally {
        await store.close();
      }
    });
  });
}

describe("sqlite response store", () => {
  it("keeps responses across reopening the file, beside other tables", async () => {
    const path = join(dir, "shared.db");
    const saved = response();
    const first = new SqliteResponseStore(path);
    await first.save(saved);
    await first.close();
    const second = new SqliteResponseStore(path);
    try {
      assert.deepEqual(await second.get(saved.id, saved.tenant), saved);
    } finally {
      await second.close();
    }
  });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const leased: [string, (claimLeaseMs: number) => ResponseStore][] = [
  ["memory", (claimLeaseMs) => new MemoryResponseStore({ claimLeaseMs })],
  ["sqlite", (claimLeaseMs) => new SqliteResponseStore(join(dir, `claims-${Math.random()}.db`), { claimLeaseMs })],
  ["postgres", (claimLeaseMs) => new PostgresResponseStore(postgres.url, { claimLeaseMs })],
];

for (const [kind, create] of leased) {
  describe(`${kind} response store: one continuation per response`, () => {
    it("of five claims at once one wins; the others see it running, then finished", async () => {
      const store = create(60_000);
      try {
        const first = response();
        await store.save(first);
        const ids = Array.from({ length: 5 }, () => unique());
        const claims = await Promise.all(ids.map((id) => store.claimContinuation(first.id, id)));
        const winners = claims.flatMap((c, i) => (c.ok ? [ids[i]!] : []));
        assert.equal(winners.length, 1, JSON.stringify(claims));
        for (const c of claims) if (!c.ok) assert.deepEqual(c, { ok: false, by: winners[0], finished: false });
        assert.equal(await store.continuationOf(first.id), winners[0]);
        // Another response's release or finish changes nothing.
        await store.releaseContinuation(
          first.id,
          ids.find((id) => id !== winners[0])!,
        );
        assert.deepEqual(await store.claimContinuation(first.id, unique()), {
          ok: false,
          by: winners[0],
          finished: false,
        });
        await store.finishContinuation(first.id, winners[0]!);
        await store.releaseContinuation(first.id, winners[0]!);
        assert.deepEqual(await store.claimContinuation(first.id, unique()), {
          ok: false,
          by: winners[0],
          finished: true,
        });
      } finally {
        await store.close();
      }
    });

    it("a released claim can be taken again; one left unfinished past its lease is taken over", async () => {
      const store = create(150);
      try {
        const a = unique();
        assert.deepEqual(await store.claimContinuation(a, "resp_one"), { ok: true });
        await store.releaseContinuation(a, "resp_one");
        assert.deepEqual(await store.claimContinuation(a, "resp_two"), { ok: true });
        assert.equal((await store.claimContinuation(a, "resp_three")).ok, false);
        await sleep(200);
        assert.deepEqual(await store.claimContinuation(a, "resp_three"), { ok: true }, "the stale claim is taken over");
        await store.finishContinuation(a, "resp_two");
        assert.equal(await store.continuationOf(a), "resp_three", "the stale holder's finish changes nothing");
      } finally {
        await store.close();
      }
    });

    it("the sweep deletes responses made before the cutoff, at most `max` at a time", async () => {
      const store = create(60_000);
      try {
        // What earlier tests left in the shared database is older still: out of the way first.
        await sleep(5);
        await store.sweep(Date.now(), 1_000_000);
        const old = [response(), response(), response()];
        for (const r of old) await store.save(r);
        await sleep(20);
        const cutoff = Date.now();
        await sleep(20);
        const fresh = response();
        await store.save(fresh);
        assert.equal(await store.sweep(cutoff, 2), 2);
        assert.equal(await store.sweep(cutoff, 2), 1);
        assert.equal(await store.sweep(cutoff, 2), 0);
        for (const r of old) assert.equal(await store.get(r.id, r.tenant), null);
        assert.deepEqual(await store.get(fresh.id, fresh.tenant), fresh);
      } finally {
        await store.close();
      }
    });
  });
}
