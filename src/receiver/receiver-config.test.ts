import { test } from "node:test";
import assert from "node:assert/strict";
import { parseReceiverEnv, receiverEnvSchema, receiverOptionsFromEnv, ReceiverConfigError } from "./receiver-config.js";

test("an empty environment gives the documented defaults", () => {
  const env = parseReceiverEnv({});
  assert.equal(env.RECEIVER_HOST, "127.0.0.1");
  assert.equal(env.RECEIVER_PORT, 3100);
  assert.equal(env.RECEIVER_DB_PATH, "./data/receiver.db");
  assert.equal(env.RECEIVER_PUBLIC_KEY, undefined, "no fixed key pair: a random one is made in the data folder");
  assert.equal(env.RECEIVER_SECRET_KEY, undefined);
  assert.equal(env.RECEIVER_DEV_KEYS, false);
  assert.equal(env.RECEIVER_CONTROL_ROUTES, false, "faults and wipe are off unless asked for");
  assert.deepEqual(receiverOptionsFromEnv(env).allowedHosts, []);
  assert.equal(env.RECEIVER_TRACE_TTL_HOURS, 168, "a week");
  assert.equal(receiverOptionsFromEnv(env).keys, "generated");
  assert.equal(receiverOptionsFromEnv(env).traceTtlMs, 7 * 24 * 3_600_000);
  assert.equal(env.RECEIVER_DELAY_MS, 0);
  assert.equal(env.RECEIVER_FAIL_STATUS, 503);
  assert.equal(env.RECEIVER_FAIL_RATIO, 0);
  assert.equal(env.RECEIVER_RETRY_AFTER_SECONDS, null);
  assert.equal(env.RECEIVER_HANG, false);
});

test("values are parsed and become receiver options; empty values count as unset", () => {
  const env = parseReceiverEnv({
    RECEIVER_PORT: "0",
    RECEIVER_DB_PATH: ":memory:",
    RECEIVER_DELAY_MS: "250",
    RECEIVER_FAIL_STATUS: "429",
    RECEIVER_FAIL_RATIO: "0.5",
    RECEIVER_RETRY_AFTER_SECONDS: "3",
    RECEIVER_HANG: "true",
    RECEIVER_HOST: "",
    UNRELATED: "ignored",
  });
  const options = receiverOptionsFromEnv(env);
  assert.equal(options.port, 0);
  assert.equal(options.host, "127.0.0.1");
  assert.equal(options.keys, "generated");
  assert.deepEqual(options.faults, { delayMs: 250, failStatus: 429, failRatio: 0.5, retryAfterSeconds: 3, hang: true });
});

test("keys: both given, or the dev pair only when RECEIVER_DEV_KEYS says so; one key alone is refused", () => {
  const given = receiverOptionsFromEnv(parseReceiverEnv({ RECEIVER_PUBLIC_KEY: "pk-a", RECEIVER_SECRET_KEY: "sk-b" }));
  assert.deepEqual(given.keys, [{ publicKey: "pk-a", secretKey: "sk-b" }]);
  const dev = receiverOptionsFromEnv(parseReceiverEnv({ RECEIVER_DEV_KEYS: "true" }));
  assert.deepEqual(dev.keys, [{ publicKey: "pk-lf-local", secretKey: "sk-lf-local" }]);
  assert.throws(
    () => parseReceiverEnv({ RECEIVER_PUBLIC_KEY: "pk-a" }),
    /RECEIVER_PUBLIC_KEY and RECEIVER_SECRET_KEY must be set together/,
  );
  const options = receiverOptionsFromEnv(
    parseReceiverEnv({
      RECEIVER_CONTROL_ROUTES: "true",
      RECEIVER_ALLOWED_HOSTS: "receiver, traces.internal",
      RECEIVER_TRACE_TTL_HOURS: "0",
    }),
  );
  assert.equal(options.controlRoutes, true);
  assert.deepEqual(options.allowedHosts, ["receiver", "traces.internal"]);
  assert.equal(options.traceTtlMs, 0);
});

test("invalid values fail with the variable, its value and what is allowed", () => {
  assert.throws(
    () => parseReceiverEnv({ RECEIVER_PORT: "70000", RECEIVER_FAIL_RATIO: "half", RECEIVER_HANG: "maybe" }),
    (err: unknown) => {
      assert.ok(err instanceof ReceiverConfigError);
      assert.match(err.message, /RECEIVER_PORT="70000": must be an integer from 0 to 65535/);
      assert.match(err.message, /RECEIVER_FAIL_RATIO="half": must be a number from 0 to 1/);
      assert.match(err.message, /RECEIVER_HANG="maybe": must be a boolean/);
      return true;
    },
  );
  assert.throws(
    () => parseReceiverEnv({ RECEIVER_FAIL_STATUS: "200" }),
    /RECEIVER_FAIL_STATUS="200": must be an HTTP error status/,
  );
});

test("every variable is described and defaulted (the docs generator reads both)", () => {
  for (const [name, schema] of Object.entries(receiverEnvSchema.shape)) {
    assert.ok(schema.description && schema.description.length > 10, `${name} has a description`);
    assert.ok(schema.safeParse(undefined).success, `${name} has a default`);
  }
});
