/**
 * A real HTTP server speaking the OpenAI chat-completions protocol, for tests that drive the
 * OpenAI provider (or the whole service with LLM_PROVIDER=openai) without a network.
 *
 * - `POST /v1/chat/completions`, plain or `stream: true` (SSE chunks, a usage chunk when
 *   `stream_options.include_usage`, then `data: [DONE]`).
 * - A request with `tools` and a forced `tool_choice` is answered with a tool call whose
 *   arguments are the answer's text; `response_format` (json_schema / json_object) gets the text
 *   as content. So all three structured-output methods of LangChain work.
 * - Answers are scripted per test with `enqueue()`; when the queue is empty the server answers
 *   like the simulated model of the given catalog (classification JSON for classifier requests,
 *   an agent reply otherwise), or "OK" without a catalog.
 * - `max_tokens` / `max_completion_tokens` and `stop` are honoured as OpenAI does (finish reason
 *   "length" when the answer was cut at the token limit).
 * - Usage can carry OpenAI's detail fields (`prompt_tokens_details.cached_tokens` /
 *   `.audio_tokens`, `completion_tokens_details.reasoning_tokens`), per server or per answer.
 * - An answer can fail mid-stream (`failAfterChunks`): the connection is cut after some chunks.
 * - Every request is recorded in `requests`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { AIMessage, HumanMessage, SystemMessage, type BaseMessage } from "@langchain/core/messages";
import type { AgentCatalog } from "../../src/agents/catalog.js";
import { CURRENT_INTENT_PREFIX } from "../../src/llm/classifier-prompt.js";
import { limitAnswer, SimulatedChatModel } from "../../src/llm/simulated-chat-model.js";
import { estimateTokens, splitIntoTokens } from "../../src/llm/token-estimate.js";

/** One scripted answer. */
export interface FakeAnswer {
  /** Answer text: message content, or the tool call's arguments when the request forces a tool. */
  content?: string;
  /** Answer with this HTTP status and an OpenAI-style error body instead (e.g. 500, 429). */
  status?: number;
  /** Wait this long before sending anything (status line included), ms: use it to trigger client timeouts. */
  delayMs?: number;
  /** Streamed answers: wait this long between chunks, ms. */
  chunkDelayMs?: number;
  /** Usage details of this answer; overrides the server's `usageDetails`. */
  usageDetails?: FakeUsageDetails;
  /** Streamed answers: after this many content chunks, cut the connection (a provider failing mid-answer). */
  failAfterChunks?: number;
}

/**
 * Token counts OpenAI reports in usage details. As at OpenAI, reasoning tokens are part of
 * `completion_tokens` (they are added to the visible answer's count) and cached and audio tokens
 * are part of `prompt_tokens` (which is raised to at least their sum).
 */
export interface FakeUsageDetails {
  cachedTokens?: number;
  audioTokens?: number;
  reasoningTokens?: number;
}

/** A tool (function) definition as sent in `tools`. */
export interface ChatCompletionTool {
  type: "function";
  function: { name: string; description?: string; parameters?: unknown; strict?: boolean };
}

/** The parts of a chat-completions request body the server reads. */
export interface ChatCompletionRequest {
  model: string;
  messages: { role: string; content: unknown; tool_calls?: unknown }[];
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  response_format?: {
    type: "text" | "json_object" | "json_schema";
    json_schema?: { name: string; schema?: unknown; strict?: boolean };
  };
  tools?: ChatCompletionTool[];
  tool_choice?: "none" | "auto" | "required" | { type: "function"; function: { name: string } };
  [key: string]: unknown;
}

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage["headers"];
  /** Parsed JSON body (undefined when it was not JSON). */
  body: ChatCompletionRequest | undefined;
}

export interface FakeOpenAIServerOptions {
  /** Catalog of the simulated default answers; without it, unscripted requests get "OK". */
  catalog?: AgentCatalog;
  /** Approximate length of default agent replies, tokens. */
  replyTokens?: number;
  /** Usage details on every answer (answers can override them). */
  usageDetails?: FakeUsageDetails;
}

export interface FakeOpenAIServer {
  /** Base URL to hand to the provider, ending in /v1. */
  readonly baseUrl: string;
  readonly port: number;
  /** Requests received so far, oldest first. */
  readonly requests: RecordedRequest[];
  /** Scripts the next answers, in order; each answers one request. */
  enqueue(...answers: FakeAnswer[]): void;
  /** Chat-completions request bodies received so far. */
  chatRequests(): ChatCompletionRequest[];
  /** Stops listening and drops open connections; calling it again is harmless. */
  close(): Promise<void>;
}

