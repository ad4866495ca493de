// The layout's import rules (eslint.config.js, docs/architecture.md "Layout") fire where they
// should and nowhere else: each rule is shown refusing an import it is there to refuse and
// letting through the imports the layout allows. ESLint runs on sources written here, under
// file paths inside the folders (the files need not exist).
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { ESLint } from "eslint";

// From dist/test/ or test/ (under tsx) to the repository.
const here = dirname(fileURLToPath(import.meta.url));
const ROOT = existsSync(join(here, "..", "package.json")) ? resolve(here, "..") : resolve(here, "..", "..");

let eslint: ESLint;
before(() => {
  eslint = new ESLint({ cwd: ROOT });
});

/** The import restrictions ESLint reports for `import ... from "<specifier>"` in the file at `path`. */
async function refusals(path: string, specifier: string): Promise<string[]> {
  const [result] = await eslint.lintText(`import { x } from "${specifier}";\nexport const y = x;\n`, {
    filePath: join(ROOT, path),
  });
  assert.ok(result, path);
  const fatal = result.messages.filter((m) => m.fatal);
  assert.deepEqual(fatal, [], `${path} could not be linted`);
  return result.messages.filter((m) => m.ruleId === "no-restricted-imports").map((m) => m.message);
}

async function assertRefused(path: string, specifier: string, message: RegExp) {
  const found = await refusals(path, specifier);
  assert.equal(found.length, 1, `${path} importing ${specifier}: expected one refusal, got ${JSON.stringify(found)}`);
  assert.match(found[0]!, message, `${path} importing ${specifier}`);
}

async function assertAllowed(path: string, specifier: string) {
  assert.deepEqual(await refusals(path, specifier), [], `${path} importing ${specifier}`);
}

describe("the product imports downward: server → chat → graph → prompts → llm", () => {
  const DOWNWARD = (folder: string) => new RegExp(`src/${folder} imports downward only: `);

  test("src/llm imports neither src/graph, src/chat, src/server nor src/prompts ", async () => {
    for (const upward of [
      "../graph/state.js",
      "../chat/chat-service.js",
      "../server/build-app.js",
      "../prompts/prompt-cache.js",
    ])
      await assertRefused("src/llm/some-model.ts", upward, DOWNWARD("llm"));
    await assertRefused("src/llm/some-model.ts", "../prompts/prompt-names.js", DOWNWARD("llm"));
    await assertAllowed("src/llm/some-model.ts", "../agents/catalog.js");
    await assertAllowed("src/llm/some-model.ts", "./model-provider.js");
  });

  test("src/prompts imports neither src/graph, src/chat nor src/server", async () => {
    for (const upward of ["../graph/state.js", "../chat/chat-service.js", "../server/build-app.js"])
      await assertRefused("src/prompts/some-prompts.ts", upward, DOWNWARD("prompts"));
    await assertAllowed("src/prompts/some-prompts.ts", "../llm/classifier-prompt.js");
    await assertAllowed("src/prompts/some-prompts.ts", "../tracing-setup.js");
  });

  test("src/graph imports neither src/chat nor src/server", async () => {
    await assertRefused("src/graph/some-node.ts", "../chat/chat-service.js", DOWNWARD("graph"));
    await assertRefused("src/graph/some-node.ts", "../server/build-app.js", DOWNWARD("graph"));
    await assertAllowed("src/graph/some-node.ts", "../llm/model-provider.js");
    await assertAllowed("src/graph/some-node.ts", "../prompts/prompt-cache.js");
    await assertAllowed("src/graph/some-node.ts", "../sessions/session-saver.js");
  });

  test("src/chat does not import src/server", async () => {
    await assertRefused("src/chat/some-turn.ts", "../server/build-app.js", DOWNWARD("chat"));
    await assertAllowed("src/chat/some-turn.ts", "../graph/state.js");
    await assertAllowed("src/chat/some-turn.ts", "../auth/request-principal.js");
  });

  test("src/server, from a subfolder too, imports the layers below and nothing at src/'s top nor the receiver", async () => {
    await assertAllowed("src/server/openai/some-route.ts", "../../chat/chat-errors.js");
    await assertAllowed("src/server/openai/some-route.ts", "../../llm/model-options.js");
    await assertAllowed("src/server/openai/some-route.ts", "../route-kinds.js");
    await assertRefused("src/server/openai/some-route.ts", "../../config.js", DOWNWARD("server"));
    await assertRefused("src/server/some-route.ts", "../service.js", DOWNWARD("server"));
    await assertRefused("src/server/some-route.ts", "../receiver/receiver.js", DOWNWARD("server"));
  });

  test("the layers reach src/tracing only through its face (the layer rules keep that rule)", async () => {
    await assertAllowed("src/chat/some-turn.ts", "../tracing/index.js");
    await assertRefused(
      "src/chat/some-turn.ts",
      "../tracing/export/batch-delivery.js",
      /Import the tracing package through src\/tracing\/index\.js/,
    );
    await assertRefused(
      "src/server/openai/some-route.ts",
      "../../tracing/encoding/protobuf-writer.js",
      /Import the tracing package through src\/tracing\/index\.js/,
    );
  });
});

describe("sessions, agents and auth are leaves", () => {
  const LEAF = (folder: string) => new RegExp(`src/${folder} is a leaf of the product`);

  test("a leaf imports no other folder of the product, nor src/'s top", async () => {
    await assertRefused("src/sessions/some-store.ts", "../chat/chat-service.js", LEAF("sessions"));
    await assertRefused("src/sessions/some-store.ts", "../agents/catalog.js", LEAF("sessions"));
    await assertRefused("src/agents/some-loader.ts", "../llm/model-provider.js", LEAF("agents"));
    await assertRefused("src/auth/some-key.ts", "../sessions/session-store.js", LEAF("auth"));
    await assertRefused("src/auth/some-key.ts", "../config.js", LEAF("auth"));
    await assertAllowed("src/sessions/some-store.ts", "./session-ledger.js");
    await assertAllowed("src/sessions/some-store.ts", "../tracing/index.js");
  });

  test("a test beside a leaf may assemble the layers above it", async () => {
    await assertAllowed("src/sessions/some-store.test.ts", "../chat/chat-service.js");
  });
});
