import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { loadConfig } from "./config.js";
import { ConfigError } from "./config-schema.js";
import { renderConfigDocs, renderEnvExample } from "./config-docs.js";

test("defaults apply when nothing is set", () => {
  const config = loadConfig({});
  assert.equal(config.PORT, 3000);
  assert.equal(config.HOST, "127.0.0.1");
  assert.equal(config.LLM_PROVIDER, "simulated");
  assert.equal(config.SESSION_STORE, "sqlite");
  assert.equal(config.LANGFUSE_FLUSH_AT, 1000);
  assert.equal(config.LANGFUSE_FLUSH_INTERVAL, 0.5);
  assert.equal(config.LANGFUSE_MAX_BATCH_BYTES, 1_000_000);
  assert.equal(config.LANGFUSE_LEGACY_TRACE_IO, false);
  assert.equal(config.LANGFUSE_TIMEOUT, 10);
  assert.equal(config.LANGFUSE_ENABLED, true);
  assert.equal(config.LANGFUSE_PUBLIC_KEY, undefined);
});

test("values are parsed, and empty strings count as unset", () => {
  const config = loadConfig({
    PORT: "8080",
    LANGFUSE_ENABLED: "false",
    LANGFUSE_SAMPLE_RATE: "0.25",
    LANGFUSE_FLUSH_INTERVAL: "0",
    LANGFUSE_MAX_RETRIES: "0",
    SIM_TTFT_MS: "",
  });
  assert.equal(config.PORT, 8080);
  assert.equal(config.LANGFUSE_ENABLED, false);
  assert.equal(config.LANGFUSE_SAMPLE_RATE, 0.25);
  // Zero is honoured where it means something, never replaced by a default.
  assert.equal(config.LANGFUSE_FLUSH_INTERVAL, 0);
  assert.equal(config.LANGFUSE_MAX_RETRIES, 0);
  assert.equal(config.SIM_TTFT_MS, 250);
});

test("bad values stop start-up naming every variable and what is allowed", () => {
  assert.throws(
    () =>
      loadConfig({
        PORT: "eighty",
        LANGFUSE_FLUSH_AT: "0",
        LANGFUSE_TIMEOUT: "NaN",
        SESSION_STORE: "redis",
        LANGFUSE_ENABLED: "maybe",
        LANGFUSE_BASE_URL: "ftp://x",
      }),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      const m = err.message;
      assert.match(m, /PORT="eighty" is invalid: must be a whole number; allowed: integer 0\.\.65535/);
      assert.match(m, /LANGFUSE_FLUSH_AT="0" is invalid.*allowed: integer 1\.\.100000/);
      assert.match(m, /LANGFUSE_TIMEOUT="NaN" is invalid/);
      assert.match(m, /SESSION_STORE="redis" is invalid.*allowed: sqlite \| memory/);
      assert.match(m, /LANGFUSE_ENABLED="maybe"/);
      assert.match(m, /LANGFUSE_BASE_URL="ftp:\/\/x"/);
      return true;
    },
  );
});

test("secrets are never echoed in errors", () => {
  assert.throws(
    () => loadConfig({ LLM_API_KEY: "k".repeat(5000) }),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, /LLM_API_KEY=\(hidden\)/);
      assert.ok(!err.message.includes("kkkk"));
      return true;
    },
  );
});

test("Langfuse keys come in pairs", () => {
  assert.throws(() => loadConfig({ LANGFUSE_PUBLIC_KEY: "pk-lf-1" }), /must be set together/);
});

test("docs/configuration.md is generated from the schema and up to date (npm run docs:config)", () => {
  const onDisk = readFileSync("docs/configuration.md", "utf8");
  assert.equal(onDisk, renderConfigDocs(), "docs/configuration.md is stale: run npm run docs:config");
});

test(".env.example is generated from the schema, up to date, and every line of it parses (npm run docs:config)", () => {
  const onDisk = readFileSync(".env.example", "utf8");
  assert.equal(onDisk, renderEnvExample(), ".env.example is stale: run npm run docs:config");
  // Uncommented as it stands (every default), the file is a configuration the service accepts.
  const env = Object.fromEntries(
    onDisk
      .split("\n")
      .map((line) => /^# ([A-Z_]+)=(\S*)$/.exec(line))
      .filter((m) => m !== null)
      .map((m) => [m[1]!, m[2]!]),
  );
  assert.ok(Object.keys(env).length >= 10, Object.keys(env).join(", "));
  assert.doesNotThrow(() => loadConfig(env));
});