/** A classifier answer no parser can read. */
export const MALFORMED_CLASSIFICATION = "Sure! I think this is about billing, maybe?";

/** The JSON a classifier answers for `intent` at `confidence`. */
export function classificationAnswer(intent: string | null, confidence: number): FakeAnswer {
  return { content: JSON.stringify({ intent, confidence }) };
}

function textOfContent(content: unknown): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content))
    return content.map((p) => (p && typeof p === "object" && "text" in p ? String(p.text) : "")).join("");
  return "";
}

function toLangChainMessages(messages: ChatCompletionRequest["messages"]): BaseMessage[] {
  return messages.map((m) => {
    const text = textOfContent(m.content);
    if (m.role === "system" || m.role === "developer") return new SystemMessage(text);
    if (m.role === "assistant") return new AIMessage(text);
    return new HumanMessage(text);
  });
}

function isClassifierRequest(body: ChatCompletionRequest): boolean {
  if (body.response_format && body.response_format.type !== "text") return true;
  if (body.tools?.length) return true;
  return body.messages.some(
    (m) => (m.role === "system" || m.role === "developer") && textOfContent(m.content).includes(CURRENT_INTENT_PREFIX),
  );
}

/** The tool the model must call, when the request forces one. */
function forcedTool(body: ChatCompletionRequest): string | undefined {
  if (!body.tools?.length) return undefined;
  const choice = body.tool_choice;
  if (choice && typeof choice === "object") return choice.function.name;
  if (choice === "required") return body.tools[0]?.function.name;
  return undefined;
}

function usageOf(promptTokens: number, completionTokens: number, details: FakeUsageDetails | undefined) {
  if (!details)
    return {
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      total_tokens: promptTokens + completionTokens,
    };
  const cached = details.cachedTokens ?? 0;
  const audio = details.audioTokens ?? 0;
  const reasoning = details.reasoningTokens ?? 0;
  const prompt = Math.max(promptTokens, cached + audio);
  const completion = completionTokens + reasoning;
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: cached, audio_tokens: audio },
    completion_tokens_details: {
      reasoning_tokens: reasoning,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

/** The request's stop sequences and token limit, as limitAnswer reads them. */
function limitsOf(body: ChatCompletionRequest): { stop?: string[]; maxTokens?: number } {
  const stop =
    typeof body.stop === "string"
      ? [body.stop]
      : Array.isArray(body.stop)
        ? body.stop.filter((s): s is string => typeof s === "string")
        : undefined;
  const max = body.max_completion_tokens ?? body.max_tokens;
  return { stop, maxTokens: typeof max === "number" ? max : undefined };
}

function sleep(ms: number, res: ServerResponse): Promise<boolean> {
  if (ms <= 0) return Promise.resolve(!res.destroyed);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      res.off("close", onClose);
      resolve(!res.destroyed);
    }, ms);
    const onClose = () => {
      clearTimeout(timer);
      resolve(false);
    };
    res.once("close", onClose);
  });
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

