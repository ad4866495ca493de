// GET /api/public/v2/observations, Langfuse v4's read API: each row's trace context read from its
// own span, field groups, filters, cursor pages, limits and the 400s that name the parameter.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { startReceiver, type Receiver } from "./receiver.js";
import { getJson, hexId, otlpJsonBody, postIngest, TEST_TIMEOUT_MS } from "../../test/support/receiver-http.js";

const T0 = Date.parse("2025-03-01T10:00:00.000Z");
const iso = (ms: number) => new Date(ms).toISOString();

describe("v2 observations API", { timeout: TEST_TIMEOUT_MS }, () => {
  let receiver: Receiver;
  const traceId = hexId(16);
  const otherTrace = hexId(16);
  const root = hexId(8);
  const route = hexId(8);
  const gen = hexId(8);
  const other = hexId(8);
  const longValue = "x".repeat(300);

  const v2 = (query: string) => getJson(receiver, `/api/public/v2/observations?${query}`);
  const ids = (body: { data: Array<{ id: string }> }) => body.data.map((observation) => observation.id);

  before(async () => {
    receiver = await startReceiver({ port: 0 });
    // Children first, as exporters send them; each span carries its own trace context, and
    // they disagree on purpose: v4 never copies one span's context onto another row.
    const children = otlpJsonBody([
      {
        traceId,
        spanId: gen,
        parentSpanId: route,
        name: "classifier",
        startMs: T0 + 20,
        endMs: T0 + 120,
        attributes: {
          "langfuse.observation.type": "generation",
          "langfuse.observation.model.name": "sim-1",
          "langfuse.observation.model.parameters": '{"temperature":0}',
          "langfuse.observation.usage_details": '{"input":12,"input_cache_read":3,"output":4}',
          "langfuse.observation.cost_details": '{"input":0.5,"output":0.25,"total":0.75}',
          "langfuse.observation.completion_start_time": JSON.stringify(iso(T0 + 70)),
          "langfuse.observation.input": '[{"role":"user","content":"hi"}]',
          "langfuse.observation.output": '{"intent":"orders"}',
          "langfuse.observation.level": "WARNING",
          "langfuse.observation.status_message": "slow",
          "langfuse.observation.prompt.name": "classify",
          "langfuse.observation.prompt.version": 3,
          "langfuse.observation.metadata.long": longValue,
          "langfuse.observation.metadata.nested": '{"a":{"b":1}}',
          "user.id": "gen-user",
          "session.id": "s-1",
          "langfuse.environment": "staging",
        },
      },
      {
        traceId,
        spanId: route,
        parentSpanId: root,
        name: "route_node",
        startMs: T0 + 10,
        endMs: T0 + 130,
        attributes: {
          "user.id": "alice",
          "session.id": "s-1",
          "langfuse.trace.name": "chat",
          "langfuse.trace.tags": '["endpoint:chat"]',
          "langfuse.release": "r-7",
          "langfuse.version": "v-2",
        },
      },
    ]);
    assert.equal(
      (await postIngest(receiver, children, { headers: { "x-langfuse-ingestion-version": "4" } })).status,
      200,
    );
    const rootBody = otlpJsonBody([
      {
        traceId,
        spanId: root,
        name: "chat",
        startMs: T0,
        endMs: T0 + 150,
        attributes: {
          "user.id": "alice",
          "session.id": "s-1",
          "langfuse.trace.metadata.tenant": "acme",
          "langfuse.observation.input": '"hello"',
          "langfuse.observation.output": '"bye"',
        },
      },
      {
        traceId: otherTrace,
        spanId: other,
        name: "other",
        startMs: T0 + 1000,
        endMs: T0 + 1001,
        attributes: { "user.id": "bob", "session.id": "s-2", "langfuse.observation.level": "ERROR" },
      },
    ]);
    assert.equal(
      (await postIngest(receiver, rootBody, { headers: { "x-langfuse-ingestion-version": "4" } })).status,
      200,
    );
  });

  after(async () => {
    await receiver.close();
  });

  test("without fields: core and basic groups, newest first, each row's user and session its own", async () => {
    const { status, body } = await v2(`traceId=${traceId}`);
    assert.equal(status, 200);
    assert.deepEqual(ids(body), [gen, route, root]);
    assert.deepEqual(body.meta, {});
    const byId = Object.fromEntries(body.data.map((observation: any) => [observation.id, observation]));
    assert.equal(byId[gen].userId, "gen-user");
    assert.equal(byId[route].userId, "alice");
    assert.equal(byId[root].userId, "alice");
    assert.equal(byId[gen].sessionId, "s-1");
    assert.deepEqual(byId[gen], {
      id: gen,
      traceId,
      startTime: iso(T0 + 20),
      endTime: iso(T0 + 120),
      projectId: "local",
      parentObservationId: route,
      type: "GENERATION",
      latency: 0.1,
      timeToFirstToken: null,
      modelId: null,
      inputPrice: null,
      outputPrice: null,
      totalPrice: null,
      isRootObservation: false,
      name: "classifier",
      level: "WARNING",
      statusMessage: "slow",
      version: "",
      environment: "staging",
      bookmarked: false,
      public: false,
      userId: "gen-user",
      sessionId: "s-1",
    });
    assert.equal(byId[root].isRootObservation, true);
    assert.equal(byId[route].version, "v-2");
    assert.equal(byId[root].environment, "default");
  });

  test("trace_context: each row's own trace name, tags and release; roots fall back to their name", async () => {
    const { body } = await v2(`traceId=${traceId}&fields=trace_context`);
    const byId = Object.fromEntries(body.data.map((observation: any) => [observation.id, observation]));
    assert.deepEqual(
      [byId[route].traceName, byId[route].tags, byId[route].release],
      ["chat", ["endpoint:chat"], "r-7"],
    );
    assert.deepEqual(
      [byId[gen].traceName, byId[gen].tags, byId[gen].release],
      [null, [], ""],
      "nothing copied from route_node (an unset release is Langfuse's empty string)",
    );
    assert.equal(byId[root].traceName, "chat", "a root without langfuse.trace.name is named by itself");
    assert.equal(byId[root].name, undefined, "basic not requested");
  });

  test("io, model, usage, prompt, time and metrics groups in Langfuse's shapes", async () => {
    const { body } = await v2(`traceId=${traceId}&type=GENERATION&fields=io,model,usage,prompt,time,metrics`);
    assert.equal(body.data.length, 1);
    const observation = body.data[0];
    assert.equal(observation.input, '[{"role":"user","content":"hi"}]', "input is the raw string, never parsed");
    assert.equal(observation.output, '{"intent":"orders"}');
    assert.equal(observation.model, "sim-1");
    assert.equal(observation.internalModelId, "", "no model of the price table matches sim-1");
    assert.deepEqual(observation.modelParameters, { temperature: 0 });
    assert.deepEqual(observation.usageDetails, { input: 12, input_cache_read: 3, output: 4, total: 19 });
    assert.deepEqual([observation.inputUsage, observation.outputUsage, observation.totalUsage], [15, 4, 19]);
    assert.deepEqual(observation.costDetails, { input: 0.5, output: 0.25, total: 0.75 });
    assert.equal(observation.totalCost, 0.75);
    assert.deepEqual([observation.promptId, observation.promptName, observation.promptVersion], ["", "classify", 3]);
    assert.equal(observation.completionStartTime, iso(T0 + 70));
    assert.equal(typeof observation.createdAt, "string");
    assert.equal(observation.timeToFirstToken, 0.05);
    assert.equal(observation.name, undefined);
    assert.equal(observation.userId, undefined);
    assert.equal(observation.metadata, undefined);
    assert.equal(observation.traceName, undefined);
  });

  test("metadata is flat, trace metadata over observation metadata, values cut at 200 chars unless expanded", async () => {
    const cut = await v2(`traceId=${traceId}&type=GENERATION&fields=metadata`);
    const metadata = cut.body.data[0].metadata;
    assert.equal(metadata.long, longValue.slice(0, 200));
    assert.equal(metadata["nested.a.b"], 1, "nested objects become dotted keys, numbers parsed back");
    assert.equal(metadata["scope.name"], "test-scope");
    assert.equal(metadata["resourceAttributes.service.name"], "test");
    assert.equal(
      metadata["attributes.user.id"],
      "gen-user",
      "spans outside a langfuse-sdk scope keep their attributes",
    );
    assert.equal(metadata["attributes.langfuse.observation.input"], undefined, "input is not repeated in metadata");

    const expanded = await v2(`traceId=${traceId}&type=GENERATION&fields=metadata&expandMetadata=long`);
    assert.equal(expanded.body.data[0].metadata.long, longValue);
    const withIo = await v2(`traceId=${traceId}&type=GENERATION&fields=metadata,io`);
    assert.equal(withIo.body.data[0].metadata.long, longValue, "Langfuse reads whole values when io is requested");

    const rootMeta = await v2(`traceId=${traceId}&parentObservationId=&fields=metadata`);
    assert.equal(rootMeta.body.data[0].metadata.tenant, "acme");
  });

  test("filters: user, session, name, type, level, environment, version, parent, roots, start time", async () => {
    assert.deepEqual(ids((await v2("userId=alice")).body), [route, root]);
    assert.deepEqual(ids((await v2("userId=gen-user")).body), [gen]);
    assert.deepEqual(ids((await v2("sessionId=s-2")).body), [other]);
    assert.deepEqual(ids((await v2("name=route_node")).body), [route]);
    assert.deepEqual(ids((await v2("type=GENERATION")).body), [gen]);
    assert.deepEqual(ids((await v2("level=ERROR")).body), [other]);
    assert.deepEqual(ids((await v2("environment=staging")).body), [gen]);
    assert.deepEqual(ids((await v2("environment=staging&environment=default")).body), [other, gen, route, root]);
    assert.deepEqual(ids((await v2("version=v-2")).body), [route]);
    assert.deepEqual(ids((await v2(`parentObservationId=${route}`)).body), [gen]);
    assert.deepEqual(
      ids((await v2("parentObservationId=")).body),
      [other, root],
      "empty parent: only rows without one",
    );
    assert.deepEqual(ids((await v2("isRootObservation=true")).body), [other, root]);
    assert.deepEqual(ids((await v2("isRootObservation=false")).body), [gen, route]);
    assert.deepEqual(
      ids((await v2(`fromStartTime=${iso(T0 + 10)}&toStartTime=${iso(T0 + 1000)}`)).body),
      [gen, route],
      "from inclusive, to exclusive",
    );
    assert.deepEqual(ids((await v2(`traceId=${traceId}&userId=bob`)).body), []);
    assert.deepEqual(
      ids((await v2("fields=bogus,basic")).body),
      [other, gen, route, root],
      "unknown field groups are ignored, as in Langfuse",
    );
  });

  test("bad parameters get Langfuse's 400s; no credentials get its 401; other methods its 405", async () => {
    // The query schema's refusals: { message: "Invalid request data", error: zod's issues }, each naming its parameter.
    const schemaCases: Array<[string, string]> = [
      ["limit=abc", "limit"],
      ["limit=1001", "limit"],
      ["limit=2.5", "limit"],
      ["type=generation", "type"],
      ["level=LOUD", "level"],
      ["fromStartTime=2025-01-01", "fromStartTime"],
      ["toStartTime=yesterday", "toStartTime"],
      ["isRootObservation=yes", "isRootObservation"],
      ["parseIoAsJson=true", "parseIoAsJson"],
      ["userId=a&userId=b", "userId"],
      [`cursor=${Buffer.from('{"lastId":"x"}').toString("base64")}`, "cursor"],
      [`filter=${encodeURIComponent('[{"type":"string","column":"name"}]')}`, "filter"],
    ];
    for (const [query, parameter] of schemaCases) {
      const res = await v2(query);
      assert.equal(res.status, 400, query);
      assert.equal(res.body.message, "Invalid request data", query);
      assert.ok(Array.isArray(res.body.error), query);
      assert.equal(res.body.error[0].path[0], parameter, `${query}: ${JSON.stringify(res.body.error)}`);
      assert.equal(typeof res.body.error[0].message, "string");
    }
    // What Langfuse refuses with its InvalidRequestError.
    const invalidCases: Array<[string, string]> = [
      ["cursor=not-a-cursor", "Invalid cursor format"],
      ["filter=%5Bnot-json", "Invalid JSON in filter parameter"],
      [
        `filter=${encodeURIComponent('[{"type":"string","column":"nope","operator":"=","value":"x"}]')}`,
        "Column nope does not match a UI / CH table mapping.",
      ],
      [
        `filter=${encodeURIComponent('[{"type":"number","column":"name","operator":"=","value":1}]')}`,
        "Invalid filter type 'number' for column 'name'. Expected filter type 'stringOptions'.",
      ],
      [
        `filter=${encodeURIComponent('[{"type":"string","column":"input","operator":"contains","value":"x"}]')}`,
        "Input/output filters require at least one `matches` or `=` operator.",
      ],
    ];
    for (const [query, message] of invalidCases) {
      const res = await v2(query);
      assert.equal(res.status, 400, query);
      assert.deepEqual(res.body, { message, error: "InvalidRequestError" }, query);
    }
    const missing = await getJson(receiver, "/api/public/v2/observations", null);
    assert.deepEqual([missing.status, missing.body], [401, { message: "No authorization header" }]);
    const post = await fetch(`${receiver.url}/api/public/v2/observations`, { method: "POST" });
    assert.deepEqual(
      [post.status, await post.json()],
      [405, { message: "Method not allowed", error: "MethodNotAllowedError" }],
    );
  });

  test("the structured filter: columns by id or name, string, options, datetime, number, boolean, null and metadata filters", async () => {
    const filter = (f: unknown[]) => v2(`filter=${encodeURIComponent(JSON.stringify(f))}`);
    const idsOf = async (f: unknown[]) => {
      const res = await filter(f);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return ids(res.body);
    };
    assert.deepEqual(await idsOf([{ type: "string", column: "userId", operator: "=", value: "alice" }]), [route, root]);
    assert.deepEqual(await idsOf([{ type: "string", column: "User ID", operator: "=", value: "alice" }]), [
      route,
      root,
    ]);
    assert.deepEqual(
      await idsOf([{ type: "stringOptions", column: "name", operator: "any of", value: ["classifier", "other"] }]),
      [other, gen],
    );
    assert.deepEqual(
      await idsOf([
        { type: "stringOptions", column: "type", operator: "none of", value: ["GENERATION"] },
        { type: "string", column: "traceId", operator: "=", value: traceId },
      ]),
      [route, root],
    );
    assert.deepEqual(await idsOf([{ type: "string", column: "name", operator: "starts with", value: "rout" }]), [
      route,
    ]);
    assert.deepEqual(await idsOf([{ type: "string", column: "name", operator: "ends with", value: "fier" }]), [gen]);
    assert.deepEqual(await idsOf([{ type: "string", column: "statusMessage", operator: "contains", value: "lo" }]), [
      gen,
    ]);
    assert.deepEqual(await idsOf([{ type: "datetime", column: "startTime", operator: ">=", value: iso(T0 + 10) }]), [
      other,
      gen,
      route,
    ]);
    assert.deepEqual(await idsOf([{ type: "number", column: "latency", operator: ">=", value: 0.12 }]), [route, root]);
    assert.deepEqual(await idsOf([{ type: "number", column: "totalCost", operator: "=", value: 0.75 }]), [gen]);
    assert.deepEqual(await idsOf([{ type: "number", column: "inputTokens", operator: "=", value: 15 }]), [gen]);
    assert.deepEqual(await idsOf([{ type: "boolean", column: "isRootObservation", operator: "=", value: true }]), [
      other,
      root,
    ]);
    assert.deepEqual(await idsOf([{ type: "boolean", column: "hasInput", operator: "=", value: true }]), [gen, root]);
    assert.deepEqual(await idsOf([{ type: "null", column: "release", operator: "is not null", value: "" }]), [route]);
    assert.deepEqual(await idsOf([{ type: "null", column: "name", operator: "is null", value: "" }]), []);
    assert.deepEqual(
      await idsOf([{ type: "arrayOptions", column: "traceTags", operator: "any of", value: ["endpoint:chat"] }]),
      [route],
    );
    assert.deepEqual(
      await idsOf([{ type: "stringObject", column: "metadata", key: "tenant", operator: "=", value: "acme" }]),
      [root],
    );
    assert.deepEqual(
      await idsOf([{ type: "stringObject", column: "metadata", key: "nested.a.b", operator: "=", value: "1" }]),
      [gen],
    );
    assert.deepEqual(
      await idsOf([{ type: "string", column: "input", operator: "matches", value: "HELLO" }]),
      [root],
      "matches: case-insensitive, whole tokens",
    );
    assert.deepEqual(await idsOf([{ type: "string", column: "input", operator: "matches", value: "hell" }]), []);
    // A filter on the same field replaces the simple parameter, as Langfuse's deriveFilters does.
    const merged = await v2(
      `userId=bob&filter=${encodeURIComponent(JSON.stringify([{ type: "string", column: "userId", operator: "=", value: "alice" }]))}`,
    );
    assert.deepEqual(ids(merged.body), [route, root]);
    // positionInTrace filters are ignored.
    assert.equal((await idsOf([{ type: "positionInTrace", column: "x", operator: "=", key: "root" }])).length, 4);
  });
});

