// The tests' v2 observations client against a real receiver: every row across cursor pages,
// all field groups by default, filters passed through, a bound on pages, errors surfaced.
import { test } from "node:test";
import assert from "node:assert/strict";
import { startReceiver } from "../../src/receiver/receiver.js";
import { DEV_KEY_PAIR } from "../../src/receiver/basic-auth.js";
import { DEV_AUTH, hexId, otlpJsonBody, postIngest } from "./receiver-http.js";
import { getObservationsPage, listObservations, ObservationsApiError } from "./observations-api.js";

test(
  "listObservations follows cursor pages and returns every row, typed with all field groups",
  { timeout: 15_000 },
  async () => {
    const receiver = await startReceiver({ port: 0 });
    try {
      const traceId = hexId(16);
      const root = hexId(8);
      const t0 = Date.parse("2025-05-01T00:00:00Z");
      const spans = [
        {
          traceId,
          spanId: root,
          name: "chat",
          startMs: t0,
          endMs: t0 + 100,
          attributes: { "user.id": "erin", "langfuse.observation.input": '"hi"' },
        },
        ...Array.from({ length: 6 }, (_, i) => ({
          traceId,
          spanId: hexId(8),
          parentSpanId: root,
          name: `step${i}`,
          startMs: t0 + 1 + i,
          endMs: t0 + 50,
          attributes: { "user.id": "erin" },
        })),
      ];
      await postIngest(receiver, otlpJsonBody(spans));
      await postIngest(
        receiver,
        otlpJsonBody([{ traceId: hexId(16), spanId: hexId(8), name: "noise", attributes: { "user.id": "frank" } }]),
      );

      const rows = await listObservations(receiver.url, DEV_AUTH, { traceId, pageSize: 2 });
      assert.equal(rows.length, 7);
      assert.deepEqual(
        rows.map((observation) => observation.name),
        ["step5", "step4", "step3", "step2", "step1", "step0", "chat"],
      );
      const chat = rows.find((observation) => observation.isRootObservation)!;
      assert.equal(chat.input, '"hi"', "io group requested by default");
      assert.equal(chat.userId, "erin");
      assert.deepEqual(chat.tags, []);
      assert.equal(typeof chat.metadata, "object");

      const filtered = await listObservations(receiver.url, DEV_KEY_PAIR, { userId: "frank", fields: ["basic"] });
      assert.deepEqual(
        filtered.map((observation) => observation.name),
        ["noise"],
      );
      assert.equal(filtered[0]!.input, undefined, "only the asked groups");

      await assert.rejects(
        listObservations(receiver.url, DEV_AUTH, { traceId, pageSize: 2, maxPages: 3 }),
        /more than 3 pages/,
      );
      await assert.rejects(
        getObservationsPage(receiver.url, DEV_AUTH, { traceId, fromStartTime: "yesterday" }),
        (err: unknown) => err instanceof ObservationsApiError && err.status === 400 && /fromStartTime/.test(err.body),
      );
      await assert.rejects(
        listObservations(receiver.url, "Basic bm9wZTpub3Bl", {}),
        (err: unknown) => err instanceof ObservationsApiError && err.status === 401,
      );
    } finally {
      await receiver.close();
    }
  },
);
