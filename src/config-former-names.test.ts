// The journal's variables were first named LANGFUSE_SPOOL*: those names still work, deprecated,
// with a warning naming the new one; both names set to different values stop start-up.
import { test } from "node:test";
import assert from "node:assert/strict";
import { loadConfig, type ConfigWarn } from "./config.js";
import { ConfigError } from "./config-schema.js";
import { tracingOptions } from "./tracing-setup.js";

function collecting(): { warn: ConfigWarn; warnings: { fields: object; message: string }[] } {
  const warnings: { fields: object; message: string }[] = [];
  return { warn: (fields, message) => warnings.push({ fields, message }), warnings };
}

test("the LANGFUSE_JOURNAL* variables set the journal, with no warning", () => {
  const { warn, warnings } = collecting();
  const config = loadConfig(
    { LANGFUSE_JOURNAL: "true", LANGFUSE_JOURNAL_DIR: "/var/lib/sb/journal", LANGFUSE_JOURNAL_MAX_BYTES: "2097152" },
    warn,
  );
  assert.equal(config.LANGFUSE_JOURNAL_DIR, "/var/lib/sb/journal");
  assert.equal(tracingOptions(config).journalDir, "/var/lib/sb/journal");
  assert.equal(tracingOptions(config).maxJournalBytes, 2_097_152);
  assert.deepEqual(warnings, []);
});

test("an old LANGFUSE_SPOOL* name still works, with one warning naming the variable that replaces it", () => {
  const { warn, warnings } = collecting();
  const config = loadConfig(
    { LANGFUSE_SPOOL: "false", LANGFUSE_SPOOL_DIR: "/var/lib/sb/spool", LANGFUSE_SPOOL_MAX_BYTES: "2097152" },
    warn,
  );
  assert.equal(config.LANGFUSE_JOURNAL, false);
  assert.equal(config.LANGFUSE_JOURNAL_DIR, "/var/lib/sb/spool");
  assert.equal(config.LANGFUSE_JOURNAL_MAX_BYTES, 2_097_152);
  assert.equal(tracingOptions(config).journalDir, null, "LANGFUSE_SPOOL=false still means memory only");
  assert.deepEqual(
    warnings.map((w) => w.fields),
    [
      { variable: "LANGFUSE_SPOOL", replacedBy: "LANGFUSE_JOURNAL" },
      { variable: "LANGFUSE_SPOOL_DIR", replacedBy: "LANGFUSE_JOURNAL_DIR" },
      { variable: "LANGFUSE_SPOOL_MAX_BYTES", replacedBy: "LANGFUSE_JOURNAL_MAX_BYTES" },
    ],
  );
  assert.match(warnings[1]!.message, /LANGFUSE_SPOOL_DIR is deprecated.*set LANGFUSE_JOURNAL_DIR instead/);
});

test("old and new name set to the same value: accepted (with the warning); to different values: an error naming both", () => {
  const { warn, warnings } = collecting();
  const same = loadConfig({ LANGFUSE_JOURNAL: "false", LANGFUSE_SPOOL: "0" }, warn);
  assert.equal(same.LANGFUSE_JOURNAL, false, "false and 0 are one value");
  assert.equal(warnings.length, 1);

  assert.throws(
    () => loadConfig({ LANGFUSE_JOURNAL_DIR: "/data/journal", LANGFUSE_SPOOL_DIR: "/data/spool" }),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.match(
        err.message,
        /LANGFUSE_JOURNAL_DIR="\/data\/journal" and LANGFUSE_SPOOL_DIR="\/data\/spool" are both set, to different values: LANGFUSE_SPOOL_DIR is the deprecated former name of LANGFUSE_JOURNAL_DIR; set LANGFUSE_JOURNAL_DIR only/,
      );
      return true;
    },
  );
});

test("a bad value under the old name is reported under the name it was given", () => {
  assert.throws(() => loadConfig({ LANGFUSE_SPOOL_MAX_BYTES: "lots" }), /LANGFUSE_SPOOL_MAX_BYTES="lots" is invalid/);
});