test(
  "cursor pages cover every row exactly once, duplicates and equal start times included; limit default 50",
  { timeout: TEST_TIMEOUT_MS },
  async () => {
    const receiver = await startReceiver({ port: 0 });
    try {
      const traceId = hexId(16);
      const spans = Array.from({ length: 7 }, (_, i) => ({
        traceId,
        spanId: hexId(8),
        name: `s${i}`,
        startMs: T0 + (i < 4 ? 0 : i),
        endMs: T0 + 10,
      }));
      const body = otlpJsonBody(spans);
      await postIngest(receiver, body);
      await postIngest(receiver, body); // every span twice: 14 rows, four of each start time T0
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const res = await getJson(
          receiver,
          `/api/public/v2/observations?traceId=${traceId}&limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
        );
        assert.equal(res.status, 200);
        assert.ok(res.body.data.length <= 3);
        seen.push(...res.body.data.map((observation: any) => observation.id));
        cursor = res.body.meta.cursor;
        pages++;
      } while (cursor !== undefined && pages < 10);
      assert.equal(pages, 5, "14 rows in pages of 3");
      assert.equal(seen.length, 14);
      for (const s of spans) assert.equal(seen.filter((id) => id === s.spanId).length, 2, `${s.name} twice`);

      // A page that ends exactly at the last row has a cursor; the next page is empty and has none.
      const exact = await getJson(receiver, `/api/public/v2/observations?traceId=${traceId}&limit=7`);
      const next = await getJson(
        receiver,
        `/api/public/v2/observations?traceId=${traceId}&limit=7&cursor=${encodeURIComponent(exact.body.meta.cursor)}`,
      );
      assert.equal(next.body.data.length, 7);
      assert.deepEqual(next.body.meta, {});

      // A cursor Langfuse would build (no receiver tie-breaker) is understood too.
      const decoded = JSON.parse(Buffer.from(exact.body.meta.cursor, "base64").toString("utf8"));
      assert.deepEqual(Object.keys(decoded).sort(), ["lastId", "lastRowId", "lastStartTimeTo", "lastTraceId"]);
      const { lastRowId: _dropped, ...langfuseCursor } = decoded;
      const plain = await getJson(
        receiver,
        `/api/public/v2/observations?traceId=${traceId}&limit=50&cursor=${encodeURIComponent(Buffer.from(JSON.stringify(langfuseCursor)).toString("base64"))}`,
      );
      assert.equal(plain.status, 200);
      assert.equal(
        plain.body.data.length,
        6,
        "without the tie-breaker, every row of the cursor's id counts as past it",
      );

      const empty = await getJson(receiver, `/api/public/v2/observations?limit=0`);
      assert.deepEqual(empty.body, { data: [], meta: {} });

      const many = otlpJsonBody(
        Array.from({ length: 46 }, (_, i) => ({ traceId: hexId(16), spanId: hexId(8), name: `m${i}` })),
      );
      await postIngest(receiver, many);
      const first = await getJson(receiver, "/api/public/v2/observations");
      assert.equal(first.body.data.length, 50, "Langfuse's default limit");
      assert.equal(typeof first.body.meta.cursor, "string");
    } finally {
      await receiver.close();
    }
  },
);
