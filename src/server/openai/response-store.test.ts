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
