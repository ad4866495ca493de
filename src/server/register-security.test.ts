import { test } from "node:test";
import assert from "node:assert/strict";
import Fastify from "fastify";
import { Registry } from "prom-client";
import { ApiKeySet, keyDigest, keyId } from "../auth/api-key-set.js";
import { currentKeyId, principalContext } from "../auth/request-principal.js";
import { registerSecurity } from "./register-security.js";

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
