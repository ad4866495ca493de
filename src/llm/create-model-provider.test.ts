import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BaseCallbackHandler } from "@langchain/core/callbacks/base";
import { HumanMessage, SystemMessage, type BaseMessage } from "@langchain/core/messages";
import type { LLMResult } from "@langchain/core/outputs";
import type { Serialized } from "@langchain/core/load/serializable";
import { ChatOpenAI } from "@langchain/openai";
import { loadCatalog } from "../agents/catalog.js";
import { startFakeOpenAIServer, type FakeOpenAIServer } from "../../test/support/fake-openai-server.js";
import { createModelProvider, type ModelProviderOptions } from "./create-model-provider.js";
import type { ModelProvider } from "./model-provider.js";
import { SimulatedChatModel } from "./simulated-chat-model.js";

const catalog = loadCatalog("agents/shop-support.json");
const [orders] = catalog.agents;
assert.ok(orders);

const baseOptions: ModelProviderOptions = {
  provider: "simulated",
  simTtftMs: 0,
  simTokenMs: 0,
  simReplyTokens: 30,
  model: "sim-model",
  timeoutMs: 2000,
  maxRetries: 0,
  structuredOutput: "json_schema",
};

interface LlmRun {
  runName: string | undefined;
  tags: string[];
  parentRunId: string | undefined;
  end?: LLMResult;
}

/** Records what a tracing handler would see: LLM runs with their names, tags and usage, and every chain run. */
class RunRecorder extends BaseCallbackHandler {
  name = "run-recorder";
  override awaitHandlers = true;
  llmRuns = new Map<string, LlmRun>();
  chainRuns: string[] = [];
  override handleChatModelStart(
    _llm: Serialized,
    _messages: BaseMessage[][],
    runId: string,
    parentRunId?: string,
    _extra?: Record<string, unknown>,
    tags?: string[],
    _metadata?: Record<string, unknown>,
    runName?: string,
  ) {
    this.llmRuns.set(runId, { runName, tags: tags ?? [], parentRunId });
  }
  override handleLLMEnd(output: LLMResult, runId: string) {
    const run = this.llmRuns.get(runId);
    if (run) run.end = output;
  }
  override handleChainStart(
    chain: Serialized,
    _inputs: unknown,
    _runId: string,
    _parentRunId?: string,
    _tags?: string[],
    _metadata?: unknown,
    _runType?: string,
    runName?: string,
  ) {
    this.chainRuns.push(runName ?? chain.id.at(-1) ?? "?");
  }
}

function usageOf(run: LlmRun | undefined) {
  const message = (
    run?.end?.generations[0]?.[0] as
      | { message?: { usage_metadata?: { input_tokens: number; output_tokens: number; total_tokens: number } } }
      | undefined
  )?.message;
  return message?.usage_metadata;
}

async function checkRuns(provider: ModelProvider) {
  const recorder = new RunRecorder();
  const result = await provider.classifier.invoke(
    { history: [], message: "I was charged twice", currentIntent: null },
    { callbacks: [recorder] },
  );
  assert.deepEqual(result.parsed, { intent: "billing", confidence: 0.9 });
  const classifierRuns = [...recorder.llmRuns.values()];
  assert.equal(classifierRuns.length, 1, "one LLM run for the classifier");
  const classifierRun = classifierRuns[0];
  assert.ok(classifierRun?.tags.includes("nostream"), `tags ${classifierRun?.tags}`);
  assert.ok(usageOf(classifierRun)?.output_tokens, "classifier usage");

  const reply = await provider.chatModel.invoke(
    [new SystemMessage(orders!.systemPrompt), new HumanMessage("where is my order")],
    { callbacks: [recorder] },
  );
  assert.ok(String(reply.content).length > 0);
  const chatRun = [...recorder.llmRuns.values()][1];
  assert.ok(chatRun && !chatRun.tags.includes("nostream"));
  const usage = usageOf(chatRun);
  assert.ok(
    usage &&
      usage.input_tokens > 0 &&
      usage.output_tokens > 0 &&
      usage.total_tokens === usage.input_tokens + usage.output_tokens,
  );
  return { recorder, classifierRun };
}

describe("createModelProvider", { timeout: 20_000 }, () => {
  let server: FakeOpenAIServer;
  before(async () => {
    server = await startFakeOpenAIServer({ catalog });
  });
  after(async () => {
    await server.close();
  });

  it("simulated: two simulated models; calls are LLM runs with usage, the classifier named and tagged, with no chain run around it", async () => {
    const provider = await createModelProvider(baseOptions, catalog);
    assert.ok(provider.chatModel instanceof SimulatedChatModel);
    assert.equal(provider.modelName, "sim-model");
    const { recorder, classifierRun } = await checkRuns(provider);
    assert.equal(classifierRun?.runName, "classifier");
    assert.deepEqual(recorder.chainRuns, []);
  });

  it("openai: ChatOpenAI models against an OpenAI-compatible endpoint, seen by callbacks the same way", async () => {
    const provider = await createModelProvider(
      { ...baseOptions, provider: "openai", baseUrl: server.baseUrl, apiKey: "sk-test", model: "gpt-fake" },
      catalog,
    );
    assert.ok(provider.chatModel instanceof ChatOpenAI);
    assert.equal(provider.modelName, "gpt-fake");
    await checkRuns(provider);
    const last = server.requests.at(-1);
    assert.equal(last?.headers.authorization, "Bearer sk-test");
    assert.equal(last?.body?.model, "gpt-fake");
  });
});

/**
 * The modules a fresh Node process resolves while it builds a provider: a module.register() hook
 * records every resolved URL, so what a provider leaves unloaded is observed, not assumed.
 */
function modulesLoadedBuilding(provider: "simulated" | "openai"): string[] {
  const dir = mkdtempSync(join(tmpdir(), "switchboard-provider-modules-"));
  const log = join(dir, "resolved.txt");
  try {
    const hooks = `import { appendFileSync } from "node:fs";
      let file;
      export function initialize(data) { file = data.file; }
      export async function resolve(specifier, context, next) {
        const resolved = await next(specifier, context);
        appendFileSync(file, resolved.url + "\\n");
        return resolved;
      }`;
    const program = `import { register } from "node:module";
      register("data:text/javascript," + encodeURIComponent(${JSON.stringify(hooks)}), { data: { file: ${JSON.stringify(log)} } });
      const { createModelProvider } = await import(${JSON.stringify(new URL("./create-model-provider.js", import.meta.url).href)});
      const { loadCatalog } = await import(${JSON.stringify(new URL("../agents/catalog.js", import.meta.url).href)});
      await createModelProvider(${JSON.stringify({ ...baseOptions, provider })}, loadCatalog("agents/shop-support.json"));`;
    execFileSync(process.execPath, ["--input-type=module", "-e", program], { stdio: "pipe", timeout: 15_000 });
    return readFileSync(log, "utf8").split("\n");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("loading", { timeout: 40_000 }, () => {
  it("a simulated provider never loads the OpenAI client; the openai provider does", () => {
    const fromOpenAI = (urls: string[]) => urls.filter((u) => /\/node_modules\/(@langchain\/openai|openai)\//.test(u));
    assert.deepEqual(fromOpenAI(modulesLoadedBuilding("simulated")), []);
    assert.ok(
      fromOpenAI(modulesLoadedBuilding("openai")).length > 0,
      "the hook sees the OpenAI modules when they load",
    );
  });
});
