import { test } from "node:test";
import assert from "node:assert/strict";
import Fastify from "fastify";
import { Registry } from "prom-client";
import { ApiKeySet, keyDigest, keyId } from "../auth/api-key-set.js";
import { currentKeyId, principalContext } from "../auth/request-principal.js";
import { sendError } from "./error-response.js";
import { registerSecurity } from "./register-security.js";
import { ROUTE } from "./route-kinds.js";

/** A Fastify app with the service's security hooks and one route reporting the principal its handler sees. */
async function appWith(apiKeys: ApiKeySet | null) {
  const app = Fastify();
  registerSecurity(
    app,
    { apiKeys, metricsKeys: null, rateLimitPerMinute: 0, maxStreamsPerKey: 0 },
    new Registry(),
    app.log,
  );
  app.get("/whoami", async () => ({
    keyId: currentKeyId(),
    // Whether a principal is bound at all (a keyless service binds none).
    bound: principalContext.getStore() !== undefined,
  }));
  await app.ready();
  return app;
}

test("with API keys the handler runs as the key's principal; a keyless service binds no principal", async () => {
  const key = "a-long-random-test-key-0123456789";
  const keyed = await appWith(ApiKeySet.parse(key));
  try {
    const res = await keyed.inject({ url: "/whoami", headers: { authorization: `Bearer ${key}` } });
    assert.deepEqual(res.json(), { keyId: keyId(keyDigest(key)), bound: true });
    assert.equal((await keyed.inject({ url: "/whoami" })).statusCode, 401);
  } finally {
    await keyed.close();
  }
  const keyless = await appWith(null);
  try {
    assert.deepEqual((await keyless.inject({ url: "/whoami" })).json(), { keyId: null, bound: false });
  } finally {
    await keyless.close();
  }
});

const KEY = "a-long-random-test-key-0123456789";
const bearer = { authorization: `Bearer ${KEY}` };

test("a new stream route counts against MAX_STREAMS_PER_KEY from its declaration alone", async () => {
  const app = Fastify();
  app.setErrorHandler((err, request, reply) => sendError(request, reply, err as Error));
  registerSecurity(
    app,
    { apiKeys: ApiKeySet.parse(KEY), metricsKeys: null, rateLimitPerMinute: 0, maxStreamsPerKey: 1 },
    new Registry(),
    app.log,
  );
  // A route the security hooks have never heard of: only its declaration says it streams.
  let finish = () => {};
  const finished = new Promise<void>((resolve) => (finish = resolve));
  app.get("/a-brand-new/stream", ROUTE.eventStream, async (_request, reply) => {
    reply.hijack();
    reply.raw.writeHead(200, { "content-type": "text/event-stream" });
    reply.raw.write("event: hello\ndata: {}\n\n");
    await finished;
    reply.raw.end();
  });
  const url = await app.listen({ host: "127.0.0.1", port: 0 });
  try {
    const first = await fetch(`${url}/a-brand-new/stream`, { headers: bearer });
    assert.equal(first.status, 200);
    const second = await fetch(`${url}/a-brand-new/stream`, { headers: bearer });
    assert.equal(second.status, 429);
    assert.equal(((await second.json()) as { error: { code: string } }).error.code, "too_many_streams");
    finish();
    await first.text();
  } finally {
    finish();
    await app.close();
  }
});

test("a route without a declaration needs the key and is rate limited", async () => {
  const app = Fastify();
  app.setErrorHandler((err, request, reply) => sendError(request, reply, err as Error));
  registerSecurity(
    app,
    { apiKeys: ApiKeySet.parse(KEY), metricsKeys: null, rateLimitPerMinute: 1, maxStreamsPerKey: 0 },
    new Registry(),
    app.log,
  );
  app.get("/undeclared", async () => ({ ok: true }));
  await app.ready();
  try {
    const anonymous = await app.inject({ url: "/undeclared" });
    assert.equal(anonymous.statusCode, 401);
    assert.equal(anonymous.json().error.code, "unauthorized");
    assert.equal((await app.inject({ url: "/undeclared", headers: bearer })).statusCode, 200);
    const again = await app.inject({ url: "/undeclared", headers: bearer });
    assert.equal(again.statusCode, 429);
    assert.equal(again.json().error.code, "rate_limited");
  } finally {
    await app.close();
  }
});