export async function startFakeOpenAIServer(options: FakeOpenAIServerOptions = {}): Promise<FakeOpenAIServer> {
  const queue: FakeAnswer[] = [];
  const requests: RecordedRequest[] = [];
  let sequence = 0;
  const simulators = options.catalog
    ? {
        classifier: new SimulatedChatModel({ catalog: options.catalog, role: "classifier" }),
        chat: new SimulatedChatModel({
          catalog: options.catalog,
          role: "chat",
          replyTokens: options.replyTokens ?? 30,
        }),
      }
    : undefined;

  function defaultContent(body: ChatCompletionRequest): string {
    if (!simulators) return "OK";
    const model = isClassifierRequest(body) ? simulators.classifier : simulators.chat;
    return model.answerFor(toLangChainMessages(body.messages));
  }

  async function answer(body: ChatCompletionRequest, res: ServerResponse): Promise<void> {
    const scripted = queue.shift() ?? {};
    if (!(await sleep(scripted.delayMs ?? 0, res))) return;
    if (scripted.status !== undefined && scripted.status >= 400) {
      sendJson(res, scripted.status, {
        error: {
          message: `fake server answered ${scripted.status}`,
          type: scripted.status >= 500 ? "server_error" : "invalid_request_error",
          code: null,
          param: null,
        },
      });
      return;
    }
    const toolName = forcedTool(body);
    const limited = toolName
      ? { text: scripted.content ?? defaultContent(body), finishReason: "stop" }
      : limitAnswer(scripted.content ?? defaultContent(body), limitsOf(body));
    const text = limited.text;
    const id = `chatcmpl-fake-${++sequence}`;
    const created = Math.floor(Date.now() / 1000);
    const model = body.model;
    const promptTokens = body.messages.reduce((sum, m) => sum + estimateTokens(textOfContent(m.content)), 0);
    const usage = usageOf(promptTokens, estimateTokens(text), scripted.usageDetails ?? options.usageDetails);
    const toolCallId = `call_fake_${sequence}`;
    const finishReason = toolName ? "tool_calls" : limited.finishReason;

    if (!body.stream) {
      const message = toolName
        ? {
            role: "assistant",
            content: null,
            refusal: null,
            tool_calls: [{ id: toolCallId, type: "function", function: { name: toolName, arguments: text } }],
          }
        : { role: "assistant", content: text, refusal: null };
      sendJson(res, 200, {
        id,
        object: "chat.completion",
        created,
        model,
        choices: [{ index: 0, message, finish_reason: finishReason, logprobs: null }],
        usage,
      });
      return;
    }

    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
    const send = (choices: unknown[], extra: Record<string, unknown> = {}) =>
      res.write(
        `data: ${JSON.stringify({ id, object: "chat.completion.chunk", created, model, choices, ...extra })}\n\n`,
      );
    const pieces = splitIntoTokens(text);
    if (toolName) {
      send([
        {
          index: 0,
          delta: {
            role: "assistant",
            content: null,
            tool_calls: [{ index: 0, id: toolCallId, type: "function", function: { name: toolName, arguments: "" } }],
          },
          finish_reason: null,
        },
      ]);
    } else {
      send([{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }]);
    }
    for (const [i, piece] of pieces.entries()) {
      if (i === scripted.failAfterChunks) {
        // Let the chunks sent so far reach the client first: destroy() drops unflushed writes.
        await new Promise<void>((resolve) => res.write("", () => resolve()));
        await sleep(20, res);
        res.destroy();
        return;
      }
      if (!(await sleep(scripted.chunkDelayMs ?? 0, res))) return;
      const delta = toolName ? { tool_calls: [{ index: 0, function: { arguments: piece } }] } : { content: piece };
      send([{ index: 0, delta, finish_reason: null }]);
    }
    send([{ index: 0, delta: {}, finish_reason: finishReason }]);
    if (body.stream_options?.include_usage) send([], { usage });
    res.end("data: [DONE]\n\n");
  }

  const server = createServer((req, res) => {
    void (async () => {
      const raw = await readBody(req);
      let body: ChatCompletionRequest | undefined;
      try {
        body = JSON.parse(raw) as ChatCompletionRequest;
      } catch {
        body = undefined;
      }
      const path = (req.url ?? "").split("?")[0] ?? "";
      requests.push({ method: req.method ?? "", path, headers: req.headers, body });
      if (req.method !== "POST" || path !== "/v1/chat/completions") {
        sendJson(res, 404, {
          error: { message: `no route ${req.method} ${path}`, type: "invalid_request_error", code: null, param: null },
        });
        return;
      }
      if (!body || !Array.isArray(body.messages)) {
        sendJson(res, 400, {
          error: { message: "body must be JSON with messages", type: "invalid_request_error", code: null, param: null },
        });
        return;
      }
      await answer(body, res);
    })().catch((err: unknown) => {
      if (!res.headersSent)
        sendJson(res, 500, { error: { message: String(err), type: "server_error", code: null, param: null } });
      else res.destroy();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  /** Set by the first close(); later calls wait for the same shutdown (tests close to simulate an outage, then again in after()). */
  let closing: Promise<void> | undefined;

  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    port,
    requests,
    enqueue: (...answers) => void queue.push(...answers),
    chatRequests: () =>
      requests.filter((r) => r.path === "/v1/chat/completions" && r.body).map((r) => r.body as ChatCompletionRequest),
    close: () =>
      (closing ??= new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      })),
  };
}
