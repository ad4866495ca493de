import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CatalogError, loadCatalog, parseCatalog } from "./catalog.js";

const agent = (over: Record<string, unknown> = {}) => ({
  key: "orders",
  name: "Orders",
  intent: "order_status",
  description: "orders",
  keywords: ["order"],
  systemPrompt: "You are the orders desk.",
  ...over,
});

test("the shipped catalog is valid and has at least 3 agents", () => {
  const catalog = loadCatalog("agents/shop-support.json");
  assert.ok(catalog.agents.length >= 3);
});

test("errors name the entry and the field", () => {
  assert.throws(
    () =>
      parseCatalog({
        clarifyPrompt: "q",
        agents: [agent(), agent({ key: "billing", intent: "billing", keywords: [] })],
      }),
    (err: unknown) => {
      assert.ok(err instanceof CatalogError);
      assert.match(err.message, /agents\[1\] \(billing\)\.keywords/);
      return true;
    },
  );
  assert.throws(
    () => parseCatalog({ clarifyPrompt: "q", agents: [agent({ key: "Bad Key" })] }),
    /agents\[0\] \(Bad Key\)\.key/,
  );
  assert.throws(() => parseCatalog({ agents: [agent()] }), /clarifyPrompt/);
  assert.throws(
    () => parseCatalog({ clarifyPrompt: "q", agents: [agent(), agent({ intent: "other" })] }),
    /agents\[1\] \(orders\)\.key: duplicate key/,
  );
  assert.throws(() => parseCatalog({ clarifyPrompt: "q", agents: [agent(), agent({ key: "b" })] }), /duplicate intent/);
  assert.throws(() => parseCatalog({ clarifyPrompt: "q", agents: [agent({ extra: 1 })] }), /agents\[0\] \(orders\)/);
});

test("unreadable or non-JSON files are clear errors naming the file", () => {
  const dir = mkdtempSync(join(tmpdir(), "catalog-"));
  const file = join(dir, "agents.json");
  writeFileSync(file, "{ not json");
  assert.throws(
    () => loadCatalog(file),
    (err: unknown) => err instanceof CatalogError && err.message.includes(file) && /not valid JSON/.test(err.message),
  );
  assert.throws(() => loadCatalog(join(dir, "missing.json")), /cannot read agent catalog/);
});
