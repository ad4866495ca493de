import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { loadConfig } from "./config.js";
import { ConfigError } from "./config-schema.js";
import { renderConfigDocs, renderEnvExample } from "./config-docs.js";
import { tracingOptions } from "./tracing-setup.js";
import { TRACING_DEFAULTS } from "./tracing/index.js";

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

test("every variable that feeds a tracing option reaches it, in the option's unit", () => {
  const options = tracingOptions(
    loadConfig({
      LANGFUSE_FLUSH_AT: "7",
      LANGFUSE_FLUSH_INTERVAL: "2.5",
      LANGFUSE_TIMEOUT: "3",
      LANGFUSE_RETRY_DELAY: "0.25",
      LANGFUSE_SAMPLE_KEEP_SLOWER_THAN: "4",
      LANGFUSE_SHUTDOWN_TIMEOUT: "6",
      LANGFUSE_MASK: "email",
      LANGFUSE_ENVIRONMENT: "staging",
      LANGFUSE_JOURNAL: "false",
    }),
  );
  assert.equal(options.flushAt, 7);
  assert.equal(options.flushIntervalMs, 2500);
  assert.equal(options.timeoutMs, 3000);
  assert.equal(options.retryDelayMs, 250);
  assert.equal(options.keepSlowerThanMs, 4000);
  assert.equal(options.shutdownTimeoutMs, 6000);
  assert.equal(options.mask, "email");
  assert.equal(options.environment, "staging");
  assert.equal(options.journalDir, null);
  assert.equal(options.release, undefined);
  // Unset: the tracing package's own defaults, in its units.
  const defaults = tracingOptions(loadConfig({}));
  for (const [key, value] of Object.entries(TRACING_DEFAULTS)) {
    if (key === "journalDir") continue; // on by default in the service: LANGFUSE_JOURNAL_DIR
    assert.equal(defaults[key as keyof typeof defaults], value, key);
  }
  assert.equal(defaults.journalDir, "./data/spool");
});
